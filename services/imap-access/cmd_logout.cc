// LOGOUT (RFC 3501 §6.1.3): "* BYE", the tagged OK, then the connection closes.
#include "services/imap-access/session.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdLogout(const imap::Command& cmd) {
  if (!cmd.args.empty()) {
    Tagged(cmd, "BAD", "", "LOGOUT takes no arguments");
    co_return;
  }
  Send(imap::UntaggedStatus("BYE", "", "Logging out"));
  Tagged(cmd, "OK", "", "LOGOUT completed");
  closing_ = true;
  co_return;
}

}  // namespace mail::imap_access
