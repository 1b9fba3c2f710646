// NAMESPACE (RFC 2342): one personal namespace, no prefix, "/" as the delimiter; no
// shared or other users' namespaces.
#include "services/imap-access/session.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdNamespace(const imap::Command& cmd) {
  if (!cmd.args.empty()) {
    Tagged(cmd, "BAD", "", "NAMESPACE takes no arguments");
    co_return;
  }
  Send(imap::Untagged("NAMESPACE ((\"\" \"/\")) NIL NIL"));
  Tagged(cmd, "OK", "", "NAMESPACE completed");
}

}  // namespace mail::imap_access
