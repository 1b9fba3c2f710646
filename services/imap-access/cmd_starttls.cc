// STARTTLS (RFC 3501 §6.2.1, RFC 2595): the switch to TLS on the plain port.
#include "services/imap-access/session.h"
#include "services/libs/base/log.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdStarttls(const imap::Command& cmd) {
  if (!cmd.args.empty()) {
    Tagged(cmd, "BAD", "", "STARTTLS takes no arguments");
    co_return;
  }
  if (stream_->is_tls()) {
    Tagged(cmd, "BAD", "", "TLS is already active");
    co_return;
  }
  if (!stream_->tls_available()) {
    Tagged(cmd, "NO", "", "STARTTLS is not available: no TLS certificate configured");
    co_return;
  }
  Tagged(cmd, "OK", "", "Begin TLS negotiation now");
  bool flushed = co_await Flush();  // not in the condition: GCC 12 miscompiles that
  if (!flushed) {
    closing_ = true;
    co_return;
  }
  // Anything pipelined after STARTTLS came in clear and may be an attacker's
  // injection (CVE-2011-0411 class): it must not run inside the TLS session.
  stream_->DiscardBuffered();
  absl::Status tls = co_await stream_->StartServerTls(config_.tls_handshake_timeout);
  if (!tls.ok()) {
    base::LogInfo("STARTTLS handshake failed", {{"session", id_}, {"error", tls.ToString()}});
    closing_ = true;
  }
  // RFC 3501 §6.2.1: the client must forget the capabilities it learnt; nothing else
  // of the session carries state from before TLS.
}

}  // namespace mail::imap_access
