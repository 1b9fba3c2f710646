// Metric families of outbound-relay; see relay_metrics.h and README.md (METRICS).
#include "services/outbound-relay/relay_metrics.h"

#include "services/libs/metrics/metrics.h"

namespace mail::outbound_relay {

RelayMetrics RelayMetrics::Build(prometheus::Registry& registry) {
  RelayMetrics m;
  auto& enqueued = metrics::CounterFamily(registry, "mailsuite_outbound_relay_enqueued_total",
                                          "Enqueue calls, by whether they stored a new message.");
  m.enqueued = &enqueued.Add({{"duplicate", "false"}});
  m.duplicates = &enqueued.Add({{"duplicate", "true"}});
  m.deliveries = &metrics::CounterFamily(
      registry, "mailsuite_outbound_relay_deliveries_total",
      "Recipient delivery attempts, by outcome (delivered, deferred, failed) and cause "
      "(services/libs/delivery).");
  auto& depth = metrics::GaugeFamily(registry, "mailsuite_outbound_relay_queue_depth",
                                     "Recipients in the queue, by state (refreshed periodically).");
  for (const char* state : {"queued", "active", "deferred", "failed", "held"}) {
    m.depth[state] = &depth.Add({{"state", state}});
  }
  m.attempt_latency =
      &metrics::HistogramFamily(registry, "mailsuite_outbound_relay_attempt_latency_seconds",
                                "Duration of one delivery attempt (DNS, connect and SMTP "
                                "dialogue) for one message and domain.")
           .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                                            10, 30, 60, 120, 300, 600});
  auto& sessions = metrics::CounterFamily(registry, "mailsuite_outbound_relay_smtp_sessions_total",
                                          "SMTP sessions that reached MAIL FROM, by TLS use.");
  m.sessions_tls[true] = &sessions.Add({{"tls", "true"}});
  m.sessions_tls[false] = &sessions.Add({{"tls", "false"}});
  auto& tls = metrics::CounterFamily(registry, "mailsuite_outbound_relay_delivered_tls_total",
                                     "Recipients delivered over SMTP, by whether TLS was used.");
  m.delivered_tls[true] = &tls.Add({{"tls", "true"}});
  m.delivered_tls[false] = &tls.Add({{"tls", "false"}});
  m.bounces = &metrics::CounterFamily(registry, "mailsuite_outbound_relay_dsns_total",
                                      "DSNs generated, by kind (failure, delay, success).");
  for (const char* kind : {"failure", "delay", "success"}) m.bounces->Add({{"kind", kind}});
  m.suppressed = &metrics::GaugeFamily(registry, "mailsuite_outbound_relay_suppressed_addresses",
                                       "Addresses suppressed now (refreshed periodically).")
                      .Add({});
  m.suppressed_recipients =
      &metrics::CounterFamily(registry, "mailsuite_outbound_relay_suppressed_recipients_total",
                              "Recipients failed at once because their address is suppressed.")
           .Add({});
  auto& purged = metrics::CounterFamily(
      registry, "mailsuite_outbound_relay_purged_total",
      "Finished queue rows deleted after the retention (--retention), by kind (messages, "
      "recipients; attempts go with their recipients).");
  m.purged_messages = &purged.Add({{"kind", "messages"}});
  m.purged_recipients = &purged.Add({{"kind", "recipients"}});
  return m;
}

}  // namespace mail::outbound_relay
