// pop3-access: POP3 (RFC 1939) with STLS and POP3S over mailbox-store. The only file
// with flags: it validates them into a Config, wires the listeners, the health gRPC
// server and the metrics, and runs until SIGTERM (README.md).
#include <asio/io_context.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "services/libs/base/flags.h"
#include "services/libs/base/log.h"
#include "services/libs/base/signals.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/frontend/front_end.h"
#include "services/libs/metrics/metrics.h"
#include "services/libs/net/auth_limiter.h"
#include "services/libs/net/tls.h"
#include "services/libs/rpc/server.h"
#include "services/pop3-access/config.h"
#include "services/pop3-access/metrics.h"
#include "services/pop3-access/server.h"

ABSL_FLAG(std::string, pop3_address, "0.0.0.0:2110",
          "POP3 listen address (plain, STLS offered); empty disables it");
ABSL_FLAG(std::string, pop3s_address, "0.0.0.0:2995",
          "POP3S listen address (implicit TLS); empty disables it");
ABSL_FLAG(std::string, tls_cert, "", "TLS certificate chain (PEM); reloaded on SIGHUP");
ABSL_FLAG(std::string, tls_key, "", "TLS private key (PEM)");
ABSL_FLAG(bool, allow_plaintext_auth, false,
          "accept USER/PASS and AUTH before TLS (only on a trusted network)");
ABSL_FLAG(std::string, mailbox_store, "127.0.0.1:50051", "mailbox-store gRPC target");
ABSL_FLAG(absl::Duration, backend_timeout, absl::Seconds(30),
          "deadline of each call to mailbox-store");
ABSL_FLAG(std::string, grpc_address, "127.0.0.1:50056", "gRPC health-check address");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1:9106", "Prometheus /metrics address");
ABSL_FLAG(absl::Duration, idle_timeout, absl::Minutes(10),
          "autologout timer (RFC 1939: at least 10 minutes)");
ABSL_FLAG(absl::Duration, auth_failure_delay, absl::Seconds(1),
          "pause before a failed login is answered, times the session's failures (max 5x)");
ABSL_FLAG(int, auth_max_failures_per_ip, 10,
          "failed logins from one IP within 10 minutes before it is refused for --auth_lockout");
ABSL_FLAG(absl::Duration, auth_lockout, absl::Minutes(10),
          "how long an IP with too many failed logins is refused");
ABSL_FLAG(int, max_connections, 10000, "concurrent connections per listener");
ABSL_FLAG(int, max_connections_per_ip, 50, "concurrent connections per client IP");
ABSL_FLAG(int, threads, 2, "I/O threads");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "on SIGTERM, how long sessions in a command may take to finish");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");

namespace {

int Fail(const std::string& message) {
  mail::base::LogError(message);
  return 1;
}

std::chrono::milliseconds ToMillis(absl::Duration d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

}  // namespace

int main(int argc, char** argv) {
  mail::base::BlockTerminationSignals();
  mail::base::ParseFlags(argc, argv, "POP3 server over mailbox-store (see README.md)");
  mail::base::LogLevel level;
  if (!mail::base::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::fprintf(stderr, "pop3-access: bad --log_level\n");
    return 2;
  }
  mail::base::InitLogging("pop3-access", level);

  mail::pop3_access::Config config;
  config.idle_timeout = ToMillis(absl::GetFlag(FLAGS_idle_timeout));
  config.auth_failure_delay = ToMillis(absl::GetFlag(FLAGS_auth_failure_delay));
  config.allow_plaintext_auth = absl::GetFlag(FLAGS_allow_plaintext_auth);
  if (config.idle_timeout <= std::chrono::milliseconds(0))
    return Fail("--idle_timeout must be > 0");
  if (config.idle_timeout < std::chrono::minutes(10)) {
    mail::base::LogWarning("--idle_timeout is below the 10 minutes RFC 1939 requires");
  }
  mail::net::AuthLimiter::Options auth_options;
  auth_options.max_ip_failures = absl::GetFlag(FLAGS_auth_max_failures_per_ip);
  auth_options.lockout = absl::GetFlag(FLAGS_auth_lockout);
  if (auth_options.max_ip_failures < 1) return Fail("--auth_max_failures_per_ip must be >= 1");
  mail::net::AuthLimiter auth_limiter(auth_options);
  config.auth_limiter = &auth_limiter;
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 1) return Fail("--threads must be at least 1");
  mail::net::ListenerLimits limits;
  limits.max_connections = absl::GetFlag(FLAGS_max_connections);
  limits.max_connections_per_ip = absl::GetFlag(FLAGS_max_connections_per_ip);

  auto metrics_server = mail::metrics::MetricsServer::Start(absl::GetFlag(FLAGS_metrics_address));
  if (!metrics_server.ok()) return Fail(std::string(metrics_server.status().message()));
  mail::pop3_access::Metrics metrics((*metrics_server)->registry());
  auto front_end_tls = mail::frontend::FrontEndTls::Load(
      absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), (*metrics_server)->registry(),
      "pop3_access", "no TLS certificate: STLS and POP3S are off");
  if (!front_end_tls.ok()) return Fail(std::string(front_end_tls.status().message()));
  const std::shared_ptr<mail::net::TlsContext>& tls = front_end_tls->context();

  auto health = mail::rpc::GrpcServer::Start(absl::GetFlag(FLAGS_grpc_address), {});
  if (!health.ok()) return Fail(std::string(health.status().message()));

  std::unique_ptr<mail::clients::MailboxClient> mailbox = mail::clients::NewGrpcMailboxClient(
      absl::GetFlag(FLAGS_mailbox_store), absl::GetFlag(FLAGS_backend_timeout));

  asio::io_context io(threads);
  mail::pop3_access::Server server(io, config, *mailbox, tls, &metrics, limits);
  absl::Status listening =
      mail::frontend::ListenAll(server, *front_end_tls,
                                {{"--pop3_address", absl::GetFlag(FLAGS_pop3_address), false},
                                 {"--pop3s_address", absl::GetFlag(FLAGS_pop3s_address), true}});
  if (!listening.ok()) return Fail(std::string(listening.message()));

  mail::frontend::RunFrontEnd(io, threads, *front_end_tls, **health,
                              {[&] { server.StopAccepting(); }, [&] { server.AskSessionsToStop(); },
                               [&] { return server.active_sessions(); }},
                              absl::GetFlag(FLAGS_shutdown_grace));
}
