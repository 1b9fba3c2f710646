// Prometheus metrics for one process: a registry and the HTTP exposer serving it at
// /metrics. Names follow mailsuite_<service>_<what>_<unit>, counters end in _total.
// Families are created at start-up; incrementing them is thread-safe.
#ifndef MAILSUITE_SERVICES_LIBS_METRICS_METRICS_H_
#define MAILSUITE_SERVICES_LIBS_METRICS_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace mail::metrics {

class MetricsServer {
 public:
  // Serves the registry at http://<address>/metrics ("127.0.0.1:9101").
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& address);
  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

 private:
  MetricsServer() = default;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// Shorthands for the usual shapes.
prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry& registry,
                                                       const std::string& name,
                                                       const std::string& help);
prometheus::Family<prometheus::Gauge>& GaugeFamily(prometheus::Registry& registry,
                                                   const std::string& name,
                                                   const std::string& help);
prometheus::Family<prometheus::Histogram>& HistogramFamily(prometheus::Registry& registry,
                                                           const std::string& name,
                                                           const std::string& help);
// mailsuite_<service>_tls_certificate_expiry_timestamp_seconds: when the served
// certificate expires (Unix seconds), so an alert can fire before it does.
prometheus::Gauge& CertificateExpiryGauge(prometheus::Registry& registry,
                                          const std::string& service);
// Buckets in seconds from 1 ms to 30 s, for latencies.
prometheus::Histogram::BucketBoundaries LatencyBuckets();

}  // namespace mail::metrics

#endif  // MAILSUITE_SERVICES_LIBS_METRICS_METRICS_H_
