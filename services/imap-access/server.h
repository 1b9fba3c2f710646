// The IMAP listeners of one process: port 143-style (plain, STARTTLS offered when a
// certificate is loaded) and implicit-TLS, a Session per connection, and the drain on
// shutdown: net::SessionServer with this protocol's names and over-limit reply.
#ifndef MAILSUITE_SERVICES_IMAP_ACCESS_SERVER_H_
#define MAILSUITE_SERVICES_IMAP_ACCESS_SERVER_H_

#include "services/imap-access/config.h"
#include "services/imap-access/metrics.h"
#include "services/imap-access/session.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/imap/response.h"
#include "services/libs/net/session_server.h"

namespace mail::imap_access {

class Server : public net::SessionServer<Session, Config, clients::MailboxClient, Metrics> {
 public:
  Server(asio::io_context& io, const Config& config, clients::MailboxClient& mailbox,
         std::shared_ptr<net::TlsContext> tls, Metrics* metrics, net::ListenerLimits limits = {})
      : SessionServer(
            io, config, mailbox, std::move(tls), metrics, limits,
            {"imap", "imaps", "IMAPS",
             imap::UntaggedStatus("BYE", "UNAVAILABLE", "Too many connections, try again later")}) {
  }
};

}  // namespace mail::imap_access

#endif  // MAILSUITE_SERVICES_IMAP_ACCESS_SERVER_H_
