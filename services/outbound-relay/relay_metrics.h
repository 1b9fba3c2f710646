// The relay's Prometheus metrics, created once at start-up; every pointer may be null
// (tests), the helpers then do nothing. Incrementing is thread-safe.
#ifndef MAILSUITE_SERVICES_OUTBOUND_RELAY_RELAY_METRICS_H_
#define MAILSUITE_SERVICES_OUTBOUND_RELAY_RELAY_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "services/outbound-relay/retry_policy.h"

namespace mail::outbound_relay {

struct RelayMetrics {
  prometheus::Counter* enqueued = nullptr;
  prometheus::Counter* duplicates = nullptr;
  // deliveries_total{outcome, cause}: children created on first use.
  prometheus::Family<prometheus::Counter>* deliveries = nullptr;
  std::map<std::string, prometheus::Gauge*> depth;  // queued, active, deferred, failed, held
  prometheus::Histogram* attempt_latency = nullptr;
  std::map<bool, prometheus::Counter*> sessions_tls;           // SMTP sessions by TLS use
  std::map<bool, prometheus::Counter*> delivered_tls;          // delivered recipients by TLS use
  prometheus::Family<prometheus::Counter>* bounces = nullptr;  // {kind}
  prometheus::Gauge* suppressed = nullptr;                     // addresses suppressed now
  prometheus::Counter* suppressed_recipients = nullptr;        // not attempted: suppressed
  prometheus::Counter* purged_messages = nullptr;              // finished mail deleted
  prometheus::Counter* purged_recipients = nullptr;

  static RelayMetrics Build(prometheus::Registry& registry);

  void Delivery(Disposition d, const std::string& cause) const {
    if (deliveries) {
      deliveries->Add({{"outcome", std::string(DispositionName(d))}, {"cause", cause}}).Increment();
    }
  }
  void DeliveredTls(bool tls) const {
    if (auto it = delivered_tls.find(tls); it != delivered_tls.end()) it->second->Increment();
  }
  void Bounce(const std::string& kind) const {
    if (bounces) bounces->Add({{"kind", kind}}).Increment();
  }
  void SuppressedRecipient() const {
    if (suppressed_recipients) suppressed_recipients->Increment();
  }
  void Purged(int64_t messages, int64_t recipients) const {
    if (purged_messages) purged_messages->Increment(static_cast<double>(messages));
    if (purged_recipients) purged_recipients->Increment(static_cast<double>(recipients));
  }
  void Attempt(absl::Duration latency) const {
    if (attempt_latency) attempt_latency->Observe(absl::ToDoubleSeconds(latency));
  }
  void Session(bool tls) const {
    if (auto it = sessions_tls.find(tls); it != sessions_tls.end()) it->second->Increment();
  }
  void Depth(const std::map<std::string, int64_t>& by_state) const {
    for (const auto& [state, n] : by_state) {
      if (auto it = depth.find(state); it != depth.end()) it->second->Set(static_cast<double>(n));
    }
  }
};

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_RELAY_METRICS_H_
