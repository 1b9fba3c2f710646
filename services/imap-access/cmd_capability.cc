// CAPABILITY (RFC 3501 §6.1.1): what this server offers in the current state.
#include "absl/strings/str_cat.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

bool Session::plaintext_auth_allowed() const {
  return stream_->is_tls() || config_.allow_plaintext_auth;
}

std::string Session::Capabilities() const {
  // Only what is implemented: clients act on every word of this list.
  // IMAP4rev2 (RFC 9051 §7.2.2): both revisions; a client picks rev2 with ENABLE.
  std::string caps =
      "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR CHILDREN SPECIAL-USE UNSELECT "
      "LIST-EXTENDED LIST-STATUS";
  if (state_ != kNotAuthenticated) {
    absl::StrAppend(&caps,
                    " ID ENABLE IDLE NAMESPACE UIDPLUS MOVE QUOTA QUOTA=RES-STORAGE STATUS=SIZE "
                    "ESEARCH SEARCHRES BINARY UTF8=ACCEPT APPENDLIMIT=",
                    config_.limits.max_literal);
  }
  if (state_ == kNotAuthenticated) {
    if (stream_->tls_available() && !stream_->is_tls()) caps += " STARTTLS";
    // RFC 3501 §6.2.3 / §7.2.1: LOGINDISABLED while a password would travel in clear,
    // and no AUTH= mechanism that sends one.
    caps += plaintext_auth_allowed() ? " AUTH=PLAIN" : " LOGINDISABLED";
  }
  return caps;
}

asio::awaitable<void> Session::CmdCapability(const imap::Command& cmd) {
  if (!cmd.args.empty()) {
    Tagged(cmd, "BAD", "", "CAPABILITY takes no arguments");
    co_return;
  }
  Send(imap::Untagged("CAPABILITY " + Capabilities()));
  Tagged(cmd, "OK", "", "CAPABILITY completed");
}

}  // namespace mail::imap_access
