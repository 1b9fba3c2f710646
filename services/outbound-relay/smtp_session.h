// One outbound SMTP session to one address of one MX host: connect, EHLO (HELO as a
// fallback), opportunistic STARTTLS, MAIL FROM, RCPT TO for each recipient, DATA, QUIT.
// Runs as a coroutine on the caller's strand; the session owns its connection.
#ifndef MAILSUITE_SERVICES_OUTBOUND_RELAY_SMTP_SESSION_H_
#define MAILSUITE_SERVICES_OUTBOUND_RELAY_SMTP_SESSION_H_

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/outbound-relay/smtp_client.h"

namespace mail::net {
class Stream;
}

namespace mail::outbound_relay {

// A greeted connection after a complete transaction, kept for the next message to the
// same address.
struct IdleConnection {
  std::shared_ptr<net::Stream> stream;
  asio::any_io_executor executor;  // the strand that owns the stream
  EhloCapabilities caps;
  bool tls = false;
  absl::Time since;
};

// Idle SMTP connections kept for a short while so the next delivery to the same address
// skips connect, greeting, EHLO and TLS (Postfix's connection cache,
// smtp_connection_cache_time_limit). Thread-safe; a connection must only be used from its
// own strand, so callers put the strand into the key (SessionOptions::pool_shard).
// Destroy the pool only when no io thread runs.
class ConnectionPool {
 public:
  ConnectionPool(absl::Duration idle_time, size_t max_idle)
      : idle_time_(idle_time), max_idle_(max_idle) {}
  ~ConnectionPool();
  std::optional<IdleConnection> Take(const std::string& key);
  void Put(const std::string& key, IdleConnection connection);
  void CloseAll();

 private:
  void ReapLocked(absl::Time now);
  const absl::Duration idle_time_;
  const size_t max_idle_;
  std::mutex mu_;
  std::multimap<std::string, IdleConnection> idle_;
};

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
  // Local address to bind before connecting (--source_addresses), when of the same
  // family as the destination.
  std::optional<asio::ip::address> source;
  // Where complete sessions leave their connection for reuse; null: QUIT every time.
  ConnectionPool* pool = nullptr;
  size_t pool_shard = 0;  // the caller's strand, part of the pool key
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
SmtpReply LocalReply(std::string enhanced, std::string text, std::string cause = "");

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_SMTP_SESSION_H_
