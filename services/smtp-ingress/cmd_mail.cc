// MAIL FROM (RFC 5321 §4.1.1.2) with SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8
// (RFC 6531), RET/ENVID (RFC 3461) and AUTH= (RFC 4954 §5); the submission policy: AUTH first, and
// only senders the account owns (ARCHITECTURE.md §6).
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/smtp/dsn.h"
#include "services/smtp-ingress/session.h"

namespace mail::smtp_ingress {
namespace {

bool IsSyntaxReason(const absl::Status& status) {
  return absl::StartsWith(status.message(), "Syntax") ||
         absl::StartsWith(status.message(), "invalid parameter");
}

}  // namespace

asio::awaitable<void> Session::CmdMail(const smtp::Command& cmd) {
  if (helo_.empty()) {
    Reply(503, "5.5.1", "Error: send HELO/EHLO first");
    co_return;
  }
  if (in_mail_) {
    Reply(503, "5.5.1", "Error: nested MAIL command");
    co_return;
  }
  if (role_ != Role::kMx && account_.empty()) {
    Reject("auth_required");
    Reply(530, "5.7.0", "Authentication required");
    co_return;
  }
  auto args = smtp::ParseMailArgs(cmd.args, offers_smtputf8());
  if (!args.ok()) {
    if (IsSyntaxReason(args.status())) {
      Reply(501, "5.5.4", std::string(args.status().message()));
    } else {
      Reply(501, "5.1.7", absl::StrCat("Bad sender address syntax: ", args.status().message()));
    }
    co_return;
  }
  bool smtputf8 = false;
  size_t declared = 0;
  v1::DsnRet ret = v1::DSN_RET_UNSPECIFIED;
  std::string envid;
  std::set<std::string> seen;
  for (const smtp::EsmtpParam& p : args->params) {
    if (!seen.insert(p.keyword).second) {
      Reply(501, "5.5.4", absl::StrCat("Duplicate ", p.keyword, " parameter"));
      co_return;
    }
    if (!esmtp_) {
      // RFC 5321 §4.1.1.11: parameters need EHLO.
      Reply(555, "5.5.4", absl::StrCat("Unsupported option: ", p.keyword));
      co_return;
    }
    if (p.keyword == "SIZE") {
      uint64_t n = 0;
      if (!p.has_value || p.value.size() > 20 || !absl::SimpleAtoi(p.value, &n)) {
        Reply(501, "5.5.4", "Bad SIZE parameter");
        co_return;
      }
      // RFC 1870 §6.3: refuse at MAIL time when the declared size is over the limit.
      if (n > config_.max_message_size) {
        Reject("message_too_large");
        Reply(552, "5.3.4", "Message size exceeds fixed limit");
        co_return;
      }
      declared = static_cast<size_t>(n);
    } else if (p.keyword == "BODY") {
      std::string v = absl::AsciiStrToUpper(p.value);
      if (v != "7BIT" && v != "8BITMIME") {
        Reply(501, "5.5.4", "Bad BODY parameter");
        co_return;
      }
    } else if (p.keyword == "SMTPUTF8") {
      if (p.has_value) {
        Reply(501, "5.5.4", "Bad SMTPUTF8 parameter");
        co_return;
      }
      smtputf8 = true;
    } else if (p.keyword == "RET") {
      auto r = smtp::ParseDsnRet(p.value);
      if (!r.ok()) {
        Reply(501, "5.5.4", std::string(r.status().message()));
        co_return;
      }
      ret = *r == smtp::DsnRet::kFull ? v1::DSN_RET_FULL : v1::DSN_RET_HEADERS;
    } else if (p.keyword == "ENVID") {
      auto e = smtp::ParseDsnEnvid(p.value);
      if (!e.ok()) {
        Reply(501, "5.5.4", std::string(e.status().message()));
        co_return;
      }
      envid = *std::move(e);
    } else if (p.keyword == "AUTH") {
      // RFC 4954 §5: an identity asserted by a trusted client; we trust none, so
      // it is accepted and ignored.
    } else {
      Reply(555, "5.5.4", absl::StrCat("Unsupported option: ", p.keyword));
      co_return;
    }
  }
  if (!args->path.null && args->path.mailbox.utf8 && !smtputf8) {
    // RFC 6531 §3.4: UTF-8 in the envelope needs the SMTPUTF8 parameter.
    Reply(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address");
    co_return;
  }
  const std::string sender = args->path.null ? "" : args->path.mailbox.ToString();

  if (!account_.empty() && !args->path.null) {
    // The null sender claims no address, so it is allowed (autoresponders).
    if (!sender_addresses_loaded_) {
      v1::ListSenderAddressesRequest req;
      req.set_account(account_);
      auto list = [&] { return backends_.mailbox.ListSenderAddresses(req); };
      auto resp = co_await WithRetry(list);
      if (!resp.ok()) {
        BackendError("ListSenderAddresses", resp.status());
        co_return;
      }
      sender_addresses_.assign(resp->addresses().begin(), resp->addresses().end());
      sender_addresses_loaded_ = true;
    }
    bool owned = false;
    for (const std::string& a : sender_addresses_) {
      if (mail::SameAddress(a, sender)) owned = true;
    }
    if (!owned) {
      Reject("sender_not_owned");
      base::LogInfo("sender not owned",
                    {{"session", id_}, {"account", account_}, {"sender", sender}});
      Reply(553, "5.7.1", "Sender address rejected: not owned by user");
      co_return;
    }
  }

  if (config_.check_sender_domain && role_ == Role::kMx && !args->path.null &&
      args->path.mailbox.domain.front() != '[') {
    v1::ResolveMxRequest req;
    req.set_domain(args->path.mailbox.domain);
    auto resp = co_await backends_.dns.ResolveMx(req);
    if (!resp.ok() || resp->outcome() == v1::DNS_OUTCOME_TEMPORARY_FAILURE ||
        resp->outcome() == v1::DNS_OUTCOME_UNSPECIFIED) {
      Reject("sender_domain_tempfail");
      Reply(451, "4.4.3", "Sender address rejected: domain lookup failed, try again later");
      co_return;
    }
    // An existing name without MX or address records still exists (NO_DATA):
    // only NXDOMAIN is "domain not found".
    if (resp->outcome() == v1::DNS_OUTCOME_NXDOMAIN) {
      Reject("sender_domain_unknown");
      Reply(550, "5.1.8", "Sender address rejected: domain not found");
      co_return;
    }
  }

  in_mail_ = true;
  sender_ = args->path;
  smtputf8_ = smtputf8;
  declared_size_ = declared;
  ret_ = ret;
  envid_ = std::move(envid);
  Reply(250, "2.1.0", "Ok");
}

}  // namespace mail::smtp_ingress
