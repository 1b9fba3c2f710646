// HELO and EHLO (RFC 5321 §4.1.1.1) and the ESMTP extensions we advertise.
#include "absl/strings/str_cat.h"
#include "services/smtp-ingress/session.h"

namespace mail::smtp_ingress {

asio::awaitable<void> Session::CmdHelo(const smtp::Command& cmd) {
  bool ehlo = cmd.verb == smtp::Verb::kEhlo;
  if (cmd.args.empty()) {
    Reply(501, "5.5.4", ehlo ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
    co_return;
  }
  // RFC 5321 §4.1.4: a second HELO/EHLO ends any transaction in progress, as RSET.
  ResetTransaction();
  helo_ = cmd.args.substr(0, cmd.args.find(' '));
  esmtp_ = ehlo;
  if (!ehlo) {
    Reply(250, "", config_.hostname);
    co_return;
  }
  smtp::Reply r = smtp::Reply::Make(250, "", config_.hostname);
  r.AddLine("PIPELINING");                                     // RFC 2920
  r.AddLine(absl::StrCat("SIZE ", config_.max_message_size));  // RFC 1870
  if (offers_starttls()) r.AddLine("STARTTLS");                // RFC 3207
  if (offers_auth()) r.AddLine("AUTH PLAIN LOGIN");            // RFC 4954
  r.AddLine("ENHANCEDSTATUSCODES");                            // RFC 2034
  r.AddLine("8BITMIME");                                       // RFC 6152
  r.AddLine("DSN");                                            // RFC 3461
  r.AddLine("CHUNKING");                                       // RFC 3030
  if (offers_smtputf8()) r.AddLine("SMTPUTF8");                // RFC 6531
  Reply(r);
  co_return;
}

}  // namespace mail::smtp_ingress
