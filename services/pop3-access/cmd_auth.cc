// AUTHORIZATION state: CAPA (RFC 2449), STLS (RFC 2595), USER/PASS (RFC 1939 §7),
// AUTH PLAIN (RFC 5034), APOP (refused), and the login shared by PASS and AUTH.
#include <algorithm>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/net/auth_limiter.h"
#include "services/libs/pop3/response.h"
#include "services/libs/pop3/sasl.h"
#include "services/libs/rpc/status_map.h"
#include "services/pop3-access/session.h"

namespace mail::pop3_access {
namespace {

// SASL continuation lines are not commands: RFC 5034 §4 lets them be longer than the
// 255-octet command limit. PLAIN needs little; this bounds memory.
constexpr size_t kMaxSaslLine = 4096;

constexpr std::string_view kPlaintextRefused =
    "Plaintext authentication is disabled without TLS: use STLS first, or POP3S (port 995)";

}  // namespace

bool Session::plaintext_auth_allowed() const {
  return stream_->is_tls() || config_.allow_plaintext_auth;
}

void Session::CmdCapa() {
  std::string caps = "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
  if (state_ == State::kAuthorization) {
    // RFC 2449 §6.2/6.3: offer only what would be accepted now, so a client never
    // sends a password in clear because we listed USER.
    if (plaintext_auth_allowed()) caps += "USER\r\nSASL PLAIN\r\n";
    if (stream_->tls_available() && !stream_->is_tls()) caps += "STLS\r\n";
  }
  absl::StrAppend(&caps, "IMPLEMENTATION ", config_.implementation, "\r\n");
  std::string out = pop3::Ok("Capability list follows");
  pop3::AppendMultiline(&out, caps);
  Reply(std::move(out));
}

asio::awaitable<void> Session::CmdStls() {
  if (stream_->is_tls()) {
    Error("", "TLS is already active");
    co_return;
  }
  if (!stream_->tls_available()) {
    Error("", "STLS is not available: no TLS certificate configured");
    co_return;
  }
  Reply(pop3::Ok("Begin TLS negotiation"));
  bool flushed = co_await Flush();  // not in the condition: GCC 12 miscompiles that
  if (!flushed) {
    closing_ = true;
    co_return;
  }
  // RFC 2595 §4 / RFC 3207 §4.2: whatever the client pipelined after STLS was sent in
  // clear and may have been injected; it must not be run inside TLS.
  stream_->DiscardBuffered();
  absl::Status tls = co_await stream_->StartServerTls(config_.tls_handshake_timeout);
  if (!tls.ok()) {
    base::LogInfo("STLS handshake failed", {{"session", id_}, {"error", tls.ToString()}});
    closing_ = true;
    co_return;
  }
  // A new start: nothing said in clear carries over.
  user_.clear();
}

void Session::CmdUser(const pop3::Command& cmd) {
  if (!plaintext_auth_allowed()) {
    Error("AUTH", kPlaintextRefused);
    return;
  }
  if (cmd.args.size() != 1) {
    Error("", "Usage: USER name");
    return;
  }
  user_ = cmd.args[0];
  // The same answer for every name: USER does not reveal which accounts exist.
  Reply(pop3::Ok("Send PASS"));
}

asio::awaitable<void> Session::CmdPass(const pop3::Command& cmd) {
  if (!plaintext_auth_allowed()) {
    Error("AUTH", kPlaintextRefused);
    co_return;
  }
  if (user_.empty()) {
    Error("", "Send USER first");
    co_return;
  }
  if (cmd.rest.empty()) {
    Error("", "Usage: PASS password");
    co_return;
  }
  std::string user = std::move(user_);
  user_.clear();
  co_await Login(user, cmd.rest);
}

asio::awaitable<void> Session::CmdAuth(const pop3::Command& cmd) {
  if (cmd.args.empty()) {
    // Pre-CAPA clients (and Outlook) list the mechanisms with a bare AUTH.
    std::string out = pop3::Ok("Mechanisms follow");
    pop3::AppendMultiline(&out, plaintext_auth_allowed() ? "PLAIN\r\n" : "");
    Reply(std::move(out));
    co_return;
  }
  if (!plaintext_auth_allowed()) {
    Error("AUTH", kPlaintextRefused);
    co_return;
  }
  if (absl::AsciiStrToUpper(cmd.args[0]) != "PLAIN") {
    Error("", "Unsupported authentication mechanism (use PLAIN)");
    co_return;
  }
  if (cmd.args.size() > 2) {
    Error("", "Usage: AUTH PLAIN [initial-response]");
    co_return;
  }
  std::string response;
  if (cmd.args.size() == 2) {
    response = cmd.args[1];
  } else {
    Reply("+ \r\n");
    bool flushed = co_await Flush();  // not in the condition: GCC 12 miscompiles that
    if (!flushed) {
      closing_ = true;
      co_return;
    }
    net::ReadResult read =
        co_await stream_->ReadLine(&response, kMaxSaslLine, config_.idle_timeout);
    if (read == net::ReadResult::kClosed || read == net::ReadResult::kTimeout) {
      closing_ = true;
      co_return;
    }
    if (read == net::ReadResult::kTooLong) {
      Error("", "Authentication response too long");
      co_return;
    }
    if (response == "*") {
      Error("", "Authentication cancelled");
      co_return;
    }
  }
  absl::StatusOr<pop3::PlainCredentials> creds = pop3::DecodeSaslPlain(response);
  if (!creds.ok()) {
    Error("", std::string(creds.status().message()));
    co_return;
  }
  if (!creds->authzid.empty() && creds->authzid != creds->authcid) {
    Error("AUTH", "Acting as another user is not allowed");
    co_return;
  }
  co_await Login(creds->authcid, creds->password);
}

void Session::CmdApop() {
  // README.md SECURITY: APOP needs recoverable passwords and rests on MD5.
  Error("",
        "APOP is not offered (it needs recoverable passwords and rests on MD5): "
        "use STLS or POP3S (port 995), then USER/PASS or AUTH PLAIN");
}

asio::awaitable<bool> Session::PassAuthLimits(const std::string& user) {
  net::AuthLimiter* limiter = config_.auth_limiter;
  if (limiter == nullptr) co_return true;
  if (limiter->IpBlocked(stream_->peer_ip())) {
    if (metrics_ != nullptr) metrics_->Login("refused");
    base::LogInfo("login refused: too many failures from this address",
                  {{"session", id_}, {"client_ip", stream_->peer_ip()}});
    // [SYS/TEMP] (RFC 3206): the refusal passes; [AUTH] would tell the client its
    // password is wrong, which this answer does not know.
    Error("SYS/TEMP", "Too many failed logins from your address, try again later");
    closing_ = true;
    co_return false;
  }
  // An account with recent failures answers slowly whatever the password, so the
  // delay tells a guesser nothing (net/auth_limiter.h).
  const absl::Duration slow = limiter->AccountDelay(user);
  if (slow > absl::ZeroDuration()) {
    asio::steady_timer pause(co_await asio::this_coro::executor,
                             std::chrono::milliseconds(absl::ToInt64Milliseconds(slow)));
    std::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return true;
}

asio::awaitable<void> Session::Login(const std::string& user, const std::string& password) {
  bool allowed = co_await PassAuthLimits(user);
  if (!allowed) co_return;
  net::AuthLimiter* limiter = config_.auth_limiter;
  v1::AuthenticateRequest request;
  request.set_username(user);
  request.set_password(password);
  request.set_client_ip(stream_->peer_ip());
  absl::StatusOr<v1::AuthenticateResponse> auth = co_await mailbox_.Authenticate(request);
  if (!auth.ok()) {
    if (metrics_ != nullptr) metrics_->Login("error");
    base::LogWarning("authentication backend failed",
                     {{"session", id_}, {"error", auth.status().ToString()}});
    Error(rpc::Pop3CodeForError(auth.status()),
          "Authentication is temporarily unavailable, try again later");
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
    if (auth_failures_ >= config_.max_auth_failures) {
      Error("AUTH", "Authentication failed; too many failures, closing connection");
      closing_ = true;
    } else {
      Error("AUTH", "Authentication failed");
    }
    co_return;
  }
  if (limiter != nullptr) limiter->Success(user);
  // RFC 1939 §8: exclusive access to the maildrop, across every pop3-access replica
  // (mailbox-store holds a PostgreSQL advisory lock while this stream stays open).
  // Taken before the snapshot, so the snapshot cannot race another session's QUIT.
  absl::StatusOr<std::unique_ptr<clients::MaildropLock>> lock =
      co_await mailbox_.HoldMaildropLock(auth->account());
  if (!lock.ok()) {
    std::string code = rpc::Pop3CodeForError(lock.status());
    if (metrics_ != nullptr) metrics_->Login(code == "IN-USE" ? "in_use" : "error");
    base::LogInfo(
        "maildrop lock refused",
        {{"session", id_}, {"account", auth->account()}, {"error", lock.status().ToString()}});
    if (code == "IN-USE") {
      Error(code, "maildrop already locked: another POP3 session is open, try again later");
    } else {
      Error(code, "Cannot lock the mailbox now, try again later");
    }
    co_return;
  }
  v1::ListMessagesRequest list;
  list.set_account(auth->account());
  list.set_mailbox("INBOX");
  absl::StatusOr<v1::ListMessagesResponse> snapshot = co_await mailbox_.ListMessages(list);
  if (!snapshot.ok()) {
    if (metrics_ != nullptr) metrics_->Login("error");
    base::LogWarning(
        "cannot open maildrop",
        {{"session", id_}, {"account", auth->account()}, {"error", snapshot.status().ToString()}});
    Error("SYS/TEMP", "Cannot open the mailbox now, try again later");
    co_return;
  }
  if (metrics_ != nullptr) metrics_->Login("success");
  lock_ = *std::move(lock);
  account_ = auth->account();
  uidvalidity_ = snapshot->uidvalidity();
  messages_.clear();
  messages_.reserve(snapshot->messages_size());
  for (const auto& info : snapshot->messages()) {
    messages_.push_back(Message{info.uid(), info.size(), false});
  }
  state_ = State::kTransaction;
  uint32_t count;
  uint64_t octets;
  CountVisible(&count, &octets);
  base::LogInfo("logged in", {{"session", id_},
                              {"account", account_},
                              {"messages", std::to_string(count)},
                              {"tls", stream_->is_tls() ? "yes" : "no"}});
  Reply(pop3::Ok(absl::StrCat("Logged in, ", count, " messages (", octets, " octets)")));
}

}  // namespace mail::pop3_access
