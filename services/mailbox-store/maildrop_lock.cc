// HoldMaildropLock: POP3's one session per maildrop (RFC 1939 §8) across every
// pop3-access replica. Each lock is a PostgreSQL session-level advisory lock taken on
// ONE dedicated connection per mailbox-store process (guarded by a mutex): if this
// process dies, its connection and so its locks die with it. The lock lives as long as
// the server stream; the reactor releases it when the call ends for any reason.
// Advisory locks are re-entrant within a PostgreSQL session, so a second request for
// a maildrop this process already holds is refused from the in-process table first.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/libs/base/log.h"
#include "services/libs/base/status_macros.h"
#include "services/libs/rpc/status_map.h"
#include "services/mailbox-store/lookup.h"
#include "services/mailbox-store/mailbox_service.h"

namespace mail::mailbox_store {
namespace {

// The first key of the two-key advisory lock form: "POP3" in ASCII, so these locks
// cannot collide with other users of advisory locks in the database.
constexpr int32_t kLockClass = 0x504F5033;

// The second key: the account id, folded into 32 bits (ids stay far below 2^32).
int32_t LockObject(int64_t account_id) {
  return static_cast<int32_t>(static_cast<uint32_t>(account_id & 0xffffffff));
}

class LockReactor;

}  // namespace

// The lock table of this process and its PostgreSQL connection.
class MaildropLocks {
 public:
  explicit MaildropLocks(pg::Pool& pool) : pool_(pool) {}

  struct Held {
    int64_t account_id = 0;
    uint64_t generation = 0;
  };

  // Takes the maildrop lock of `account` for `reactor`; FAILED_PRECONDITION when it is
  // held (here or in another mailbox-store process).
  absl::StatusOr<Held> Acquire(const std::string& account, LockReactor* reactor);
  // Releases what Acquire gave `reactor` (nothing if the connection was lost since).
  void Release(const Held& held, LockReactor* reactor);

 private:
  // Opens the lock connection when there is none or it broke. A broken connection
  // took its locks with it: the streams that held them are collected in `lost` (with
  // a reference each) to be told after the mutex is dropped.
  absl::Status EnsureConnectionLocked(std::vector<LockReactor*>* lost)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  pg::Pool& pool_;
  absl::Mutex mu_;
  std::unique_ptr<pg::Connection> conn_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int64_t, LockReactor*> held_ ABSL_GUARDED_BY(mu_);
};

namespace {

// One HoldMaildropLock call. Deleted when gRPC is done with it and no lock-loss
// notification still refers to it.
class LockReactor final : public grpc::ServerWriteReactor<v1::HoldMaildropLockResponse> {
 public:
  LockReactor(std::shared_ptr<MaildropLocks> locks, StoreMetrics& metrics,
              const std::string& account)
      : locks_(std::move(locks)) {
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<MaildropLocks::Held> held = locks_->Acquire(account, this);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics.ObserveRpc("HoldMaildropLock", held.status().code(), seconds);
    if (!held.ok()) {
      FinishOnce(rpc::ToGrpcStatus(held.status()));
      return;
    }
    held_ = *held;
    has_lock_ = true;
    if (finished_.load()) return;  // the lock connection broke already
    response_.set_locked(true);
    StartWrite(&response_);
    // Then nothing until the client cancels, goes away, or the deadline passes.
  }

  void OnWriteDone(bool ok) override {
    if (!ok) FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
  }
  void OnCancel() override { FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "released")); }
  void OnDone() override {
    if (has_lock_) locks_->Release(held_, this);
    Unref();
  }

  // The lock connection broke: the lock is gone, so the stream ends.
  void Lost() { FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE, "maildrop lock lost")); }
  void Ref() { refs_.fetch_add(1); }
  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

 private:
  void FinishOnce(grpc::Status status) {
    bool expected = false;
    if (finished_.compare_exchange_strong(expected, true)) Finish(status);
  }

  std::shared_ptr<MaildropLocks> locks_;
  v1::HoldMaildropLockResponse response_;
  MaildropLocks::Held held_;
  bool has_lock_ = false;
  std::atomic<bool> finished_{false};
  std::atomic<int> refs_{1};  // gRPC's, dropped in OnDone
};

}  // namespace

absl::Status MaildropLocks::EnsureConnectionLocked(std::vector<LockReactor*>* lost) {
  if (conn_ != nullptr && conn_->ok()) return absl::OkStatus();
  if (conn_ != nullptr) {
    base::LogWarning("maildrop lock connection lost; releasing its sessions",
                     {{"locks", std::to_string(held_.size())}});
  }
  conn_.reset();
  for (auto& [id, reactor] : held_) {
    reactor->Ref();
    lost->push_back(reactor);
  }
  held_.clear();
  ++generation_;
  MAIL_ASSIGN_OR_RETURN(conn_, pg::Connection::Open(""));
  return absl::OkStatus();
}

absl::StatusOr<MaildropLocks::Held> MaildropLocks::Acquire(const std::string& account,
                                                           LockReactor* reactor) {
  int64_t account_id;
  {
    // The account lookup uses the pool, not the lock connection.
    MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
    MAIL_ASSIGN_OR_RETURN(AccountRow row, FindAccount(*conn, account));
    account_id = row.id;
  }
  std::vector<LockReactor*> lost;
  absl::StatusOr<Held> result;
  {
    absl::MutexLock l(&mu_);
    result = [&]() -> absl::StatusOr<Held> {
      MAIL_RETURN_IF_ERROR(EnsureConnectionLocked(&lost));
      if (held_.count(account_id) != 0) return absl::FailedPreconditionError("maildrop in use");
      absl::StatusOr<pg::Result> r = conn_->Exec("SELECT pg_try_advisory_lock($1::int, $2::int)",
                                                 {kLockClass, LockObject(account_id)});
      if (!r.ok() && !conn_->ok()) {
        // The connection broke since its last use; one retry on a fresh one.
        MAIL_RETURN_IF_ERROR(EnsureConnectionLocked(&lost));
        r = conn_->Exec("SELECT pg_try_advisory_lock($1::int, $2::int)",
                        {kLockClass, LockObject(account_id)});
      }
      if (!r.ok()) return r.status();
      if (!r->GetBool(0, 0)) return absl::FailedPreconditionError("maildrop in use");
      held_[account_id] = reactor;
      return Held{account_id, generation_};
    }();
  }
  for (LockReactor* r : lost) {
    r->Lost();
    r->Unref();
  }
  return result;
}

void MaildropLocks::Release(const Held& held, LockReactor* reactor) {
  absl::MutexLock l(&mu_);
  auto it = held_.find(held.account_id);
  // Not ours any more: the connection was lost (and the lock with it) since.
  if (held.generation != generation_ || it == held_.end() || it->second != reactor) return;
  held_.erase(it);
  if (conn_ == nullptr) return;
  absl::StatusOr<pg::Result> r = conn_->Exec("SELECT pg_advisory_unlock($1::int, $2::int)",
                                             {kLockClass, LockObject(held.account_id)});
  if (!r.ok()) {
    // A broken connection released everything anyway; the next Acquire reconnects.
    base::LogWarning("maildrop unlock failed", {{"error", r.status().ToString()}});
  }
}

std::shared_ptr<MaildropLocks> NewMaildropLocks(pg::Pool& pool) {
  return std::make_shared<MaildropLocks>(pool);
}

grpc::ServerWriteReactor<v1::HoldMaildropLockResponse>* MailboxServiceImpl::HoldMaildropLock(
    grpc::CallbackServerContext*, const v1::HoldMaildropLockRequest* request) {
  return new LockReactor(maildrop_locks_, metrics_, request->account());
}

}  // namespace mail::mailbox_store
