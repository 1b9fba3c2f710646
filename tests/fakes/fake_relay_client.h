// FakeRelayClient: an in-memory outbound queue for unit tests. Enqueue records the
// envelope and body and is idempotent by transaction_id (a second call reports
// duplicate = true and stores nothing). Thread-safe; header-only.
#ifndef MAILSUITE_TESTS_FAKES_FAKE_RELAY_CLIENT_H_
#define MAILSUITE_TESTS_FAKES_FAKE_RELAY_CLIENT_H_

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/libs/clients/relay_client.h"

namespace mail::fakes {

class FakeRelayClient : public clients::RelayClient {
 public:
  struct Queued {
    v1::Envelope envelope;
    std::string body;
    std::string queue_id;
  };

  // Every Enqueue fails with `status` until set back to OK.
  void SetError(absl::Status status) {
    std::lock_guard<std::mutex> l(mu_);
    error_ = std::move(status);
  }
  std::vector<Queued> queued() const {
    std::lock_guard<std::mutex> l(mu_);
    return queued_;
  }
  int calls() const {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }

  asio::awaitable<absl::StatusOr<v1::EnqueueResponse>> Enqueue(const v1::Envelope& envelope,
                                                               std::string body) override {
    std::lock_guard<std::mutex> l(mu_);
    ++calls_;
    if (!error_.ok()) co_return error_;
    v1::EnqueueResponse resp;
    auto it = by_transaction_.find(envelope.transaction_id());
    if (it != by_transaction_.end()) {
      resp.set_queue_id(it->second);
      resp.set_duplicate(true);
      co_return resp;
    }
    std::string id = "queue-" + std::to_string(queued_.size() + 1);
    by_transaction_[envelope.transaction_id()] = id;
    queued_.push_back({envelope, std::move(body), id});
    resp.set_queue_id(id);
    co_return resp;
  }

 private:
  mutable std::mutex mu_;
  absl::Status error_;
  int calls_ = 0;
  std::map<std::string, std::string> by_transaction_;
  std::vector<Queued> queued_;
};

}  // namespace mail::fakes

#endif  // MAILSUITE_TESTS_FAKES_FAKE_RELAY_CLIENT_H_
