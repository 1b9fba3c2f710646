// ENABLE (RFC 5161): extensions a client turns on. This server enables UTF8=ACCEPT
// (RFC 6855: mailbox names in UTF-8 instead of modified UTF-7); others are ignored, as
// RFC 5161 §3.1 requires for capabilities the server does not support.
#include "absl/strings/ascii.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdEnable(const imap::Command& cmd) {
  if (cmd.args.empty()) {
    Tagged(cmd, "BAD", "", "Usage: ENABLE capability...");
    co_return;
  }
  std::string enabled;
  for (const imap::Arg& a : cmd.args) {
    if (!a.IsAtom()) {
      Tagged(cmd, "BAD", "", "ENABLE takes capability names");
      co_return;
    }
    if (absl::AsciiStrToUpper(a.value) == "UTF8=ACCEPT" && !utf8_) {
      utf8_ = true;
      enabled += " UTF8=ACCEPT";
    }
  }
  Send(imap::Untagged("ENABLED" + enabled));
  Tagged(cmd, "OK", "", "ENABLE completed");
}

}  // namespace mail::imap_access
