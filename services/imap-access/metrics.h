// The Prometheus metrics of imap-access (README.md METRICS). Built once at start-up on
// a registry; every method is thread-safe and cheap enough to call per command.
#ifndef MAILSUITE_SERVICES_IMAP_ACCESS_METRICS_H_
#define MAILSUITE_SERVICES_IMAP_ACCESS_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <string_view>

namespace mail::imap_access {

class Metrics {
 public:
  explicit Metrics(prometheus::Registry& registry);

  // A session started on a listener: "imap" (plain, STARTTLS) or "imaps".
  void SessionStarted(std::string_view port);
  void SessionEnded() { active_.Decrement(); }
  // A command by name ("FETCH", "UID FETCH", ...; "unknown" for the rest, so the
  // label set stays bounded whatever clients send).
  void Command(std::string_view name);
  // "success", "failure" (wrong credentials), "error" (backend unreachable) or
  // "refused" (the client IP has too many recent failures, net::AuthLimiter).
  void Login(std::string_view result);
  // A connection or login refused by a concurrency limit: "ip" (the listener's
  // --max_connections_per_ip) or "account" (--max_sessions_per_account).
  void SessionLimited(std::string_view limit);
  // For net::SessionServer: a connection the listener refused (per-IP or total limit).
  void ConnectionRefused() { SessionLimited("ip"); }
  void BytesSent(uint64_t n) { bytes_sent_.Increment(static_cast<double>(n)); }
  // A mailbox listed for SELECT or a re-read: "full" (every message) or "delta" (the
  // changes since the session's or the snapshot cache's modseq).
  void MailboxList(std::string_view kind);
  // IDLE: from the moment this process heard of a change of the mailbox to the moment
  // the session wrote the news (EXISTS, EXPUNGE, FETCH) to its client.
  void IdlePushed(double seconds) { idle_push_.Observe(seconds); }
  // IDLE: how a session took in a change: "shared" (the read SharedWatches made for
  // every session of the mailbox) or "own" (it read the mailbox itself).
  void IdleChange(std::string_view how);

 private:
  prometheus::Family<prometheus::Counter>& sessions_;
  prometheus::Family<prometheus::Counter>& commands_;
  prometheus::Family<prometheus::Counter>& logins_;
  prometheus::Family<prometheus::Counter>& limited_;
  prometheus::Family<prometheus::Counter>& lists_;
  prometheus::Family<prometheus::Counter>& idle_changes_;
  prometheus::Counter& bytes_sent_;
  prometheus::Histogram& idle_push_;
  prometheus::Gauge& active_;
};

}  // namespace mail::imap_access

#endif  // MAILSUITE_SERVICES_IMAP_ACCESS_METRICS_H_
