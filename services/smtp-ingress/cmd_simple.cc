// The commands that need no backend: RSET, NOOP, QUIT, VRFY, EXPN, HELP, and the
// reply to anything unknown (RFC 5321 §4.1.1.5-4.1.1.10, §4.2.4).
#include "absl/strings/str_cat.h"
#include "services/smtp-ingress/session.h"

namespace mail::smtp_ingress {

void Session::CmdSimple(const smtp::Command& cmd) {
  if (cmd.verb == smtp::Verb::kRset || cmd.verb == smtp::Verb::kNoop ||
      cmd.verb == smtp::Verb::kVrfy || cmd.verb == smtp::Verb::kHelp) {
    // Postfix's smtpd_junk_command_limit: a client may idle along on these commands
    // for ever without an error, so past the limit each one counts towards
    // --max_errors, and the session ends with 421 4.7.0.
    if (++junk_commands_ > config_.max_junk_commands) ++errors_;
  }
  switch (cmd.verb) {
    case smtp::Verb::kRset:
      if (!cmd.args.empty()) {
        Reply(501, "5.5.4", "Syntax: RSET");
        return;
      }
      ResetTransaction();
      Reply(250, "2.0.0", "Ok");
      return;
    case smtp::Verb::kNoop:
      // RFC 5321 §4.1.1.9: a parameter, if any, is ignored.
      Reply(250, "2.0.0", "Ok");
      return;
    case smtp::Verb::kQuit:
      Reply(221, "2.0.0", "Bye");
      closing_ = true;
      return;
    case smtp::Verb::kVrfy:
      if (cmd.args.empty()) {
        Reply(501, "5.5.4", "Syntax: VRFY address");
        return;
      }
      // RFC 5321 §3.5.3: 252 neither confirms nor denies; user enumeration stays closed.
      Reply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
      return;
    case smtp::Verb::kExpn:
      Reply(502, "5.5.1", "Error: command not implemented");
      return;
    case smtp::Verb::kHelp:
      Reply(214, "2.0.0",
            "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH");
      return;
    default:
      Reject("bad_command");
      Reply(500, "5.5.2", "Error: command not recognized");
      return;
  }
}

}  // namespace mail::smtp_ingress
