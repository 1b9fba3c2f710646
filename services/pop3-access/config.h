// pop3-access settings, validated from flags in main.cc; read-only once sessions run,
// so every session and thread may read it without locking.
#ifndef MAILSUITE_SERVICES_POP3_ACCESS_CONFIG_H_
#define MAILSUITE_SERVICES_POP3_ACCESS_CONFIG_H_

#include <chrono>
#include <string>

namespace mail::net {
class AuthLimiter;
}

namespace mail::pop3_access {

struct Config {
  // RFC 1939 §3: the autologout timer must be at least 10 minutes.
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(10);
  std::chrono::milliseconds tls_handshake_timeout = std::chrono::seconds(30);
  // USER/PASS and AUTH before TLS. Off by default: the password would cross the
  // network in clear (RFC 2595 §2.5, RFC 8314).
  bool allow_plaintext_auth = false;
  // Pause before answering a failed login, times the session's failures so far (up to
  // 5×), to slow password guessing; a failure costs the guesser, not the server.
  std::chrono::milliseconds auth_failure_delay = std::chrono::seconds(1);
  // Failed logins in one session before it is closed.
  int max_auth_failures = 3;
  // Failed logins across sessions (ARCHITECTURE.md §6): an IP with too many is refused
  // for a while, an account under attack answers slowly. Owned by main; null in tests
  // that do not need it.
  net::AuthLimiter* auth_limiter = nullptr;
  // Refused commands in a row before the session is closed.
  int max_errors = 20;
  // RFC 2449 IMPLEMENTATION capability.
  std::string implementation = "mailsuite";
};

}  // namespace mail::pop3_access

#endif  // MAILSUITE_SERVICES_POP3_ACCESS_CONFIG_H_
