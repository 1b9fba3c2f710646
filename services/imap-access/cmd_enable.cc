// ENABLE (RFC 5161): extensions a client turns on. This server enables
// - UTF8=ACCEPT (RFC 6855): mailbox names in UTF-8 instead of modified UTF-7;
// - IMAP4rev2 (RFC 9051): from then on the session follows IMAP4rev2 where it differs
//   from IMAP4rev1 (RFC 9051 Appendix E): mailbox names in UTF-8 (so UTF8=ACCEPT too),
//   no \Recent flag and no RECENT response, SEARCH answered with ESEARCH, SELECT and
//   EXAMINE send a LIST response and no UNSEEN code, STATUS RECENT is gone and the
//   SEARCH keys RECENT, NEW and OLD no longer exist.
// Anything else is ignored, as RFC 5161 §3.1 requires for capabilities the server does
// not support; "* ENABLED" lists only what this command turned on.
#include "absl/strings/ascii.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdEnable(const imap::Command& cmd) {
  if (cmd.args.empty()) {
    Tagged(cmd, "BAD", "", "Usage: ENABLE capability...");
    co_return;
  }
  // RFC 5161 §3.1 / RFC 9051 §6.3.1: only in the authenticated state. \Recent and
  // message sequence numbers already sent cannot change rules under the client.
  if (selected_) {
    Tagged(cmd, "BAD", "", "ENABLE is only valid before a mailbox is selected");
    co_return;
  }
  std::string enabled;
  for (const imap::Arg& a : cmd.args) {
    if (!a.IsAtom()) {
      Tagged(cmd, "BAD", "", "ENABLE takes capability names");
      co_return;
    }
    const std::string name = absl::AsciiStrToUpper(a.value);
    if (name == "UTF8=ACCEPT" && !utf8_) {
      utf8_ = true;
      enabled += " UTF8=ACCEPT";
    } else if (name == "IMAP4REV2" && !rev2_) {
      rev2_ = true;
      // RFC 9051 §5.1: IMAP4rev2 names are UTF-8; this also answers a later
      // ENABLE UTF8=ACCEPT with nothing new.
      utf8_ = true;
      enabled += " IMAP4rev2";
    }
  }
  Send(imap::Untagged("ENABLED" + enabled));
  Tagged(cmd, "OK", "", "ENABLE completed");
}

}  // namespace mail::imap_access
