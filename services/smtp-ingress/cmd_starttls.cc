// STARTTLS (RFC 3207): switch the connection to TLS, then forget everything the
// client said before it (§4.2), so nothing injected in plaintext survives.
#include "services/libs/base/log.h"
#include "services/smtp-ingress/session.h"

namespace mail::smtp_ingress {

asio::awaitable<void> Session::CmdStarttls(const smtp::Command& cmd) {
  if (!cmd.args.empty()) {
    Reply(501, "5.5.4", "Syntax: STARTTLS");
    co_return;
  }
  if (stream_->is_tls()) {
    Reply(503, "5.5.1", "Error: TLS already active");
    co_return;
  }
  if (!stream_->tls_available()) {
    Reply(502, "5.5.1", "Error: command not implemented");
    co_return;
  }
  if (stream_->buffered() > 0) {
    // Commands pipelined behind STARTTLS would be read as if they came under TLS
    // (CVE-2011-0411); refuse and close, as Postfix does.
    Reject("starttls_pipelining");
    CloseWith(554, "5.5.1", "Error: command pipelined after STARTTLS");
    co_return;
  }
  Reply(220, "2.0.0", "Ready to start TLS");
  bool ok = co_await Flush();  // not in the condition: GCC 12 miscompiles that
  if (!ok) {
    closing_ = true;
    co_return;
  }
  absl::Status st = co_await stream_->StartServerTls(config_.tls_handshake_timeout);
  if (!st.ok()) {
    base::LogInfo("STARTTLS handshake failed", {{"session", id_}, {"error", st.ToString()}});
    closing_ = true;
    co_return;
  }
  helo_.clear();
  esmtp_ = false;
  account_.clear();
  sender_addresses_.clear();
  sender_addresses_loaded_ = false;
  ResetTransaction();
}

}  // namespace mail::smtp_ingress
