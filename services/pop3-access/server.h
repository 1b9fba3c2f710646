// The POP3 listeners of one process: port 110-style (plain, STLS offered when a
// certificate is loaded) and 995-style (implicit TLS), a Session per connection, and
// the drain on shutdown. Listen/StopAccepting/AskSessionsToStop from any thread; the
// io_context, config, client, TLS context and metrics must outlive the server.
#ifndef MAILSUITE_SERVICES_POP3_ACCESS_SERVER_H_
#define MAILSUITE_SERVICES_POP3_ACCESS_SERVER_H_

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/net/listener.h"
#include "services/libs/net/tls.h"
#include "services/pop3-access/config.h"
#include "services/pop3-access/metrics.h"
#include "services/pop3-access/session.h"

namespace mail::pop3_access {

class Server {
 public:
  // `tls` may be null: then STLS is not offered and implicit TLS cannot listen.
  // `metrics` may be null (tests).
  Server(asio::io_context& io, const Config& config, clients::MailboxClient& mailbox,
         std::shared_ptr<net::TlsContext> tls, Metrics* metrics, net::ListenerLimits limits = {});
  ~Server();

  // Binds `address` and starts accepting; returns the port (for "host:0").
  absl::StatusOr<int> Listen(const std::string& address, bool implicit_tls);
  void StopAccepting();
  // Sets the stopping flag and closes the sessions that wait for a command.
  void AskSessionsToStop();
  int active_sessions() const;

 private:
  asio::awaitable<void> Handle(asio::ip::tcp::socket socket, bool implicit_tls);

  asio::io_context& io_;
  const Config& config_;
  clients::MailboxClient& mailbox_;
  std::shared_ptr<net::TlsContext> tls_;
  Metrics* metrics_;
  net::ListenerLimits limits_;
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<net::Listener>> listeners_;

  struct Entry {
    asio::any_io_executor executor;
    std::weak_ptr<Session> session;
  };
  mutable absl::Mutex mu_;
  std::map<const Session*, Entry> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mail::pop3_access

#endif  // MAILSUITE_SERVICES_POP3_ACCESS_SERVER_H_
