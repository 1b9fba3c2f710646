// smtp-ingress settings, validated from flags in main.cc; read-only once sessions run,
// so every session and thread may read it without locking.
#ifndef MAILSUITE_SERVICES_SMTP_INGRESS_CONFIG_H_
#define MAILSUITE_SERVICES_SMTP_INGRESS_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace mail::smtp_ingress {

// What a listener is for (ARCHITECTURE.md §6).
enum class Role {
  kMx,           // port 25: mail for local recipients from anyone; no AUTH, no relaying
  kSubmission,   // port 587: STARTTLS, then AUTH, required before MAIL
  kSubmissions,  // port 465: implicit TLS (RFC 8314), AUTH required before MAIL
};

// "smtp", "submission", "submissions": the metric label and log field.
std::string_view RoleName(Role role);

struct Config {
  std::string hostname = "localhost";
  // Where "RCPT TO:<Postmaster>" (no domain, RFC 5321 §4.1.1.3) goes; empty means
  // postmaster@<hostname>.
  std::string postmaster_address;
  size_t max_message_size = 50u << 20;  // SIZE, and the DATA limit (552 5.3.4)
  int max_recipients = 100;             // per transaction (452 4.5.3)
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(5);  // 421 4.4.2
  std::chrono::milliseconds tls_handshake_timeout = std::chrono::seconds(30);
  // Error replies before the connection is dropped with 421 4.7.0 (Postfix's
  // smtpd_hard_error_limit is 20; we are a little stricter).
  int max_errors = 10;
  // RSET/NOOP/VRFY/HELP per session before each further one counts as an error
  // (Postfix's smtpd_junk_command_limit, also 100).
  int max_junk_commands = 100;
  // Pause after a failed AUTH, growing with each failure in the session (×n, up to 5×),
  // to slow password guessing.
  std::chrono::milliseconds auth_failure_delay = std::chrono::seconds(1);
  // How long a backend call that failed with UNAVAILABLE is retried (pauses of 200 ms,
  // doubling) before the client gets 451. It bridges a backend restart, during which
  // the gRPC channel fails fast while it waits to reconnect. Every call is idempotent
  // (Deliver and Enqueue by transaction id), so a retry never stores twice. 0 = off.
  std::chrono::milliseconds backend_retry_window = std::chrono::seconds(3);
  // Port 25: refuse senders whose domain does not exist (550 5.1.8; 451 4.4.3 when
  // DNS fails). Needs a working dns-resolver.
  bool check_sender_domain = true;
  // Port 25: wait this long before the greeting; a client that talks first gets
  // 554 5.5.0 and is closed (RFC 5321 §4.3.1 lets the server wait; Postfix's
  // postscreen_greet_wait). 0 = greet at once.
  std::chrono::milliseconds greet_pause{0};
  // How long after connect the session waits for the client's reverse DNS lookup
  // (PTR + forward confirmation) when it writes the Received: header; past it the
  // client is "unknown". The lookup starts at connect, so it normally finishes during
  // the greeting and EHLO. 0 = no lookup.
  std::chrono::milliseconds reverse_dns_timeout{2000};
  // Tests only (never a flag): offer AUTH without TLS, so golden transcripts can run
  // over plain TCP.
  bool allow_plaintext_auth = false;
};

}  // namespace mail::smtp_ingress

#endif  // MAILSUITE_SERVICES_SMTP_INGRESS_CONFIG_H_
