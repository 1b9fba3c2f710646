// One SMTP session (RFC 5321) on one connection: the command loop, the state of the
// session and of its current mail transaction, and the hand-off to mailbox-store and
// outbound-relay. Runs as one coroutine on the connection's strand; it owns its
// Stream and borrows the backend clients, the config and the metrics, which must
// outlive it. Each command's handler lives in its own cmd_*.cc file.
#ifndef MAILSUITE_SERVICES_SMTP_INGRESS_SESSION_H_
#define MAILSUITE_SERVICES_SMTP_INGRESS_SESSION_H_

#include <asio/awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mail/v1/types.pb.h"
#include "services/libs/clients/dns_client.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/clients/relay_client.h"
#include "services/libs/mail/address.h"
#include "services/libs/net/auth_limiter.h"
#include "services/libs/net/stream.h"
#include "services/libs/smtp/command.h"
#include "services/libs/smtp/reply.h"
#include "services/smtp-ingress/config.h"
#include "services/smtp-ingress/metrics.h"
#include "services/smtp-ingress/reverse_dns.h"

namespace mail::smtp_ingress {

struct Backends {
  clients::MailboxClient& mailbox;
  clients::RelayClient& relay;
  clients::DnsClient& dns;
  // For the client's reverse DNS lookup, whose calls should have a short deadline;
  // null uses `dns`.
  clients::DnsClient* reverse_dns = nullptr;
};

class Session {
 public:
  // `metrics` and `auth_limiter` may be null (tests). `stopping` turns true when the
  // server drains: the session answers its next command with 421 4.3.2 and closes.
  Session(const Config& config, Role role, std::shared_ptr<net::Stream> stream, Backends backends,
          Metrics* metrics, const std::atomic<bool>* stopping,
          net::AuthLimiter* auth_limiter = nullptr);

  // Greets, serves commands until QUIT, a fatal error, a timeout or the peer going
  // away, then closes the connection. Implicit TLS (465) is done here first.
  asio::awaitable<void> Run();

  const std::string& id() const { return id_; }

 private:
  // Command handlers (cmd_*.cc). Each queues its replies with Reply().
  asio::awaitable<void> CmdHelo(const smtp::Command& cmd);  // HELO and EHLO
  asio::awaitable<void> CmdMail(const smtp::Command& cmd);
  asio::awaitable<void> CmdRcpt(const smtp::Command& cmd);
  asio::awaitable<void> CmdData(const smtp::Command& cmd);
  asio::awaitable<void> CmdBdat(const smtp::Command& cmd);
  asio::awaitable<void> CmdAuth(const smtp::Command& cmd);
  asio::awaitable<void> CmdStarttls(const smtp::Command& cmd);
  void CmdSimple(const smtp::Command& cmd);  // RSET NOOP QUIT VRFY EXPN HELP, unknown

  // --greet_pause on port 25: false when the client went away; sets closing_ when it
  // talked before the greeting.
  asio::awaitable<bool> GreetPause();

  // Reverse DNS of the client (reverse_dns.h): started at connect; ClientName waits
  // for it until config_.reverse_dns_timeout after connect, then gives up. Returns the
  // forward-confirmed name or "unknown" (Postfix's word for it in Received:).
  void StartReverseDns(const asio::any_io_executor& executor);
  asio::awaitable<std::string> ClientName();
  // At the end of the session: the lookup still running must not outlive the objects
  // it borrows (bounded by the DNS client's deadline).
  asio::awaitable<void> FinishReverseDns();

  // DATA helpers (cmd_data.cc).
  asio::awaitable<smtp::Reply> HandOff(std::string body, size_t received_size);
  // AUTH helpers (cmd_auth.cc).
  asio::awaitable<void> FinishAuth(std::string_view authzid, const std::string& user,
                                   const std::string& password);
  asio::awaitable<bool> ReadSaslLine(std::string* out);

  // Awaits `call()` (a backend call returning awaitable<StatusOr<T>>), retrying while
  // it fails with UNAVAILABLE within config_.backend_retry_window. `call` must outlive
  // the await (pass a named lambda: GCC 12 mishandles temporaries in co_await).
  template <typename Call>
  auto WithRetry(const Call& call) -> decltype(call());

  // Queues a reply; counts it and, for errors, the session's error budget.
  void Reply(int code, std::string_view enhanced, std::string_view text);
  void Reply(const smtp::Reply& reply);
  // Queues the reply for a failed backend call (rpc/status_map.h) and logs it.
  void BackendError(std::string_view what, const absl::Status& status);
  // Counts a refusal for the metrics.
  void Reject(std::string_view reason);
  // Writes queued replies. False when the connection is gone.
  asio::awaitable<bool> Flush();
  // 421 and close (time out, too many errors, shutting down).
  void CloseWith(int code, std::string_view enhanced, std::string_view text);

  void ResetTransaction();
  bool offers_auth() const;
  bool offers_starttls() const;
  bool offers_smtputf8() const { return true; }

  const Config& config_;
  const Role role_;
  std::shared_ptr<net::Stream> stream_;
  Backends backends_;
  Metrics* metrics_;
  const std::atomic<bool>* stopping_;
  net::AuthLimiter* auth_limiter_;
  std::string id_;

  std::string out_;                               // replies not yet written (pipelining, RFC 2920)
  std::shared_ptr<ReverseDnsState> reverse_dns_;  // null when the lookup is off
  bool closing_ = false;
  int errors_ = 0;
  int junk_commands_ = 0;  // RSET NOOP VRFY HELP in this session

  // Session state (reset by STARTTLS, RFC 3207 §4.2).
  std::string helo_;
  bool esmtp_ = false;
  std::string account_;  // authenticated account; empty when not authenticated
  std::vector<std::string> sender_addresses_;  // what account_ may use as sender
  bool sender_addresses_loaded_ = false;
  int auth_failures_ = 0;

  // The mail transaction (reset by RSET, HELO/EHLO, a finished DATA).
  bool in_mail_ = false;
  mail::Path sender_;
  bool smtputf8_ = false;
  size_t declared_size_ = 0;
  v1::DsnRet ret_ = v1::DSN_RET_UNSPECIFIED;  // RFC 3461 RET
  std::string envid_;                         // RFC 3461 ENVID, decoded
  bool rcpt_tried_ = false;
  std::vector<std::string> rcpts_;  // accepted RCPT addresses, in order, de-duplicated
  // Where they go: local ones to Deliver, remote ones (and remote alias targets) to
  // Enqueue. The keys sets hold lowercased addresses for de-duplication.
  std::vector<v1::EnvelopeRecipient> local_rcpts_, remote_rcpts_;
  std::set<std::string> rcpt_keys_, local_keys_, remote_keys_;
  // CHUNKING (RFC 3030): the message so far when it comes in BDAT chunks.
  bool bdat_ = false;
  bool bdat_too_large_ = false;
  std::string bdat_body_;
  size_t bdat_received_ = 0;
};

template <typename Call>
auto Session::WithRetry(const Call& call) -> decltype(call()) {
  auto result = co_await call();
  std::chrono::milliseconds waited(0), pause(200);
  while (!result.ok() && result.status().code() == absl::StatusCode::kUnavailable &&
         waited < config_.backend_retry_window && !(stopping_ != nullptr && stopping_->load())) {
    pause = std::min(pause, config_.backend_retry_window - waited);
    asio::steady_timer timer(co_await asio::this_coro::executor, pause);
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    waited += pause;
    pause *= 2;
    result = co_await call();
  }
  co_return result;
}

}  // namespace mail::smtp_ingress

#endif  // MAILSUITE_SERVICES_SMTP_INGRESS_SESSION_H_
