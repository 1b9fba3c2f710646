// LOGIN (RFC 3501 §6.2.3), and the login shared with AUTHENTICATE: the failed-login
// limiter shared with smtp-ingress (net::AuthLimiter: an IP with too many failures is
// refused, an account with failures answers slowly, right or wrong password alike) and
// the per-account session limit (account_sessions.h).
#include <algorithm>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/imap-access/account_sessions.h"
#include "services/imap-access/session.h"
#include "services/libs/base/log.h"
#include "services/libs/imap/response.h"
#include "services/libs/net/auth_limiter.h"
#include "services/libs/rpc/status_map.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdLogin(const imap::Command& cmd) {
  if (cmd.args.size() != 2 || !cmd.args[0].IsAstring() || !cmd.args[1].IsAstring()) {
    Tagged(cmd, "BAD", "", "Usage: LOGIN user password");
    co_return;
  }
  if (!plaintext_auth_allowed()) {
    Tagged(cmd, "NO", "PRIVACYREQUIRED",
           "Plaintext authentication is disabled without TLS: use STARTTLS or IMAPS (port 993)");
    co_return;
  }
  co_await Login(cmd, cmd.args[0].value, cmd.args[1].value);
}

asio::awaitable<void> Session::Login(const imap::Command& cmd, const std::string& user,
                                     const std::string& password) {
  net::AuthLimiter* limiter = config_.auth_limiter;
  if (limiter != nullptr && limiter->IpBlocked(stream_->peer_ip())) {
    if (metrics_ != nullptr) metrics_->Login("refused");
    base::LogInfo("login refused: too many failures from this address",
                  {{"session", id_}, {"client_ip", stream_->peer_ip()}});
    Tagged(cmd, "NO", "UNAVAILABLE", "Too many failed logins from your address, try again later");
    Send(imap::UntaggedStatus("BYE", "", "Too many failed logins"));
    closing_ = true;
    co_return;
  }
  // An account with recent failures answers slowly whatever the password, so the
  // delay tells a guesser nothing (net/auth_limiter.h).
  const absl::Duration slow =
      limiter != nullptr ? limiter->AccountDelay(user) : absl::ZeroDuration();
  if (slow > absl::ZeroDuration()) {
    asio::steady_timer pause(co_await asio::this_coro::executor,
                             std::chrono::milliseconds(absl::ToInt64Milliseconds(slow)));
    std::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  v1::AuthenticateRequest request;
  request.set_username(user);
  request.set_password(password);
  request.set_client_ip(stream_->peer_ip());
  absl::StatusOr<v1::AuthenticateResponse> auth = co_await mailbox_.Authenticate(request);
  if (!auth.ok()) {
    if (metrics_ != nullptr) metrics_->Login("error");
    BackendError(cmd, "Authenticate", auth.status());
    co_return;
  }
  if (!auth->authenticated()) {
    if (metrics_ != nullptr) metrics_->Login("failure");
    if (limiter != nullptr) limiter->Failure(stream_->peer_ip(), user);
    ++auth_failures_;
    base::LogInfo("login failed",
                  {{"session", id_}, {"client_ip", stream_->peer_ip()}, {"user", user}});
    // Slow down guessing; the delay grows with the failures of this session.
    auto delay = config_.auth_failure_delay * std::min(auth_failures_, 5);
    if (delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, delay);
      std::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    Tagged(cmd, "NO", "AUTHENTICATIONFAILED", "Authentication failed");
    if (auth_failures_ >= config_.max_auth_failures) {
      Send(imap::UntaggedStatus("BYE", "", "Too many authentication failures"));
      closing_ = true;
    }
    co_return;
  }
  if (limiter != nullptr) limiter->Success(user);
  AccountSessions* slots = config_.account_sessions;
  if (slots != nullptr && !slots->TryAcquire(auth->account())) {
    // The password was right; only the number of sessions stands in the way
    // (RFC 5530 LIMIT). The session stays unauthenticated and may try again.
    if (metrics_ != nullptr) metrics_->SessionLimited("account");
    base::LogInfo("login refused: too many sessions for the account",
                  {{"session", id_}, {"account", auth->account()}});
    Tagged(cmd, "NO", "LIMIT",
           absl::StrCat("Too many sessions for this account (", slots->max_per_account(),
                        "); log out of another one first"));
    co_return;
  }
  holds_account_slot_ = slots != nullptr;
  if (metrics_ != nullptr) metrics_->Login("success");
  account_ = auth->account();
  state_ = kAuthenticated;
  base::LogInfo(
      "logged in",
      {{"session", id_}, {"account", account_}, {"tls", stream_->is_tls() ? "yes" : "no"}});
  // RFC 3501 §6.2.3: the capabilities may change at login; say them now.
  Tagged(cmd, "OK", "CAPABILITY " + Capabilities(), "Logged in");
}

}  // namespace mail::imap_access
