// AUTHENTICATE (RFC 3501 §6.2.2) with the PLAIN mechanism (RFC 4616), with or
// without an initial response (RFC 4959 SASL-IR).
#include "absl/strings/ascii.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/response.h"
#include "services/libs/imap/sasl.h"

namespace mail::imap_access {
namespace {

// A PLAIN response is a few hundred octets; this bounds what a client can make us hold.
constexpr size_t kMaxSaslLine = 8192;

}  // namespace

asio::awaitable<void> Session::CmdAuthenticate(const imap::Command& cmd) {
  if (cmd.args.empty() || cmd.args.size() > 2 || !cmd.args[0].IsAtom() ||
      (cmd.args.size() == 2 && !cmd.args[1].IsAtom())) {
    Tagged(cmd, "BAD", "", "Usage: AUTHENTICATE mechanism [initial-response]");
    co_return;
  }
  if (absl::AsciiStrToUpper(cmd.args[0].value) != "PLAIN") {
    Tagged(cmd, "NO", "", "Unsupported authentication mechanism (use PLAIN)");
    co_return;
  }
  if (!plaintext_auth_allowed()) {
    Tagged(cmd, "NO", "PRIVACYREQUIRED",
           "Plaintext authentication is disabled without TLS: use STARTTLS or IMAPS (port 993)");
    co_return;
  }
  std::string response;
  if (cmd.args.size() == 2) {
    response = cmd.args[1].value;
  } else {
    // An empty challenge; the client answers with one line of base64.
    Send(imap::Continuation(""));
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
      Tagged(cmd, "BAD", "", "Authentication response too long");
      co_return;
    }
    if (response == "*") {
      Tagged(cmd, "BAD", "", "Authentication cancelled");
      co_return;
    }
  }
  absl::StatusOr<imap::PlainCredentials> creds = imap::DecodeSaslPlain(response);
  if (!creds.ok()) {
    Tagged(cmd, "BAD", "", std::string(creds.status().message()));
    co_return;
  }
  if (!creds->authzid.empty() && creds->authzid != creds->authcid) {
    Tagged(cmd, "NO", "AUTHORIZATIONFAILED", "Acting as another user is not allowed");
    co_return;
  }
  co_await Login(cmd, creds->authcid, creds->password);
}

}  // namespace mail::imap_access
