// The smtp-ingress server: up to three listeners (MX, submission, submissions), each
// running a Session per connection, and the registry of live sessions used to drain
// on SIGTERM. Start/Stop from the main thread; sessions run on the io_context threads.
#ifndef MAILSUITE_SERVICES_SMTP_INGRESS_SERVER_H_
#define MAILSUITE_SERVICES_SMTP_INGRESS_SERVER_H_

#include <asio/any_io_executor.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "services/libs/net/listener.h"
#include "services/libs/net/stream.h"
#include "services/libs/net/tls.h"
#include "services/smtp-ingress/config.h"
#include "services/smtp-ingress/metrics.h"
#include "services/smtp-ingress/session.h"

namespace mail::smtp_ingress {

struct ListenAddresses {
  std::string smtp;         // MX role; empty = off
  std::string submission;   // 587 role; empty = off
  std::string submissions;  // 465 role; empty = off (also off without TLS)
};

class Server {
 public:
  // `tls` may be null (no STARTTLS, no submissions listener, no AUTH). `metrics` may
  // be null. Everything borrowed must outlive the server.
  Server(asio::io_context& io, const Config& config, std::shared_ptr<net::TlsContext> tls,
         Backends backends, Metrics* metrics, net::ListenerLimits limits,
         net::AuthLimiter* auth_limiter = nullptr);

  absl::Status Start(const ListenAddresses& addresses);
  void StopAccepting();
  // Every session answers its next command (or, when idle, at once) with 421 4.3.2.
  void AskSessionsToStop();
  int ActiveSessions() const;
  // The bound port of a role's listener, 0 when it is off.
  int port(Role role) const;

 private:
  asio::awaitable<void> Handle(Role role, asio::ip::tcp::socket socket);
  asio::awaitable<void> RejectBusy(asio::ip::tcp::socket socket);

  struct Live {
    std::weak_ptr<net::Stream> stream;
    asio::any_io_executor executor;
  };

  asio::io_context& io_;
  const Config& config_;
  std::shared_ptr<net::TlsContext> tls_;
  Backends backends_;
  Metrics* metrics_;
  net::ListenerLimits limits_;
  net::AuthLimiter* auth_limiter_;
  std::atomic<bool> stopping_{false};
  std::map<Role, std::unique_ptr<net::Listener>> listeners_;
  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, Live> live_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mail::smtp_ingress

#endif  // MAILSUITE_SERVICES_SMTP_INGRESS_SERVER_H_
