// One outbound SMTP session to one address of one MX host: connect, EHLO (HELO as a
// fallback), opportunistic STARTTLS, MAIL FROM, RCPT TO for each recipient, DATA, QUIT.
// Runs as a coroutine on the caller's strand; the session owns its connection.
#ifndef MAILSUITE_SERVICES_OUTBOUND_RELAY_SMTP_SESSION_H_
#define MAILSUITE_SERVICES_OUTBOUND_RELAY_SMTP_SESSION_H_

#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/outbound-relay/smtp_client.h"

namespace mail::outbound_relay {

struct SessionOptions {
  std::string helo_name;  // our host name for EHLO/HELO
  int port = 25;
  absl::Duration connect_timeout = absl::Seconds(30);
  // Per reply; the final "." reply gets twice this (RFC 5321 §4.5.3.2 suggests 5 and
  // 10 minutes).
  absl::Duration command_timeout = absl::Minutes(5);
  // Nothing waits past this (the job's lease must not run out mid-session).
  absl::Time deadline = absl::InfiniteFuture();
  bool try_starttls = true;
  std::shared_ptr<asio::ssl::context> tls;  // client context; null disables STARTTLS
};

struct OutboundMessage {
  std::string sender;                 // "" for <>
  const std::string* body = nullptr;  // not owned
  bool smtputf8 = false;
  std::vector<std::string> recipients;
};

struct SessionResult {
  // True when the server answered for every recipient (accepted, deferred or refused
  // it): per_recipient then has one reply each, in order. False when the session
  // ended before that (connection failure, a greeting/EHLO/MAIL that is not a
  // permanent refusal, a lost connection): `failure` says why, and the next address
  // or MX host should be tried (RFC 5321 §5.1).
  bool answered = false;
  std::vector<SmtpReply> per_recipient;
  SmtpReply failure;
  bool tls = false;         // the transaction ran over TLS
  bool tls_failed = false;  // the STARTTLS handshake failed: retry without TLS
  bool reached_mail = false;
};

asio::awaitable<SessionResult> RunSmtpSession(const asio::ip::address& ip,
                                              const std::string& mx_host,
                                              const OutboundMessage& message,
                                              const SessionOptions& options);

// A reply made up by the relay (no SMTP reply exists: DNS, connection, TLS). Code 0;
// its class comes from the enhanced code.
SmtpReply LocalReply(std::string enhanced, std::string text);

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_SMTP_SESSION_H_
