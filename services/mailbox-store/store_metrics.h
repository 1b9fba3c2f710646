// The metrics of mailbox-store and the wrapper every RPC runs in (timing, logging of
// failures, absl → gRPC status). Families are registered once at start-up; recording
// is thread-safe.
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_STORE_METRICS_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_STORE_METRICS_H_

#include <grpcpp/support/status.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <string>

#include "absl/status/status.h"

namespace mail::mailbox_store {

class StoreMetrics {
 public:
  explicit StoreMetrics(prometheus::Registry& registry);

  // One per recipient: delivered, duplicate, unknown_user, over_quota.
  void CountDelivery(const std::string& status) {
    deliveries_.Add({{"status", status}}).Increment();
  }
  // success, bad_password, unknown_user, disabled.
  void CountAuth(const std::string& result) { auth_.Add({{"result", result}}).Increment(); }
  void ObserveRpc(const std::string& method, absl::StatusCode code, double seconds);
  // One committed group-commit transaction holding `deliveries` Deliver calls.
  void ObserveCommitBatch(int deliveries) {
    commit_batches_.Increment();
    commit_batch_deliveries_.Increment(deliveries);
  }

 private:
  prometheus::Family<prometheus::Counter>& deliveries_;
  prometheus::Family<prometheus::Counter>& auth_;
  prometheus::Family<prometheus::Counter>& rpcs_;
  prometheus::Family<prometheus::Histogram>& rpc_seconds_;
  prometheus::Counter& commit_batches_;
  prometheus::Counter& commit_batch_deliveries_;
};

// Runs the body of one RPC: records its latency and status code, logs server-side
// failures, and translates the result with rpc::ToGrpcStatus.
grpc::Status RunRpc(StoreMetrics& metrics, const char* method,
                    const std::function<absl::Status()>& body);

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_STORE_METRICS_H_
