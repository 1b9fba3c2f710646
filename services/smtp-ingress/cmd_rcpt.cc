// RCPT TO (RFC 5321 §4.1.1.3): who we accept mail for. Port 25 takes only local
// recipients; an authenticated client may also relay to remote ones.
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/smtp/dsn.h"
#include "services/smtp-ingress/session.h"

namespace mail::smtp_ingress {

asio::awaitable<void> Session::CmdRcpt(const smtp::Command& cmd) {
  if (!in_mail_) {
    Reply(503, "5.5.1", "Error: need MAIL command");
    co_return;
  }
  rcpt_tried_ = true;
  if (static_cast<int>(rcpts_.size()) >= config_.max_recipients) {
    // RFC 5321 §4.5.3.1.10: 452 tells the client to send the rest in another
    // transaction.
    Reject("too_many_recipients");
    Reply(452, "4.5.3", "Error: too many recipients");
    co_return;
  }
  auto args = smtp::ParseRcptArgs(cmd.args, offers_smtputf8());
  if (!args.ok()) {
    if (absl::StartsWith(args.status().message(), "Syntax") ||
        absl::StartsWith(args.status().message(), "invalid parameter")) {
      Reply(501, "5.5.4", std::string(args.status().message()));
    } else {
      Reply(501, "5.1.3", absl::StrCat("Bad recipient address syntax: ", args.status().message()));
    }
    co_return;
  }
  // The recipient as it travels to Deliver/Enqueue, with its DSN parameters.
  v1::EnvelopeRecipient rcpt;
  std::set<std::string> seen;
  for (const smtp::EsmtpParam& p : args->params) {
    if (!seen.insert(p.keyword).second) {
      Reply(501, "5.5.4", absl::StrCat("Duplicate ", p.keyword, " parameter"));
      co_return;
    }
    if (!esmtp_) {
      Reply(555, "5.5.4", absl::StrCat("Unsupported option: ", p.keyword));
      co_return;
    }
    if (p.keyword == "NOTIFY") {
      auto n = smtp::ParseDsnNotify(p.value);
      if (!n.ok()) {
        Reply(501, "5.5.4", std::string(n.status().message()));
        co_return;
      }
      if (n->never) rcpt.add_notify(v1::DSN_NOTIFY_NEVER);
      if (n->success) rcpt.add_notify(v1::DSN_NOTIFY_SUCCESS);
      if (n->failure) rcpt.add_notify(v1::DSN_NOTIFY_FAILURE);
      if (n->delay) rcpt.add_notify(v1::DSN_NOTIFY_DELAY);
    } else if (p.keyword == "ORCPT") {
      auto o = smtp::ParseDsnOrcpt(p.value);
      if (!o.ok()) {
        Reply(501, "5.5.4", std::string(o.status().message()));
        co_return;
      }
      rcpt.set_orcpt(*o);
    } else {
      Reply(555, "5.5.4", absl::StrCat("Unsupported option: ", p.keyword));
      co_return;
    }
  }
  const mail::Mailbox& mb = args->path.mailbox;
  if (mb.utf8 && !smtputf8_) {
    Reply(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address");
    co_return;
  }
  // RFC 5321 §4.1.1.3: <Postmaster> without a domain is ours.
  std::string address = mb.ToString();
  if (mb.domain.empty()) {
    address = config_.postmaster_address.empty() ? absl::StrCat("postmaster@", config_.hostname)
                                                 : config_.postmaster_address;
  }
  std::string key = mail::AsciiLower(address);
  if (rcpt_keys_.count(key)) {
    Reply(250, "2.1.5", "Ok");  // a duplicate is accepted once and delivered once
    co_return;
  }

  v1::LookupRecipientRequest req;
  req.set_address(address);
  auto lookup = [&] { return backends_.mailbox.LookupRecipient(req); };
  auto resp = co_await WithRetry(lookup);
  if (!resp.ok()) {
    BackendError("LookupRecipient", resp.status());
    co_return;
  }
  switch (resp->kind()) {
    case v1::RECIPIENT_KIND_LOCAL: {
      if (resp->over_quota() && resp->accounts_size() == 1 && resp->forward_to_size() == 0) {
        Reject("mailbox_full");
        Reply(552, "5.2.2", "Mailbox full");
        co_return;
      }
      rcpt.set_address(address);
      if (resp->accounts_size() > 0 && local_keys_.insert(key).second) {
        local_rcpts_.push_back(rcpt);
      }
      // An alias that forwards to remote addresses: those go to the relay, with the
      // original envelope sender (no SRS yet) and, as RFC 3461 §6.2 asks of an
      // expansion, the address the client gave as ORCPT.
      for (const std::string& fwd : resp->forward_to()) {
        if (!remote_keys_.insert(mail::AsciiLower(fwd)).second) continue;
        v1::EnvelopeRecipient forwarded = rcpt;
        forwarded.set_address(fwd);
        if (forwarded.orcpt().empty()) {
          forwarded.set_orcpt(absl::StrCat("rfc822;", smtp::EncodeXtext(address)));
        }
        remote_rcpts_.push_back(std::move(forwarded));
      }
      break;
    }
    case v1::RECIPIENT_KIND_UNKNOWN_USER:
      Reject("unknown_user");
      base::LogInfo("unknown recipient", {{"session", id_}, {"rcpt", address}});
      Reply(550, "5.1.1", "User unknown");
      co_return;
    case v1::RECIPIENT_KIND_REMOTE:
      if (account_.empty()) {
        Reject("relay_denied");
        base::LogInfo("relay denied", {{"session", id_}, {"rcpt", address}});
        Reply(554, "5.7.1", "Relay access denied");
        co_return;
      }
      rcpt.set_address(address);
      if (remote_keys_.insert(key).second) remote_rcpts_.push_back(rcpt);
      break;
    default:
      BackendError("LookupRecipient", absl::InternalError("recipient kind unspecified"));
      co_return;
  }
  rcpt_keys_.insert(key);
  rcpts_.push_back(address);
  Reply(250, "2.1.5", "Ok");
}

}  // namespace mail::smtp_ingress
