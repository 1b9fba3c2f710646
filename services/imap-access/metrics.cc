// imap-access metrics; see metrics.h and README.md METRICS.
#include "services/imap-access/metrics.h"

#include <string>

#include "services/libs/metrics/metrics.h"

namespace mail::imap_access {

Metrics::Metrics(prometheus::Registry& registry)
    : sessions_(metrics::CounterFamily(registry, "mailsuite_imap_access_sessions_total",
                                       "IMAP sessions started, by port (imap, imaps).")),
      commands_(metrics::CounterFamily(registry, "mailsuite_imap_access_commands_total",
                                       "IMAP commands received, by command name.")),
      logins_(metrics::CounterFamily(registry, "mailsuite_imap_access_logins_total",
                                     "Login attempts by result (success, failure, error).")),
      limited_(metrics::CounterFamily(
          registry, "mailsuite_imap_access_session_limit_rejections_total",
          "Connections and logins refused by a concurrency limit, by limit (ip, account).")),
      lists_(metrics::CounterFamily(
          registry, "mailsuite_imap_access_mailbox_lists_total",
          "Mailboxes listed for SELECT or a re-read, by kind (full, delta).")),
      idle_changes_(metrics::CounterFamily(
          registry, "mailsuite_imap_access_idle_changes_total",
          "IDLE: changes a session took in, by how: shared (read once for the mailbox's "
          "sessions) or own (read by the session itself).")),
      bytes_sent_(metrics::CounterFamily(registry, "mailsuite_imap_access_sent_bytes_total",
                                         "Octets written to IMAP clients.")
                      .Add({})),
      idle_push_(metrics::HistogramFamily(
                     registry, "mailsuite_imap_access_idle_push_seconds",
                     "IDLE: from a mailbox change reaching this process to the news written "
                     "to a client.")
                     .Add({}, metrics::LatencyBuckets())),
      active_(metrics::GaugeFamily(registry, "mailsuite_imap_access_sessions_active",
                                   "IMAP sessions open now.")
                  .Add({})) {
  for (const char* port : {"imap", "imaps"}) sessions_.Add({{"port", port}});
  for (const char* result : {"success", "failure", "error", "refused"}) {
    logins_.Add({{"result", result}});
  }
  for (const char* limit : {"ip", "account"}) limited_.Add({{"limit", limit}});
  for (const char* kind : {"full", "delta"}) lists_.Add({{"kind", kind}});
  for (const char* how : {"shared", "own"}) idle_changes_.Add({{"how", how}});
}

void Metrics::IdleChange(std::string_view how) {
  idle_changes_.Add({{"how", std::string(how)}}).Increment();
}

void Metrics::SessionStarted(std::string_view port) {
  sessions_.Add({{"port", std::string(port)}}).Increment();
  active_.Increment();
}

void Metrics::Command(std::string_view name) {
  commands_.Add({{"command", std::string(name)}}).Increment();
}

void Metrics::SessionLimited(std::string_view limit) {
  limited_.Add({{"limit", std::string(limit)}}).Increment();
}

void Metrics::MailboxList(std::string_view kind) {
  lists_.Add({{"kind", std::string(kind)}}).Increment();
}

void Metrics::Login(std::string_view result) {
  logins_.Add({{"result", std::string(result)}}).Increment();
}

}  // namespace mail::imap_access
