// imap-access: IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) with STARTTLS and IMAPS
// over mailbox-store. The only file with flags: it validates them into a Config, wires
// the listeners, the session limits, the health gRPC server and the metrics, and runs
// until SIGTERM (README.md).
#include <asio/io_context.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "services/imap-access/account_sessions.h"
#include "services/imap-access/config.h"
#include "services/imap-access/metrics.h"
#include "services/imap-access/server.h"
#include "services/imap-access/shared_reads.h"
#include "services/imap-access/shared_watches.h"
#include "services/imap-access/snapshot_cache.h"
#include "services/libs/base/flags.h"
#include "services/libs/base/log.h"
#include "services/libs/base/signals.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/frontend/front_end.h"
#include "services/libs/metrics/metrics.h"
#include "services/libs/net/auth_limiter.h"
#include "services/libs/net/tls.h"
#include "services/libs/rpc/server.h"

ABSL_FLAG(std::string, imap_address, "0.0.0.0:2143",
          "IMAP listen address (plain, STARTTLS offered); empty disables it");
ABSL_FLAG(std::string, imaps_address, "0.0.0.0:2993",
          "IMAPS listen address (implicit TLS); empty disables it");
ABSL_FLAG(std::string, tls_cert, "", "TLS certificate chain (PEM); reloaded on SIGHUP");
ABSL_FLAG(std::string, tls_key, "", "TLS private key (PEM)");
ABSL_FLAG(bool, allow_plaintext_auth, false,
          "accept LOGIN and AUTHENTICATE before TLS (only on a trusted network)");
ABSL_FLAG(std::string, mailbox_store, "127.0.0.1:50051", "mailbox-store gRPC target");
ABSL_FLAG(absl::Duration, backend_timeout, absl::Seconds(30),
          "deadline of each call to mailbox-store");
ABSL_FLAG(std::string, grpc_address, "127.0.0.1:50055", "gRPC health-check address");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1:9105", "Prometheus /metrics address");
ABSL_FLAG(absl::Duration, idle_timeout, absl::Minutes(30),
          "autologout timer (RFC 3501: at least 30 minutes)");
ABSL_FLAG(absl::Duration, auth_failure_delay, absl::Seconds(1),
          "pause before a failed login is answered, times the session's failures (max 5x)");
ABSL_FLAG(int64_t, max_line_length, 64 * 1024, "longest command line, in octets");
ABSL_FLAG(int64_t, max_literal_size, 64 * 1024 * 1024, "largest literal, in octets");
ABSL_FLAG(int, max_connections, 10000, "concurrent connections per listener");
ABSL_FLAG(int, max_connections_per_ip, 50, "concurrent connections per client IP");
ABSL_FLAG(int, max_sessions_per_account, 50,
          "concurrent logged-in sessions per account in this process (0: no limit)");
ABSL_FLAG(int, auth_max_failures_per_ip, 10,
          "failed logins from one IP within 10 minutes before it is refused for --auth_lockout");
ABSL_FLAG(absl::Duration, auth_lockout, absl::Minutes(10),
          "how long an IP with too many failed logins is refused");
ABSL_FLAG(int, threads, 2, "I/O threads");
ABSL_FLAG(int64_t, snapshot_cache_messages, 1000000,
          "messages of recently selected mailboxes kept for delta SELECTs (~32 bytes each; "
          "0: none)");
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
  mail::base::ParseFlags(argc, argv, "IMAP server over mailbox-store (see README.md)");
  mail::base::LogLevel level;
  if (!mail::base::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::fprintf(stderr, "imap-access: bad --log_level\n");
    return 2;
  }
  mail::base::InitLogging("imap-access", level);

  mail::imap_access::Config config;
  config.idle_timeout = ToMillis(absl::GetFlag(FLAGS_idle_timeout));
  config.auth_failure_delay = ToMillis(absl::GetFlag(FLAGS_auth_failure_delay));
  config.allow_plaintext_auth = absl::GetFlag(FLAGS_allow_plaintext_auth);
  if (config.idle_timeout <= std::chrono::milliseconds(0))
    return Fail("--idle_timeout must be > 0");
  if (config.idle_timeout < std::chrono::minutes(30)) {
    mail::base::LogWarning("--idle_timeout is below the 30 minutes RFC 3501 requires");
  }
  const int64_t max_line = absl::GetFlag(FLAGS_max_line_length);
  const int64_t max_literal = absl::GetFlag(FLAGS_max_literal_size);
  if (max_line < 1024) return Fail("--max_line_length must be at least 1024");
  if (max_literal < 1024) return Fail("--max_literal_size must be at least 1024");
  config.limits.max_line = static_cast<size_t>(max_line);
  config.limits.max_literal = static_cast<size_t>(max_literal);
  config.limits.max_command = config.limits.max_literal + 1024 * 1024;
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 1) return Fail("--threads must be at least 1");
  mail::net::ListenerLimits limits;
  limits.max_connections = absl::GetFlag(FLAGS_max_connections);
  limits.max_connections_per_ip = absl::GetFlag(FLAGS_max_connections_per_ip);
  const int max_per_account = absl::GetFlag(FLAGS_max_sessions_per_account);
  if (max_per_account < 0) return Fail("--max_sessions_per_account must be >= 0");
  mail::imap_access::AccountSessions account_sessions(max_per_account);
  config.account_sessions = &account_sessions;
  mail::net::AuthLimiter::Options auth_options;
  auth_options.max_ip_failures = absl::GetFlag(FLAGS_auth_max_failures_per_ip);
  auth_options.lockout = absl::GetFlag(FLAGS_auth_lockout);
  if (auth_options.max_ip_failures < 1) return Fail("--auth_max_failures_per_ip must be >= 1");
  mail::net::AuthLimiter auth_limiter(auth_options);
  config.auth_limiter = &auth_limiter;

  auto metrics_server = mail::metrics::MetricsServer::Start(absl::GetFlag(FLAGS_metrics_address));
  if (!metrics_server.ok()) return Fail(std::string(metrics_server.status().message()));
  mail::imap_access::Metrics metrics((*metrics_server)->registry());
  auto front_end_tls = mail::frontend::FrontEndTls::Load(
      absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), (*metrics_server)->registry(),
      "imap_access", "no TLS certificate: STARTTLS and IMAPS are off");
  if (!front_end_tls.ok()) return Fail(std::string(front_end_tls.status().message()));
  const std::shared_ptr<mail::net::TlsContext>& tls = front_end_tls->context();

  auto health = mail::rpc::GrpcServer::Start(absl::GetFlag(FLAGS_grpc_address), {});
  if (!health.ok()) return Fail(std::string(health.status().message()));

  std::unique_ptr<mail::clients::MailboxClient> mailbox = mail::clients::NewGrpcMailboxClient(
      absl::GetFlag(FLAGS_mailbox_store), absl::GetFlag(FLAGS_backend_timeout));

  asio::io_context io(threads);
  // IDLE sessions of a mailbox share one stream, and one read of each change (on io).
  mail::imap_access::SharedWatches watches(*mailbox, io.get_executor());
  config.watches = &watches;
  mail::imap_access::SharedReads reads(*mailbox);
  config.reads = &reads;
  mail::imap_access::SnapshotCache snapshots(
      static_cast<size_t>(std::max<int64_t>(0, absl::GetFlag(FLAGS_snapshot_cache_messages))));
  config.snapshots = &snapshots;
  mail::imap_access::Server server(io, config, *mailbox, tls, &metrics, limits);
  // Sessions hold &config, &account_sessions and &auth_limiter: all outlive the loop.
  absl::Status listening =
      mail::frontend::ListenAll(server, *front_end_tls,
                                {{"--imap_address", absl::GetFlag(FLAGS_imap_address), false},
                                 {"--imaps_address", absl::GetFlag(FLAGS_imaps_address), true}});
  if (!listening.ok()) return Fail(std::string(listening.message()));
  mail::frontend::RunFrontEnd(io, threads, *front_end_tls, **health,
                              {[&] { server.StopAccepting(); }, [&] { server.AskSessionsToStop(); },
                               [&] { return server.active_sessions(); }},
                              absl::GetFlag(FLAGS_shutdown_grace));
}
