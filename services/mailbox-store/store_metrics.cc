// Metrics and the RPC wrapper; see store_metrics.h.
#include "services/mailbox-store/store_metrics.h"

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "services/libs/base/log.h"
#include "services/libs/metrics/metrics.h"
#include "services/libs/rpc/status_map.h"

namespace mail::mailbox_store {

StoreMetrics::StoreMetrics(prometheus::Registry& registry)
    : deliveries_(metrics::CounterFamily(registry, "mailsuite_mailbox_store_deliveries_total",
                                         "Deliveries to local accounts, by recipient result")),
      auth_(metrics::CounterFamily(registry, "mailsuite_mailbox_store_auth_attempts_total",
                                   "Authenticate calls, by result")),
      rpcs_(metrics::CounterFamily(registry, "mailsuite_mailbox_store_rpcs_total",
                                   "RPCs served, by method and gRPC status code")),
      rpc_seconds_(metrics::HistogramFamily(
          registry, "mailsuite_mailbox_store_rpc_duration_seconds", "RPC latency, by method")),
      commit_batches_(
          metrics::CounterFamily(registry, "mailsuite_mailbox_store_deliver_commits_total",
                                 "Committed Deliver transactions (each may hold several calls)")
              .Add({})),
      commit_batch_deliveries_(
          metrics::CounterFamily(registry, "mailsuite_mailbox_store_deliver_committed_calls_total",
                                 "Deliver calls committed; divided by deliver_commits_total, "
                                 "the average group-commit batch")
              .Add({})) {
  // Export the zero values so dashboards and tests see the series before traffic.
  for (const char* s : {"delivered", "duplicate", "unknown_user", "over_quota"}) {
    deliveries_.Add({{"status", s}});
  }
  for (const char* r : {"success", "bad_password", "unknown_user", "disabled"}) {
    auth_.Add({{"result", r}});
  }
}

void StoreMetrics::ObserveRpc(const std::string& method, absl::StatusCode code, double seconds) {
  rpcs_.Add({{"method", method}, {"code", absl::StatusCodeToString(code)}}).Increment();
  rpc_seconds_.Add({{"method", method}}, metrics::LatencyBuckets()).Observe(seconds);
}

grpc::Status RunRpc(StoreMetrics& metrics, const char* method,
                    const std::function<absl::Status()>& body) {
  absl::Time start = absl::Now();
  absl::Status status = body();
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  metrics.ObserveRpc(method, status.code(), seconds);
  switch (status.code()) {
    case absl::StatusCode::kOk:
      mail::base::LogDebug("rpc", {{"method", method}, {"seconds", std::to_string(seconds)}});
      break;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kCancelled:
      mail::base::LogInfo("rpc refused", {{"method", method}, {"error", status.ToString()}});
      break;
    default:
      mail::base::LogWarning("rpc failed", {{"method", method}, {"error", status.ToString()}});
      break;
  }
  return rpc::ToGrpcStatus(status);
}

}  // namespace mail::mailbox_store
