// WatchMailbox (IMAP IDLE): one PostgreSQL connection per mailbox-store process LISTENs
// on mailstore_changes (ARCHITECTURE.md §1 rule 4) and fans each notification out to
// the streams watching that mailbox. The listener runs on its own thread, started by
// the first watch; callbacks run on it under the watcher's mutex and only queue a write.
// If the connection breaks, every stream gets a change (modseq 0) so its client
// re-reads the mailbox, and the listener reconnects.
#include <poll.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "services/libs/base/log.h"
#include "services/libs/rpc/status_map.h"
#include "services/mailbox-store/lookup.h"
#include "services/mailbox-store/mailbox_service.h"

namespace mail::mailbox_store {

class ChangeWatcher {
 public:
  using Callback = std::function<void(uint64_t modseq)>;

  ~ChangeWatcher() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

  // Calls `fn` (on the listener thread) for every change of the mailbox until
  // Unsubscribe(returned id). The first Subscribe starts the listener.
  uint64_t Subscribe(int64_t account_id, int64_t mailbox_id, Callback fn) {
    std::lock_guard<std::mutex> l(mu_);
    uint64_t id = ++next_id_;
    subs_[id] = {account_id, mailbox_id, std::move(fn)};
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    return id;
  }
  void Unsubscribe(uint64_t id) {
    std::lock_guard<std::mutex> l(mu_);
    subs_.erase(id);
  }

 private:
  struct Sub {
    int64_t account_id;
    int64_t mailbox_id;
    Callback fn;
  };

  void Dispatch(int64_t account_id, int64_t mailbox_id, uint64_t modseq, bool all) {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [id, sub] : subs_) {
      if (all || (sub.account_id == account_id && sub.mailbox_id == mailbox_id)) sub.fn(modseq);
    }
  }

  void Run() {
    std::unique_ptr<pg::Connection> conn;
    while (!stop_.load()) {
      if (conn == nullptr || !conn->ok()) {
        if (conn != nullptr) {
          base::LogWarning("change listener lost its connection; reconnecting", {});
          Dispatch(0, 0, 0, true);  // changes may have been missed: everyone re-reads
        }
        conn.reset();
        absl::StatusOr<std::unique_ptr<pg::Connection>> opened = pg::Connection::Open("");
        absl::Status listening = opened.status();
        if (opened.ok())
          listening = (*opened)->Exec(std::string("LISTEN ") + kChangeChannel).status();
        if (!listening.ok()) {
          base::LogWarning("change listener cannot LISTEN", {{"error", listening.ToString()}});
          for (int i = 0; i < 10 && !stop_.load(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
          continue;
        }
        conn = *std::move(opened);
        // Anything committed while we were not listening: let everyone re-read.
        Dispatch(0, 0, 0, true);
      }
      pollfd pfd{PQsocket(conn->raw()), POLLIN, 0};
      int ready = ::poll(&pfd, 1, 200);
      if (ready < 0) continue;
      if (PQconsumeInput(conn->raw()) == 0) {
        PQreset(conn->raw());
        continue;
      }
      while (PGnotify* n = PQnotifies(conn->raw())) {
        std::vector<std::string> parts = absl::StrSplit(n->extra, ' ');
        int64_t account = 0, mailbox = 0;
        uint64_t modseq = 0;
        if (parts.size() == 3 && absl::SimpleAtoi(parts[0], &account) &&
            absl::SimpleAtoi(parts[1], &mailbox) && absl::SimpleAtoi(parts[2], &modseq)) {
          Dispatch(account, mailbox, modseq, false);
        }
        PQfreemem(n);
      }
    }
  }

  std::mutex mu_;
  std::map<uint64_t, Sub> subs_;
  uint64_t next_id_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::shared_ptr<ChangeWatcher> NewChangeWatcher(pg::Pool&) {
  return std::make_shared<ChangeWatcher>();
}

namespace {

// One WatchMailbox stream: at most one write in flight; changes that arrive meanwhile
// collapse into one more write with the latest modseq.
class WatchReactor final : public grpc::ServerWriteReactor<v1::WatchMailboxResponse> {
 public:
  WatchReactor(std::shared_ptr<ChangeWatcher> watcher, pg::Pool& pool,
               const v1::WatchMailboxRequest& request)
      : watcher_(std::move(watcher)) {
    int64_t account_id = 0, mailbox_id = 0;
    absl::Status status = [&]() -> absl::Status {
      absl::StatusOr<pg::PooledConnection> conn = pool.Acquire();
      if (!conn.ok()) return conn.status();
      absl::StatusOr<AccountRow> account = FindAccount(**conn, request.account());
      if (!account.ok()) return account.status();
      absl::StatusOr<MailboxRow> mailbox = FindMailbox(**conn, account->id, request.mailbox());
      if (!mailbox.ok()) return mailbox.status();
      account_id = account->id;
      mailbox_id = mailbox->id;
      return absl::OkStatus();
    }();
    if (!status.ok()) {
      FinishOnce(rpc::ToGrpcStatus(status));
      return;
    }
    sub_ =
        watcher_->Subscribe(account_id, mailbox_id, [this](uint64_t modseq) { Changed(modseq); });
    Changed(0);  // the stream is live
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> l(mu_);
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
      return;
    }
    if (pending_ && !finished_) {
      pending_ = false;
      response_.set_highest_modseq(latest_);
      StartWrite(&response_);
    } else {
      writing_ = false;
    }
  }
  void OnCancel() override { FinishOnce(grpc::Status::OK); }
  void OnDone() override {
    if (sub_ != 0) watcher_->Unsubscribe(sub_);
    delete this;
  }

 private:
  void Changed(uint64_t modseq) {
    std::lock_guard<std::mutex> l(mu_);
    if (finished_) return;
    latest_ = modseq;
    if (writing_) {
      pending_ = true;
      return;
    }
    writing_ = true;
    response_.set_highest_modseq(latest_);
    StartWrite(&response_);
  }
  void FinishOnce(grpc::Status status) {
    std::lock_guard<std::mutex> l(mu_);
    FinishLocked(std::move(status));
  }
  void FinishLocked(grpc::Status status) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  std::shared_ptr<ChangeWatcher> watcher_;
  uint64_t sub_ = 0;
  std::mutex mu_;
  bool writing_ = false, pending_ = false, finished_ = false;
  uint64_t latest_ = 0;
  v1::WatchMailboxResponse response_;
};

}  // namespace

grpc::ServerWriteReactor<v1::WatchMailboxResponse>* MailboxServiceImpl::WatchMailbox(
    grpc::CallbackServerContext*, const v1::WatchMailboxRequest* request) {
  return new WatchReactor(change_watcher_, pool_, *request);
}

}  // namespace mail::mailbox_store
