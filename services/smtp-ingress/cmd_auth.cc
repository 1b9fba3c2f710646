// AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms, checked against
// mailbox-store. Offered only on the submission ports and only under TLS. Each
// failure slows the session down a little more, and counts towards its error limit.
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/smtp/sasl.h"
#include "services/smtp-ingress/session.h"

namespace mail::smtp_ingress {

asio::awaitable<bool> Session::ReadSaslLine(std::string* out) {
  bool ok = co_await Flush();  // not in the condition: GCC 12 miscompiles that
  if (!ok) {
    closing_ = true;
    co_return false;
  }
  net::ReadResult r = co_await stream_->ReadLine(out, smtp::kMaxAuthLine, config_.idle_timeout);
  if (r == net::ReadResult::kClosed) {
    closing_ = true;
    co_return false;
  }
  if (r == net::ReadResult::kTimeout) {
    CloseWith(421, "4.4.2", "Error: timeout exceeded");
    co_return false;
  }
  if (r == net::ReadResult::kTooLong) {
    Reply(500, "5.5.2", "Error: line too long");
    co_return false;
  }
  if (*out == "*") {
    // RFC 4954 §4: the client cancels the exchange.
    Reply(501, "5.7.0", "Authentication aborted");
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> Session::CmdAuth(const smtp::Command& cmd) {
  if (role_ == Role::kMx) {
    Reply(503, "5.5.1", "Error: authentication not enabled");
    co_return;
  }
  if (!offers_auth()) {
    Reject("auth_needs_tls");
    Reply(538, "5.7.11", "Encryption required for requested authentication mechanism");
    co_return;
  }
  if (!esmtp_) {
    Reply(503, "5.5.1", "Error: send EHLO first");
    co_return;
  }
  if (auth_limiter_ != nullptr && auth_limiter_->IpBlocked(stream_->peer_ip())) {
    Reject("auth_rate_limited");
    if (metrics_ != nullptr) metrics_->Auth("refused");
    base::LogInfo("AUTH refused: too many failures from this address",
                  {{"session", id_}, {"client_ip", stream_->peer_ip()}});
    CloseWith(421, "4.7.0", "Error: too many failed authentications, try again later");
    co_return;
  }
  if (!account_.empty()) {
    Reply(503, "5.5.1", "Error: already authenticated");
    co_return;
  }
  if (in_mail_) {
    Reply(503, "5.5.1", "Error: MAIL transaction in progress");
    co_return;
  }
  std::string_view args = cmd.args;
  size_t sp = args.find(' ');
  std::string mech = absl::AsciiStrToUpper(std::string(args.substr(0, sp)));
  bool has_initial = sp != std::string_view::npos;
  std::string initial = has_initial ? std::string(args.substr(sp + 1)) : "";
  if (mech.empty()) {
    Reply(501, "5.5.4", "Syntax: AUTH mechanism");
    co_return;
  }

  if (mech == "PLAIN") {
    std::string response;
    if (has_initial) {
      response = initial == "=" ? "" : initial;  // "=" is an empty initial response
    } else {
      Reply(334, "", "");
      bool ok = co_await ReadSaslLine(&response);  // not in the condition: GCC 12 miscompiles that
      if (!ok) co_return;
    }
    auto plain = smtp::DecodeSaslPlain(response);
    if (!plain.ok()) {
      Reply(501, "5.5.2", "Cannot decode response");
      co_return;
    }
    co_await FinishAuth(plain->authzid, plain->authcid, plain->password);
    co_return;
  }
  if (mech == "LOGIN") {
    std::string user64, pass64;
    if (has_initial) {
      user64 = initial;
    } else {
      Reply(334, "", smtp::EncodeBase64("Username:"));
      bool ok = co_await ReadSaslLine(&user64);  // not in the condition: GCC 12 miscompiles that
      if (!ok) co_return;
    }
    auto user = smtp::DecodeBase64(user64);
    if (!user.ok()) {
      Reply(501, "5.5.2", "Cannot decode response");
      co_return;
    }
    Reply(334, "", smtp::EncodeBase64("Password:"));
    bool ok = co_await ReadSaslLine(&pass64);  // not in the condition: GCC 12 miscompiles that
    if (!ok) co_return;
    auto pass = smtp::DecodeBase64(pass64);
    if (!pass.ok()) {
      Reply(501, "5.5.2", "Cannot decode response");
      co_return;
    }
    co_await FinishAuth("", *user, *pass);
    co_return;
  }
  Reply(504, "5.5.4", "Unrecognized authentication type");
}

asio::awaitable<void> Session::FinishAuth(std::string_view authzid, const std::string& user,
                                          const std::string& password) {
  bool ok = false;
  std::string account;
  // Acting for someone else (an authzid other than the user) is not supported.
  if (authzid.empty() || mail::SameAddress(authzid, user)) {
    // An account with recent failures answers slowly, right or wrong password alike,
    // so the delay tells an attacker nothing (auth_limiter.h).
    absl::Duration slow =
        auth_limiter_ != nullptr ? auth_limiter_->AccountDelay(user) : absl::ZeroDuration();
    if (slow > absl::ZeroDuration()) {
      asio::steady_timer pause(co_await asio::this_coro::executor,
                               std::chrono::milliseconds(absl::ToInt64Milliseconds(slow)));
      std::error_code ec;
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    v1::AuthenticateRequest req;
    req.set_username(user);
    req.set_password(password);
    req.set_client_ip(stream_->peer_ip());
    auto authenticate = [&] { return backends_.mailbox.Authenticate(req); };
    auto resp = co_await WithRetry(authenticate);
    if (!resp.ok()) {
      if (metrics_ != nullptr) metrics_->Auth("error");
      BackendError("Authenticate", resp.status());
      co_return;
    }
    ok = resp->authenticated();
    account = resp->account().empty() ? user : resp->account();
  }
  if (!ok) {
    ++auth_failures_;
    if (auth_limiter_ != nullptr) auth_limiter_->Failure(stream_->peer_ip(), user);
    if (metrics_ != nullptr) metrics_->Auth("failure");
    Reject("auth_failed");
    base::LogInfo("authentication failed",
                  {{"session", id_}, {"client_ip", stream_->peer_ip()}, {"user", user}});
    if (config_.auth_failure_delay.count() > 0) {
      asio::steady_timer pause(co_await asio::this_coro::executor,
                               config_.auth_failure_delay * std::min(auth_failures_, 5));
      std::error_code ec;
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    Reply(535, "5.7.8", "Error: authentication failed");
    co_return;
  }
  if (auth_limiter_ != nullptr) auth_limiter_->Success(user);
  account_ = account;
  sender_addresses_.clear();
  sender_addresses_loaded_ = false;
  if (metrics_ != nullptr) metrics_->Auth("success");
  base::LogInfo("authenticated", {{"session", id_}, {"account", account_}});
  Reply(235, "2.7.0", "Authentication successful");
}

}  // namespace mail::smtp_ingress
