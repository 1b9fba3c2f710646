// pop3-access metrics; see metrics.h and README.md METRICS.
#include "services/pop3-access/metrics.h"

#include <string>

#include "services/libs/metrics/metrics.h"

namespace mail::pop3_access {

Metrics::Metrics(prometheus::Registry& registry)
    : sessions_(metrics::CounterFamily(registry, "mailsuite_pop3_access_sessions_total",
                                       "POP3 sessions started, by port (pop3, pop3s).")),
      logins_(metrics::CounterFamily(registry, "mailsuite_pop3_access_logins_total",
                                     "Login attempts by result (success, failure, error).")),
      retrieved_(metrics::CounterFamily(registry, "mailsuite_pop3_access_messages_retrieved_total",
                                        "Messages sent in full by RETR.")
                     .Add({})),
      deleted_(metrics::CounterFamily(registry, "mailsuite_pop3_access_messages_deleted_total",
                                      "Messages removed at QUIT.")
                   .Add({})),
      bytes_sent_(metrics::CounterFamily(registry, "mailsuite_pop3_access_sent_bytes_total",
                                         "Octets written to POP3 clients.")
                      .Add({})),
      active_(metrics::GaugeFamily(registry, "mailsuite_pop3_access_sessions_active",
                                   "POP3 sessions open now.")
                  .Add({})) {
  for (const char* port : {"pop3", "pop3s"}) sessions_.Add({{"port", port}});
  for (const char* result : {"success", "failure", "error", "refused"}) {
    logins_.Add({{"result", result}});
  }
}

void Metrics::SessionStarted(std::string_view port) {
  sessions_.Add({{"port", std::string(port)}}).Increment();
  active_.Increment();
}

void Metrics::Login(std::string_view result) {
  logins_.Add({{"result", std::string(result)}}).Increment();
}

}  // namespace mail::pop3_access
