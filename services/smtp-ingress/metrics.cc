#include "services/smtp-ingress/metrics.h"

#include "absl/strings/str_cat.h"
#include "services/libs/metrics/metrics.h"

namespace mail::smtp_ingress {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kMx:
      return "smtp";
    case Role::kSubmission:
      return "submission";
    case Role::kSubmissions:
      return "submissions";
  }
  return "unknown";
}

Metrics::Metrics(prometheus::Registry& r)
    : connections_(metrics::CounterFamily(r, "mailsuite_smtp_ingress_connections_total",
                                          "SMTP connections accepted, by listener")),
      replies_(metrics::CounterFamily(r, "mailsuite_smtp_ingress_replies_total",
                                      "SMTP replies sent, by reply code")),
      rejections_(metrics::CounterFamily(r, "mailsuite_smtp_ingress_rejections_total",
                                         "Commands or messages refused, by reason")),
      auth_(metrics::CounterFamily(r, "mailsuite_smtp_ingress_auth_total",
                                   "AUTH attempts, by result (success, failure, error)")),
      recipients_(metrics::CounterFamily(r, "mailsuite_smtp_ingress_recipients_total",
                                         "Recipients of accepted messages, by kind")),
      reverse_dns_(metrics::CounterFamily(
          r, "mailsuite_smtp_ingress_reverse_dns_total",
          "Client reverse DNS lookups by result (verified, mismatch, no_ptr, failed), and "
          "messages stamped before the lookup finished (late)")),
      accepted_(metrics::CounterFamily(r, "mailsuite_smtp_ingress_messages_accepted_total",
                                       "Messages answered with 250 after DATA")
                    .Add({})),
      accepted_bytes_(metrics::CounterFamily(r, "mailsuite_smtp_ingress_accepted_bytes_total",
                                             "Octets of accepted messages")
                          .Add({})),
      active_(metrics::GaugeFamily(r, "mailsuite_smtp_ingress_sessions_active",
                                   "SMTP sessions currently open")
                  .Add({})),
      latency_(metrics::HistogramFamily(r, "mailsuite_smtp_ingress_accept_latency_seconds",
                                        "Time from the end of DATA to the 250 reply")
                   .Add({}, metrics::LatencyBuckets())) {}

void Metrics::Connection(Role role) {
  connections_.Add({{"listener", std::string(RoleName(role))}}).Increment();
}

void Metrics::Reply(int code) { replies_.Add({{"code", absl::StrCat(code)}}).Increment(); }

void Metrics::Rejection(std::string_view reason) {
  rejections_.Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::Auth(std::string_view result) {
  auth_.Add({{"result", std::string(result)}}).Increment();
}

void Metrics::ReverseDns(std::string_view result) {
  reverse_dns_.Add({{"result", std::string(result)}}).Increment();
}

void Metrics::Accepted(double seconds, size_t size, int local_rcpts, int remote_rcpts) {
  accepted_.Increment();
  accepted_bytes_.Increment(static_cast<double>(size));
  latency_.Observe(seconds);
  if (local_rcpts > 0) recipients_.Add({{"kind", "local"}}).Increment(local_rcpts);
  if (remote_rcpts > 0) recipients_.Add({{"kind", "remote"}}).Increment(remote_rcpts);
}

}  // namespace mail::smtp_ingress
