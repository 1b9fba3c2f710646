// The command loop; see session.h. Replies are queued and written when the client
// has nothing more pipelined (RFC 2920 §3.2: a server flushes when its input is
// empty), before any wait for the client.
#include "services/smtp-ingress/session.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/base/uuid.h"
#include "services/libs/rpc/status_map.h"

namespace mail::smtp_ingress {
namespace {

constexpr size_t kMaxQueuedReplies = 64 * 1024;

// The connection's reverse DNS lookup, beside the session on its strand. Everything it
// touches is owned by `state` or outlives the session (the DNS client, the metrics),
// and the session waits for it before it ends (FinishReverseDns).
asio::awaitable<void> RunReverseDns(clients::DnsClient* dns, std::string ip,
                                    std::chrono::milliseconds budget,
                                    std::shared_ptr<ReverseDnsState> state, Metrics* metrics) {
  ReverseDnsResult result = co_await LookUpClientName(*dns, std::move(ip), budget);
  if (metrics != nullptr) metrics->ReverseDns(result.result);
  state->result = std::move(result);
  state->done = true;
  state->wake.cancel();
}

}  // namespace

Session::Session(const Config& config, Role role, std::shared_ptr<net::Stream> stream,
                 Backends backends, Metrics* metrics, const std::atomic<bool>* stopping,
                 net::AuthLimiter* auth_limiter)
    : config_(config),
      role_(role),
      stream_(std::move(stream)),
      backends_(backends),
      metrics_(metrics),
      stopping_(stopping),
      auth_limiter_(auth_limiter),
      id_(base::NewUuid().substr(0, 8)) {}

bool Session::offers_auth() const {
  // RFC 4954 §4 / ARCHITECTURE.md §6: never on port 25, and never before TLS.
  if (role_ == Role::kMx) return false;
  return stream_->is_tls() || config_.allow_plaintext_auth;
}

bool Session::offers_starttls() const { return !stream_->is_tls() && stream_->tls_available(); }

void Session::Reply(int code, std::string_view enhanced, std::string_view text) {
  Reply(smtp::Reply::Make(code, enhanced, text));
}

void Session::Reply(const smtp::Reply& reply) {
  out_ += reply.ToString();
  if (metrics_ != nullptr) metrics_->Reply(reply.code);
  // Client mistakes count towards the error limit; our own temporary failures
  // (421, 451) do not.
  if (reply.code >= 400 && reply.code != 421 && reply.code != 451) ++errors_;
}

void Session::Reject(std::string_view reason) {
  if (metrics_ != nullptr) metrics_->Rejection(reason);
}

void Session::BackendError(std::string_view what, const absl::Status& status) {
  rpc::SmtpReply r = rpc::SmtpReplyForError(status);
  base::LogWarning("backend call failed", {{"session", id_},
                                           {"call", std::string(what)},
                                           {"error", status.ToString()},
                                           {"reply", absl::StrCat(r.code)}});
  Reject("backend_error");
  Reply(r.code, r.enhanced, r.text);
}

void Session::CloseWith(int code, std::string_view enhanced, std::string_view text) {
  Reply(code, enhanced, absl::StrCat(config_.hostname, " ", std::string(text)));
  closing_ = true;
}

asio::awaitable<bool> Session::Flush() {
  if (out_.empty()) co_return !stream_->closed();
  std::string data;
  data.swap(out_);
  co_return co_await stream_->Write(data);
}

void Session::ResetTransaction() {
  in_mail_ = false;
  sender_ = mail::Path();
  smtputf8_ = false;
  declared_size_ = 0;
  ret_ = v1::DSN_RET_UNSPECIFIED;
  bdat_ = false;
  bdat_too_large_ = false;
  std::string().swap(bdat_body_);
  bdat_received_ = 0;
  envid_.clear();
  rcpt_tried_ = false;
  rcpts_.clear();
  local_rcpts_.clear();
  remote_rcpts_.clear();
  rcpt_keys_.clear();
  local_keys_.clear();
  remote_keys_.clear();
}

asio::awaitable<bool> Session::GreetPause() {
  // A real MTA waits for the 220 (RFC 5321 §3.1, §4.3.1); spamware that fires its
  // commands at once gives itself away. Partial lines count as talking too.
  std::string line;
  bool crlf = true;
  net::ReadResult r =
      co_await stream_->ReadLine(&line, smtp::kMaxReadLine, config_.greet_pause, &crlf);
  if (r == net::ReadResult::kClosed) co_return false;
  if (r == net::ReadResult::kTimeout && stream_->buffered() == 0) {
    co_return true;  // quiet, or woken by the drain (Run says 421 then)
  }
  base::LogInfo("client talked before the greeting",
                {{"session", id_}, {"client_ip", stream_->peer_ip()}});
  Reject("early_talker");
  stream_->DiscardBuffered();
  CloseWith(554, "5.5.0", "Error: SMTP protocol synchronization");
  co_return true;
}

void Session::StartReverseDns(const asio::any_io_executor& executor) {
  reverse_dns_ = std::make_shared<ReverseDnsState>(executor);
  clients::DnsClient* dns =
      backends_.reverse_dns != nullptr ? backends_.reverse_dns : &backends_.dns;
  asio::co_spawn(
      executor,
      RunReverseDns(dns, stream_->peer_ip(), config_.reverse_dns_timeout, reverse_dns_, metrics_),
      asio::detached);
}

asio::awaitable<std::string> Session::ClientName() {
  std::shared_ptr<ReverseDnsState> state = reverse_dns_;
  if (state == nullptr) co_return "unknown";
  if (!state->done) {
    // Normally over long before DATA; a slow DNS costs this message at most the rest
    // of the timeout, and the client is then "unknown" (never a 4xx for it).
    state->wake.expires_at(state->started + config_.reverse_dns_timeout);
    std::error_code ec;
    co_await state->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!state->done) {
    if (metrics_ != nullptr) metrics_->ReverseDns("late");
    base::LogInfo("reverse DNS lookup too slow, client is unknown",
                  {{"session", id_}, {"client_ip", stream_->peer_ip()}});
    co_return "unknown";
  }
  co_return state->result.name.empty() ? "unknown" : state->result.name;
}

asio::awaitable<void> Session::FinishReverseDns() {
  std::shared_ptr<ReverseDnsState> state = reverse_dns_;
  if (state == nullptr || state->done) co_return;
  // The lookup makes at most 1 + kMaxPtrNamesChecked calls, each bounded by the DNS
  // client's deadline (the reverse DNS timeout in production); this bound is a backstop.
  state->wake.expires_after(config_.reverse_dns_timeout * (2 + kMaxPtrNamesChecked) +
                            std::chrono::seconds(1));
  std::error_code ec;
  co_await state->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> Session::Run() {
  const std::string peer = stream_->peer_ip();
  base::LogInfo(
      "connect",
      {{"session", id_}, {"listener", std::string(RoleName(role_))}, {"client_ip", peer}});
  if (metrics_ != nullptr) {
    metrics_->Connection(role_);
    metrics_->SessionStarted();
  }
  if (config_.reverse_dns_timeout.count() > 0) {
    // Started before TLS and the greeting so that it overlaps them and EHLO.
    asio::any_io_executor executor = co_await asio::this_coro::executor;
    StartReverseDns(executor);
  }
  bool ok = true;
  if (role_ == Role::kSubmissions) {
    // RFC 8314 §3.3: implicit TLS; the handshake comes before the greeting.
    absl::Status st = co_await stream_->StartServerTls(config_.tls_handshake_timeout);
    if (!st.ok()) {
      base::LogInfo("TLS handshake failed", {{"session", id_}, {"error", st.ToString()}});
      ok = false;
    }
  }
  if (ok && role_ == Role::kMx && config_.greet_pause.count() > 0) {
    ok = co_await GreetPause();
  }
  if (ok && !closing_) {
    if (stopping_ != nullptr && stopping_->load()) {
      CloseWith(421, "4.3.2", "Service shutting down");
    } else {
      // RFC 5321 §4.2: the greeting carries no enhanced code.
      Reply(220, "", absl::StrCat(config_.hostname, " ESMTP mailsuite"));
    }
  }
  while (ok && !closing_) {
    if (stream_->buffered() == 0 && stopping_ != nullptr && stopping_->load()) {
      // Draining and nothing pipelined: don't wait for the next command.
      CloseWith(421, "4.3.2", "Service shutting down");
      break;
    }
    // Flush when the client has nothing more pipelined, and also when replies pile up
    // (a client that sends without reading must not grow our memory; it stalls on
    // the write and times out instead).
    if (stream_->buffered() == 0 || out_.size() > kMaxQueuedReplies) {
      bool flushed = co_await Flush();  // not in the condition: GCC 12 miscompiles that
      if (!flushed) break;
    }
    std::string line;
    bool crlf = true;
    net::ReadResult r =
        co_await stream_->ReadLine(&line, smtp::kMaxReadLine, config_.idle_timeout, &crlf);
    if (r == net::ReadResult::kClosed) break;
    if (r == net::ReadResult::kTimeout && stopping_ != nullptr && stopping_->load()) {
      CloseWith(421, "4.3.2", "Service shutting down");  // woken by the drain
      break;
    }
    if (r == net::ReadResult::kTimeout) {
      // RFC 5321 §4.5.3.2.7: the server may close an idle session; say why first.
      CloseWith(421, "4.4.2", "Error: timeout exceeded");
      Reject("timeout");
      break;
    }
    if (stopping_ != nullptr && stopping_->load()) {
      CloseWith(421, "4.3.2", "Service shutting down");
      break;
    }
    if (r == net::ReadResult::kTooLong) {
      Reject("line_too_long");
      Reply(500, "5.5.2", "Error: line too long");
    } else {
      smtp::Command cmd = smtp::ParseCommand(line);
      if (line.size() > smtp::MaxLineLength(cmd.verb)) {
        Reject("line_too_long");
        Reply(500, "5.5.2", "Error: line too long");
      } else if (line.find('\0') != std::string::npos) {
        Reject("bad_command");
        Reply(500, "5.5.2", "Error: NUL character in command");
      } else {
        switch (cmd.verb) {
          case smtp::Verb::kHelo:
          case smtp::Verb::kEhlo:
            co_await CmdHelo(cmd);
            break;
          case smtp::Verb::kMail:
            co_await CmdMail(cmd);
            break;
          case smtp::Verb::kRcpt:
            co_await CmdRcpt(cmd);
            break;
          case smtp::Verb::kData:
            co_await CmdData(cmd);
            break;
          case smtp::Verb::kBdat:
            co_await CmdBdat(cmd);
            break;
          case smtp::Verb::kAuth:
            co_await CmdAuth(cmd);
            break;
          case smtp::Verb::kStarttls:
            co_await CmdStarttls(cmd);
            break;
          default:
            CmdSimple(cmd);
            break;
        }
      }
    }
    if (!closing_ && errors_ >= config_.max_errors) {
      Reject("too_many_errors");
      CloseWith(421, "4.7.0", "Error: too many errors");
    }
  }
  co_await Flush();
  stream_->Close();
  co_await FinishReverseDns();
  if (metrics_ != nullptr) metrics_->SessionEnded();
  base::LogInfo("disconnect", {{"session", id_}, {"client_ip", peer}});
}

}  // namespace mail::smtp_ingress
