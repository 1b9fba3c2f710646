// Resolver over c-ares. One channel, driven by one event-loop thread that owns it
// (c-ares channels are not thread-safe): Query() from any thread queues the request
// and wakes the loop through an eventfd; callbacks run on the loop thread.
#ifndef MAILSUITE_SERVICES_DNS_RESOLVER_ARES_RESOLVER_H_
#define MAILSUITE_SERVICES_DNS_RESOLVER_ARES_RESOLVER_H_

#include <ares.h>

#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/dns-resolver/answer.h"

namespace mail::dns_resolver {

struct AresOptions {
  // "HOST:PORT[,HOST:PORT...]" ("[::1]:53" for IPv6); empty uses /etc/resolv.conf.
  std::string upstream;
  // Per-try timeout and tries per server (c-ares doubles the timeout on each round).
  absl::Duration timeout = absl::Seconds(2);
  int tries = 2;
};

class AresResolver final : public Resolver {
 public:
  // Call ares_library_init once before (main does).
  static absl::StatusOr<std::unique_ptr<AresResolver>> Start(const AresOptions& options);
  // Cancels pending queries (their callbacks get a temporary failure) and joins.
  ~AresResolver() override;

  void Query(const std::string& name, RecordType type, std::function<void(Answer)> done) override;

 private:
  struct Request {
    std::string name;
    RecordType type;
    std::function<void(Answer)> done;
  };
  AresResolver(ares_channel channel, int wake_fd);
  void Loop();
  void Wake();
  static void OnReply(void* arg, int status, int timeouts, unsigned char* abuf, int alen);

  ares_channel channel_;  // used only by the loop thread after Start
  const int wake_fd_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<Request>> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mail::dns_resolver

#endif  // MAILSUITE_SERVICES_DNS_RESOLVER_ARES_RESOLVER_H_
