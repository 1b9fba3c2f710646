// The POP3 session loop and shared helpers; see session.h.
#include "services/pop3-access/session.h"

#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/base/uuid.h"
#include "services/libs/pop3/response.h"

namespace mail::pop3_access {
namespace {

// Write queued responses once this much is waiting, even if more commands are
// pipelined, so a RETR of a large message does not sit in memory twice.
constexpr size_t kFlushThreshold = 64 * 1024;

}  // namespace

Session::Session(const Config& config, bool implicit_tls, std::shared_ptr<net::Stream> stream,
                 clients::MailboxClient& mailbox, Metrics* metrics,
                 const std::atomic<bool>* stopping)
    : config_(config),
      implicit_tls_(implicit_tls),
      stream_(std::move(stream)),
      mailbox_(mailbox),
      metrics_(metrics),
      stopping_(stopping),
      id_(base::NewUuid()) {}

void Session::WakeForShutdown() {
  // Only between commands: nothing is half done, and no deletion is committed (a
  // session that does not reach QUIT deletes nothing, RFC 1939 §6).
  if (waiting_for_command_) stream_->Close();
}

void Session::Reply(std::string response) {
  if (!response.empty() && response[0] == '+') errors_ = 0;
  out_ += response;
}

void Session::Error(std::string_view code, std::string_view text) {
  ++errors_;
  out_ += pop3::Err(code, text);
}

asio::awaitable<bool> Session::Flush() {
  if (out_.empty()) co_return !stream_->closed();
  bool ok = co_await stream_->Write(out_);
  if (metrics_ != nullptr && ok) metrics_->BytesSent(out_.size());
  out_.clear();
  co_return ok;
}

asio::awaitable<void> Session::Run() {
  base::LogInfo("session started", {{"session", id_},
                                    {"client_ip", stream_->peer_ip()},
                                    {"port", implicit_tls_ ? "pop3s" : "pop3"}});
  if (implicit_tls_) {
    absl::Status tls = co_await stream_->StartServerTls(config_.tls_handshake_timeout);
    if (!tls.ok()) {
      base::LogInfo("TLS handshake failed", {{"session", id_}, {"error", tls.ToString()}});
      stream_->Close();
      co_return;
    }
  }
  // No APOP timestamp in the greeting: APOP is not offered (README.md SECURITY).
  Reply(pop3::Ok("mailsuite POP3 server ready"));
  std::string line;
  while (!closing_) {
    if (stream_->buffered() == 0 || out_.size() >= kFlushThreshold) {
      bool flushed = co_await Flush();  // not in the condition: GCC 12 miscompiles that
      if (!flushed) break;
    }
    // The drain sets the flag before it wakes sessions (on this strand), so between
    // the check and the read nothing can slip through.
    if (stopping_ != nullptr && stopping_->load() && !stream_->buffered()) break;
    waiting_for_command_ = true;
    net::ReadResult read =
        co_await stream_->ReadLine(&line, pop3::kMaxCommandLine, config_.idle_timeout);
    waiting_for_command_ = false;
    if (read == net::ReadResult::kClosed) break;
    if (read == net::ReadResult::kTimeout) {
      // RFC 1939 §3: an autologout timer expiry closes without entering UPDATE.
      Error("", "Autologout: idle for too long");
      closing_ = true;
      break;
    }
    if (stopping_ != nullptr && stopping_->load()) {
      Error("SYS/TEMP", "Server shutting down, try again later");
      closing_ = true;
      break;
    }
    if (lock_ != nullptr && lock_->lost()) {
      // Without the lock another session may open the maildrop: stop here, before
      // anything (a QUIT above all) is done on a maildrop that is no longer ours.
      base::LogWarning("maildrop lock lost", {{"session", id_}, {"account", account_}});
      Error("SYS/TEMP", "Maildrop lock lost, nothing was deleted; please log in again");
      closing_ = true;
      break;
    }
    if (read == net::ReadResult::kTooLong) {
      Error("", "Command line too long (RFC 2449: 255 octets at most)");
    } else if (absl::StatusOr<pop3::Command> cmd = pop3::ParseCommand(line); !cmd.ok()) {
      Error("", std::string(cmd.status().message()));
    } else {
      co_await Dispatch(*cmd);
    }
    if (errors_ >= config_.max_errors) {
      Error("", "Too many errors, closing connection");
      closing_ = true;
    }
  }
  co_await Flush();
  stream_->Close();
  lock_.reset();  // after QUIT's deletions are committed (RFC 1939 §6)
  base::LogInfo("session ended", {{"session", id_}, {"account", account_}});
}

asio::awaitable<void> Session::Dispatch(const pop3::Command& cmd) {
  using pop3::Verb;
  // Commands valid in any state.
  switch (cmd.verb) {
    case Verb::kCapa:
      CmdCapa();
      co_return;
    case Verb::kQuit:
      co_await CmdQuit();
      co_return;
    case Verb::kUnknown:
      Error("", absl::StrCat("Unknown command ", cmd.keyword));
      co_return;
    default:
      break;
  }
  if (state_ == State::kAuthorization) {
    switch (cmd.verb) {
      case Verb::kStls:
        co_await CmdStls();
        co_return;
      case Verb::kUser:
        CmdUser(cmd);
        co_return;
      case Verb::kPass:
        co_await CmdPass(cmd);
        co_return;
      case Verb::kAuth:
        co_await CmdAuth(cmd);
        co_return;
      case Verb::kApop:
        CmdApop();
        co_return;
      default:
        Error("", absl::StrCat(cmd.keyword, " is not valid before login"));
        co_return;
    }
  }
  switch (cmd.verb) {
    case Verb::kStat:
      CmdStat();
      break;
    case Verb::kList:
      CmdList(cmd);
      break;
    case Verb::kRetr:
      co_await CmdRetr(cmd);
      break;
    case Verb::kTop:
      co_await CmdTop(cmd);
      break;
    case Verb::kDele:
      CmdDele(cmd);
      break;
    case Verb::kRset:
      CmdRset();
      break;
    case Verb::kUidl:
      CmdUidl(cmd);
      break;
    case Verb::kNoop:
      Reply(pop3::Ok(""));
      break;
    default:
      Error("", absl::StrCat(cmd.keyword, " is not valid after login"));
      break;
  }
}

}  // namespace mail::pop3_access
