// Coalesced ListMessages; see shared_reads.h.
#include "services/imap-access/shared_reads.h"

#include <utility>

#include "services/libs/rpc/async_call.h"

namespace mail::imap_access {

struct SharedReads::Waiter {
  rpc::Done wake;  // resumes the waiting coroutine on its executor
  // Set before wake: either the answer, or the turn to make the next call.
  std::shared_ptr<const Result> result;
  bool make_call = false;
};

asio::awaitable<absl::StatusOr<v1::ListMessagesResponse>> SharedReads::List(
    const v1::ListMessagesRequest& request) {
  const std::string key = request.SerializeAsString();
  auto me = std::make_shared<Waiter>();
  // Decide under the lock whether to call now or wait; a waiter is registered with its
  // wake-up in the same critical section, so no answer can slip past it.
  co_await rpc::AwaitCallback([&](rpc::Done wake) {
    absl::MutexLock lock(&mu_);
    ++requests_;
    auto [it, idle] = flights_.try_emplace(key);
    if (idle) {
      me->make_call = true;
      wake(grpc::Status::OK);
      return;
    }
    me->wake = std::move(wake);
    it->second.next.push_back(me);
  });
  if (!me->make_call) {
    Result shared = *me->result;
    // The call claimed \Recent for the session that made it; here the messages read
    // as they do after that claim (the mark mailbox-store moved it to).
    if (shared.ok() && request.claim_recent()) {
      shared->set_first_recent_uid(shared->next_first_recent_uid());
    }
    co_return shared;
  }
  {
    absl::MutexLock lock(&mu_);
    ++calls_;
  }
  Result result = co_await mailbox_.ListMessages(request);
  Finish(key, std::make_shared<const Result>(result));
  co_return result;
}

void SharedReads::Finish(const std::string& key, const std::shared_ptr<const Result>& result) {
  std::vector<std::shared_ptr<Waiter>> answered;
  std::shared_ptr<Waiter> caller;
  {
    absl::MutexLock lock(&mu_);
    auto it = flights_.find(key);
    if (it == flights_.end()) return;  // not reached: a running call keeps its entry
    Flight& f = it->second;
    answered = std::move(f.current);
    f.current.clear();
    if (f.next.empty()) {
      flights_.erase(it);
    } else {
      // The next call: made by the first that waited for it, answered to the rest.
      caller = f.next.front();
      f.current.assign(f.next.begin() + 1, f.next.end());
      f.next.clear();
    }
  }
  for (const std::shared_ptr<Waiter>& w : answered) {
    w->result = result;
    w->wake(grpc::Status::OK);
  }
  if (caller != nullptr) {
    caller->make_call = true;
    caller->wake(grpc::Status::OK);
  }
}

int64_t SharedReads::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

int64_t SharedReads::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

}  // namespace mail::imap_access
