// The POP3 listeners of one process: port 110-style (plain, STLS offered when a
// certificate is loaded) and implicit-TLS, a Session per connection, and the drain on
// shutdown: net::SessionServer with this protocol's names and over-limit reply.
#ifndef MAILSUITE_SERVICES_POP3_ACCESS_SERVER_H_
#define MAILSUITE_SERVICES_POP3_ACCESS_SERVER_H_

#include "services/libs/clients/mailbox_client.h"
#include "services/libs/net/session_server.h"
#include "services/libs/pop3/response.h"
#include "services/pop3-access/config.h"
#include "services/pop3-access/metrics.h"
#include "services/pop3-access/session.h"

namespace mail::pop3_access {

class Server : public net::SessionServer<Session, Config, clients::MailboxClient, Metrics> {
 public:
  Server(asio::io_context& io, const Config& config, clients::MailboxClient& mailbox,
         std::shared_ptr<net::TlsContext> tls, Metrics* metrics, net::ListenerLimits limits = {})
      : SessionServer(io, config, mailbox, std::move(tls), metrics, limits,
                      {"pop3", "pop3s", "POP3S",
                       pop3::Err("SYS/TEMP", "Too many connections, try again later")}) {}
};

}  // namespace mail::pop3_access

#endif  // MAILSUITE_SERVICES_POP3_ACCESS_SERVER_H_
