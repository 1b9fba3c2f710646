// NOOP (RFC 3501 §6.1.2) and CHECK (§6.4.1): with a mailbox selected, the moment to
// report what other sessions changed (new mail, expunges, flags).
#include "services/imap-access/session.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdNoop(const imap::Command& cmd) {
  if (!cmd.args.empty()) {
    Tagged(cmd, "BAD", "", cmd.name + " takes no arguments");
    co_return;
  }
  co_await SyncSelected();
  Tagged(cmd, "OK", "", cmd.name + " completed");
}

}  // namespace mail::imap_access
