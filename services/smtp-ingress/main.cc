// smtp-ingress: the SMTP server for MX (25) and submission (587, 465). Parses flags
// into a Config, connects to the backends, serves until SIGTERM, drains, exits 0.
#include <unistd.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "services/libs/base/flags.h"
#include "services/libs/base/log.h"
#include "services/libs/base/signals.h"
#include "services/libs/clients/dns_client.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/clients/relay_client.h"
#include "services/libs/frontend/front_end.h"
#include "services/libs/metrics/metrics.h"
#include "services/libs/net/auth_limiter.h"
#include "services/libs/net/tls.h"
#include "services/libs/rpc/server.h"
#include "services/smtp-ingress/config.h"
#include "services/smtp-ingress/metrics.h"
#include "services/smtp-ingress/server.h"

ABSL_FLAG(std::string, smtp_address, "0.0.0.0:2525",
          "MX listener (port 25 role: local recipients only, no AUTH); empty = off");
ABSL_FLAG(std::string, submission_address, "0.0.0.0:2587",
          "Submission listener (port 587 role: STARTTLS, then AUTH); empty = off");
ABSL_FLAG(std::string, submissions_address, "0.0.0.0:2465",
          "Submission over implicit TLS (port 465 role); empty = off; off without TLS");
ABSL_FLAG(std::string, hostname, "",
          "Our name in the greeting and Received: (default: gethostname)");
ABSL_FLAG(std::string, postmaster_address, "",
          "Where RCPT TO:<Postmaster> goes (default postmaster@<hostname>)");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain; empty = no TLS, no AUTH");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(int, threads, 2, "Threads running the sessions");
ABSL_FLAG(std::string, grpc_address, "127.0.0.1:50054", "gRPC health service address");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1:9101", "Prometheus /metrics address");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(std::string, mailbox_store, "127.0.0.1:50051", "mailbox-store gRPC target");
ABSL_FLAG(std::string, outbound_relay, "127.0.0.1:50052", "outbound-relay gRPC target");
ABSL_FLAG(std::string, dns_resolver, "127.0.0.1:50053", "dns-resolver gRPC target");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::Seconds(30), "Deadline of each backend call");
ABSL_FLAG(int64_t, max_message_size, 50 << 20, "Largest message accepted, in octets");
ABSL_FLAG(int, max_recipients, 100, "Recipients per transaction");
ABSL_FLAG(absl::Duration, idle_timeout, absl::Minutes(5), "Idle time before 421 and close");
ABSL_FLAG(int, max_errors, 10, "Error replies before 421 and close");
ABSL_FLAG(int, max_junk_commands, 100,
          "RSET/NOOP/VRFY/HELP per session before each further one counts as an error");
ABSL_FLAG(absl::Duration, auth_failure_delay, absl::Seconds(1),
          "Pause after a failed AUTH, times the failures so far (at most 5x)");
ABSL_FLAG(absl::Duration, backend_retry, absl::Seconds(3),
          "How long a backend call failing with UNAVAILABLE is retried before 451; 0 = off");
ABSL_FLAG(int, auth_max_failures_per_ip, 10,
          "Failed AUTHs from one IP (within 10 min) before it is refused for --auth_lockout");
ABSL_FLAG(absl::Duration, auth_lockout, absl::Minutes(10),
          "How long an IP with too many failed AUTHs is refused (421 4.7.0)");
ABSL_FLAG(bool, check_sender_domain, true,
          "Port 25: refuse a MAIL FROM domain that does not exist (needs dns-resolver)");
ABSL_FLAG(absl::Duration, reverse_dns_timeout, absl::Seconds(2),
          "Longest wait, counted from connect, for the client's forward-confirmed reverse DNS "
          "name in Received: (then \"unknown\"); 0 = no lookup");
ABSL_FLAG(absl::Duration, greet_pause, absl::ZeroDuration(),
          "Port 25: pause before the greeting; clients that talk first get 554 and close");
ABSL_FLAG(int, max_connections, 10000, "Concurrent connections per listener");
ABSL_FLAG(int, max_connections_per_ip, 50, "Concurrent connections per client IP and listener");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "On SIGTERM, how long sessions may take to finish");

namespace mail::smtp_ingress {
namespace {

std::chrono::milliseconds ToMillis(absl::Duration d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

[[noreturn]] void Die(const std::string& msg) {
  base::LogError(msg);
  std::exit(1);
}

int Main(int argc, char** argv) {
  base::BlockTerminationSignals();
  base::ParseFlags(argc, argv, "smtp-ingress: SMTP server for MX and submission. See README.md.");
  base::LogLevel level;
  if (!base::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::fprintf(stderr, "smtp-ingress: bad --log_level\n");
    return 2;
  }
  base::InitLogging("smtp-ingress", level);

  Config config;
  config.hostname = absl::GetFlag(FLAGS_hostname);
  if (config.hostname.empty()) {
    char buf[256] = {};
    gethostname(buf, sizeof(buf) - 1);
    config.hostname = buf[0] ? buf : "localhost";
  }
  config.postmaster_address = absl::GetFlag(FLAGS_postmaster_address);
  int64_t max_size = absl::GetFlag(FLAGS_max_message_size);
  if (max_size < 1024) Die("--max_message_size must be at least 1024");
  config.max_message_size = static_cast<size_t>(max_size);
  config.max_recipients = absl::GetFlag(FLAGS_max_recipients);
  if (config.max_recipients < 1) Die("--max_recipients must be at least 1");
  config.idle_timeout = ToMillis(absl::GetFlag(FLAGS_idle_timeout));
  if (config.idle_timeout.count() <= 0) Die("--idle_timeout must be positive");
  config.max_errors = absl::GetFlag(FLAGS_max_errors);
  if (config.max_errors < 1) Die("--max_errors must be at least 1");
  config.max_junk_commands = absl::GetFlag(FLAGS_max_junk_commands);
  if (config.max_junk_commands < 0) Die("--max_junk_commands must not be negative");
  config.auth_failure_delay = ToMillis(absl::GetFlag(FLAGS_auth_failure_delay));
  config.check_sender_domain = absl::GetFlag(FLAGS_check_sender_domain);
  config.greet_pause = ToMillis(absl::GetFlag(FLAGS_greet_pause));
  config.reverse_dns_timeout = ToMillis(absl::GetFlag(FLAGS_reverse_dns_timeout));
  if (config.reverse_dns_timeout.count() < 0) Die("--reverse_dns_timeout must not be negative");
  if (config.greet_pause.count() < 0) Die("--greet_pause must not be negative");
  config.backend_retry_window = ToMillis(absl::GetFlag(FLAGS_backend_retry));
  if (config.backend_retry_window.count() < 0) Die("--backend_retry must not be negative");
  int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 1) Die("--threads must be at least 1");

  auto metrics_server = metrics::MetricsServer::Start(absl::GetFlag(FLAGS_metrics_address));
  if (!metrics_server.ok()) Die(std::string(metrics_server.status().message()));
  Metrics metrics((*metrics_server)->registry());
  auto front_end_tls = frontend::FrontEndTls::Load(
      absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), (*metrics_server)->registry(),
      "smtp_ingress", "no --tls_cert: STARTTLS and AUTH are off");
  if (!front_end_tls.ok()) Die(std::string(front_end_tls.status().message()));
  const std::shared_ptr<net::TlsContext>& tls = front_end_tls->context();

  absl::Duration deadline = absl::GetFlag(FLAGS_rpc_timeout);
  auto mailbox = clients::NewGrpcMailboxClient(absl::GetFlag(FLAGS_mailbox_store), deadline);
  auto relay = clients::NewGrpcRelayClient(absl::GetFlag(FLAGS_outbound_relay), deadline);
  auto dns = clients::NewGrpcDnsClient(absl::GetFlag(FLAGS_dns_resolver), absl::Seconds(10));
  // Its own channel and deadline: each reverse lookup call gives up with the session's
  // wait, so nothing lingers behind a closed connection.
  auto reverse_dns = clients::NewGrpcDnsClient(
      absl::GetFlag(FLAGS_dns_resolver),
      std::max(absl::GetFlag(FLAGS_reverse_dns_timeout), absl::Milliseconds(100)));

  asio::io_context io(threads);
  net::ListenerLimits limits;
  limits.max_connections = absl::GetFlag(FLAGS_max_connections);
  limits.max_connections_per_ip = absl::GetFlag(FLAGS_max_connections_per_ip);
  net::AuthLimiter::Options auth_options;
  auth_options.max_ip_failures = absl::GetFlag(FLAGS_auth_max_failures_per_ip);
  auth_options.lockout = absl::GetFlag(FLAGS_auth_lockout);
  if (auth_options.max_ip_failures < 1) Die("--auth_max_failures_per_ip must be at least 1");
  net::AuthLimiter auth_limiter(auth_options);
  Server server(io, config, tls, Backends{*mailbox, *relay, *dns, reverse_dns.get()}, &metrics,
                limits, &auth_limiter);
  ListenAddresses addresses{absl::GetFlag(FLAGS_smtp_address),
                            absl::GetFlag(FLAGS_submission_address),
                            absl::GetFlag(FLAGS_submissions_address)};
  if (absl::Status st = server.Start(addresses); !st.ok()) Die(std::string(st.message()));

  auto grpc = rpc::GrpcServer::Start(absl::GetFlag(FLAGS_grpc_address), {});
  if (!grpc.ok()) Die(std::string(grpc.status().message()));
  base::LogInfo("started", {{"hostname", config.hostname}});

  frontend::RunFrontEnd(io, threads, *front_end_tls, **grpc,
                        {[&] { server.StopAccepting(); }, [&] { server.AskSessionsToStop(); },
                         [&] { return server.ActiveSessions(); }},
                        absl::GetFlag(FLAGS_shutdown_grace));
}

}  // namespace
}  // namespace mail::smtp_ingress

int main(int argc, char** argv) { return mail::smtp_ingress::Main(argc, argv); }
