// The Prometheus metrics of smtp-ingress (README.md METRICS). Built once at start-up
// on a registry; every method is thread-safe and cheap enough to call per command.
#ifndef MAILSUITE_SERVICES_SMTP_INGRESS_METRICS_H_
#define MAILSUITE_SERVICES_SMTP_INGRESS_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>
#include <string_view>

#include "services/smtp-ingress/config.h"

namespace mail::smtp_ingress {

class Metrics {
 public:
  explicit Metrics(prometheus::Registry& registry);

  void Connection(Role role);
  void SessionStarted() { active_.Increment(); }
  void SessionEnded() { active_.Decrement(); }
  void Reply(int code);
  // A refused command or message, by reason ("relay_denied", "unknown_user", ...).
  void Rejection(std::string_view reason);
  // "success", "failure" (wrong credentials) or "error" (backend unreachable).
  void Auth(std::string_view result);
  // The client's reverse DNS, once per connection: "verified", "mismatch", "no_ptr",
  // "failed"; and "late" per message whose Received: header could not wait for it.
  void ReverseDns(std::string_view result);
  // An accepted message, with its end-of-DATA to 250 time in seconds.
  void Accepted(double seconds, size_t size, int local_rcpts, int remote_rcpts);

 private:
  prometheus::Family<prometheus::Counter>& connections_;
  prometheus::Family<prometheus::Counter>& replies_;
  prometheus::Family<prometheus::Counter>& rejections_;
  prometheus::Family<prometheus::Counter>& auth_;
  prometheus::Family<prometheus::Counter>& recipients_;
  prometheus::Family<prometheus::Counter>& reverse_dns_;
  prometheus::Counter& accepted_;
  prometheus::Counter& accepted_bytes_;
  prometheus::Gauge& active_;
  prometheus::Histogram& latency_;
};

}  // namespace mail::smtp_ingress

#endif  // MAILSUITE_SERVICES_SMTP_INGRESS_METRICS_H_
