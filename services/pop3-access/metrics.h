// The Prometheus metrics of pop3-access (README.md METRICS). Built once at start-up on
// a registry; every method is thread-safe and cheap enough to call per command.
#ifndef MAILSUITE_SERVICES_POP3_ACCESS_METRICS_H_
#define MAILSUITE_SERVICES_POP3_ACCESS_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <string_view>

namespace mail::pop3_access {

class Metrics {
 public:
  explicit Metrics(prometheus::Registry& registry);

  // A session started on a listener: "pop3" (plain, STLS) or "pop3s".
  void SessionStarted(std::string_view port);
  void SessionEnded() { active_.Decrement(); }
  // "success", "failure" (wrong credentials), "in_use" (maildrop locked by another
  // session) or "error" (backend unreachable).
  void Login(std::string_view result);
  void MessageRetrieved() { retrieved_.Increment(); }
  void MessagesDeleted(uint64_t n) { deleted_.Increment(static_cast<double>(n)); }
  void BytesSent(uint64_t n) { bytes_sent_.Increment(static_cast<double>(n)); }

 private:
  prometheus::Family<prometheus::Counter>& sessions_;
  prometheus::Family<prometheus::Counter>& logins_;
  prometheus::Counter& retrieved_;
  prometheus::Counter& deleted_;
  prometheus::Counter& bytes_sent_;
  prometheus::Gauge& active_;
};

}  // namespace mail::pop3_access

#endif  // MAILSUITE_SERVICES_POP3_ACCESS_METRICS_H_
