// outbound-relay: the outbound queue. Serves RelayService over gRPC (Enqueue, queue control,
// suppression list, bounce report), delivers local recipients through mailbox-store,
// keeps the queue in PostgreSQL schema relay, and delivers to remote MX hosts over SMTP.
// Flags are defined here and nowhere else.
#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/libs/base/flags.h"
#include "services/libs/base/log.h"
#include "services/libs/base/signals.h"
#include "services/libs/clients/dns_client.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/libs/metrics/metrics.h"
#include "services/libs/net/tls.h"
#include "services/libs/pg/migrate.h"
#include "services/libs/pg/pg.h"
#include "services/libs/rpc/server.h"
#include "services/outbound-relay/delivery_agent.h"
#include "services/outbound-relay/queue_store.h"
#include "services/outbound-relay/relay_metrics.h"
#include "services/outbound-relay/relay_service.h"

ABSL_FLAG(std::string, grpc_address, "127.0.0.1:50052", "Address of the RelayService gRPC server.");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1:9102", "Address of the /metrics endpoint.");
ABSL_FLAG(std::string, log_level, "info", "Lowest log level written: debug, info, warning, error.");
ABSL_FLAG(std::string, dns_resolver, "127.0.0.1:50053", "gRPC target of dns-resolver.");
ABSL_FLAG(std::string, mailbox_store, "127.0.0.1:50051",
          "gRPC target of mailbox-store (local recipients and bounces to local senders).");
ABSL_FLAG(int, remote_smtp_port, 25, "TCP port of remote MX hosts (tests and private networks).");
ABSL_FLAG(std::string, hostname, "", "Name sent in EHLO; empty uses the system host name.");
ABSL_FLAG(int, workers, 8, "Deliveries (one message to one domain) in flight at once.");
ABSL_FLAG(absl::Duration, poll_interval, absl::Seconds(1), "How often the queue is checked.");
ABSL_FLAG(absl::Duration, lease, absl::Minutes(5),
          "How long claimed work stays reserved for this relay; a relay that dies loses its "
          "claim after this.");
ABSL_FLAG(absl::Duration, retry_initial, absl::Minutes(5),
          "First retry after a temporary failure.");
ABSL_FLAG(absl::Duration, retry_max, absl::Hours(4), "Longest wait between retries.");
ABSL_FLAG(absl::Duration, max_queue_lifetime, absl::Hours(120),
          "Temporary failures become permanent once a message is this old.");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(30), "Timeout of one TCP connect.");
ABSL_FLAG(absl::Duration, command_timeout, absl::Minutes(5),
          "Timeout of one SMTP reply (twice this for the reply to the final dot).");
ABSL_FLAG(int64_t, max_message_size, 64 << 20, "Largest message Enqueue accepts, in octets.");
ABSL_FLAG(int, pg_pool_size, 8, "PostgreSQL connections (settings from PG* variables).");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(20),
          "On SIGTERM, how long deliveries in flight may take to finish.");
ABSL_FLAG(int, max_per_destination, 10, "Deliveries to one domain in flight at once.");
ABSL_FLAG(std::string, source_addresses, "",
          "Comma-separated local IP addresses to send from, used in rotation (bind before "
          "connect); empty lets the kernel choose.");
ABSL_FLAG(absl::Duration, delay_warning, absl::Hours(4),
          "Send a delay DSN (once) when a message is still queued after this long.");
ABSL_FLAG(int, suppress_after_soft_failures, 5,
          "Consecutive temporary failures of an address that suppress it.");
ABSL_FLAG(absl::Duration, suppression_ttl, absl::Hours(24 * 30),
          "How long an address stays suppressed after a hard failure or repeated soft ones.");
ABSL_FLAG(bool, send_dsns, true, "Generate delivery status notifications (bounces).");
ABSL_FLAG(absl::Duration, connection_cache_time, absl::Seconds(2),
          "Keep a connection open this long after a delivery for the next message to the same "
          "address; 0 disables.");
ABSL_FLAG(absl::Duration, retention, absl::Hours(24 * 7),
          "Finished messages (every recipient delivered or failed, DSN sent) are deleted once "
          "untouched this long; 0 keeps them forever.");
ABSL_FLAG(absl::Duration, purge_interval, absl::Minutes(10),
          "How often finished messages older than --retention are looked for.");

namespace mail::outbound_relay {
namespace migrations {
// Compiled in from migrations/*.sql (mailsuite_embed_sql in CMakeLists.txt).
const std::vector<pg::Migration>& Migrations();
}  // namespace migrations
namespace {

constexpr char kUsage[] =
    "outbound-relay: queues mail for remote domains and delivers it over SMTP.\n"
    "Usage: outbound-relay [--dns_resolver=127.0.0.1:50053] [--remote_smtp_port=25] ...";

std::string SystemHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

absl::Status MigrateWithRetry(pg::Pool& pool) {
  absl::Status status;
  // PostgreSQL may still be starting next to us (compose, Kubernetes).
  for (int attempt = 0; attempt < 30; ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Seconds(1));
    auto conn = pool.Acquire();
    if (!conn.ok()) {
      status = conn.status();
      if (status.code() == absl::StatusCode::kUnavailable) continue;
      return status;
    }
    status = pg::Migrate(**conn, "relay", migrations::Migrations());
    if (status.code() != absl::StatusCode::kUnavailable) return status;
  }
  return status;
}

int Run(int argc, char** argv) {
  base::BlockTerminationSignals();
  base::ParseFlags(argc, argv, kUsage);
  base::LogLevel level;
  if (!base::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::fprintf(stderr, "outbound-relay: bad --log_level\n");
    return 2;
  }
  base::InitLogging("outbound-relay", level);

  AgentOptions options;
  options.workers = absl::GetFlag(FLAGS_workers);
  options.poll_interval = absl::GetFlag(FLAGS_poll_interval);
  options.lease = absl::GetFlag(FLAGS_lease);
  options.retry.initial = absl::GetFlag(FLAGS_retry_initial);
  options.retry.max = absl::GetFlag(FLAGS_retry_max);
  options.retry.lifetime = absl::GetFlag(FLAGS_max_queue_lifetime);
  options.smtp.port = absl::GetFlag(FLAGS_remote_smtp_port);
  options.smtp.helo_name = absl::GetFlag(FLAGS_hostname);
  if (options.smtp.helo_name.empty()) options.smtp.helo_name = SystemHostName();
  options.smtp.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  options.smtp.command_timeout = absl::GetFlag(FLAGS_command_timeout);
  options.smtp.tls = net::NewClientTlsContext();
  options.max_per_destination = absl::GetFlag(FLAGS_max_per_destination);
  options.delay_warning = absl::GetFlag(FLAGS_delay_warning);
  options.suppression.soft_limit = absl::GetFlag(FLAGS_suppress_after_soft_failures);
  options.suppression.ttl = absl::GetFlag(FLAGS_suppression_ttl);
  options.send_dsns = absl::GetFlag(FLAGS_send_dsns);
  options.connection_cache_time = absl::GetFlag(FLAGS_connection_cache_time);
  options.hostname = options.smtp.helo_name;
  options.retention = absl::GetFlag(FLAGS_retention);
  options.purge_interval = absl::GetFlag(FLAGS_purge_interval);
  if (options.retention < absl::ZeroDuration() || options.purge_interval <= absl::ZeroDuration()) {
    base::LogError("bad flags: --retention must not be negative, --purge_interval positive");
    return 2;
  }
  for (absl::string_view part :
       absl::StrSplit(absl::GetFlag(FLAGS_source_addresses), ',', absl::SkipWhitespace())) {
    std::error_code ec;
    asio::ip::address address = asio::ip::make_address(std::string(part), ec);
    if (ec) {
      base::LogError("bad --source_addresses", {{"address", std::string(part)}});
      return 2;
    }
    options.source_addresses.push_back(address);
  }
  if (options.max_per_destination <= 0 || options.suppression.soft_limit <= 0 ||
      options.suppression.ttl <= absl::ZeroDuration() ||
      options.delay_warning <= absl::ZeroDuration()) {
    base::LogError(
        "bad flags: --max_per_destination and --suppress_after_soft_failures must be positive, "
        "--suppression_ttl and --delay_warning positive durations");
    return 2;
  }
  const int pool_size = absl::GetFlag(FLAGS_pg_pool_size);
  const int64_t max_size = absl::GetFlag(FLAGS_max_message_size);
  if (options.workers <= 0 || pool_size <= 0 || max_size <= 0 || options.smtp.port <= 0 ||
      options.smtp.port > 65535 || options.poll_interval <= absl::ZeroDuration() ||
      options.lease < absl::Seconds(10) || options.retry.initial <= absl::ZeroDuration() ||
      options.retry.max < options.retry.initial) {
    base::LogError(
        "bad flags: --workers, --pg_pool_size, --max_message_size and --poll_interval must be "
        "positive, --remote_smtp_port a port, --lease at least 10s, --retry_max >= "
        "--retry_initial > 0");
    return 2;
  }

  auto metrics_server = metrics::MetricsServer::Start(absl::GetFlag(FLAGS_metrics_address));
  if (!metrics_server.ok()) {
    base::LogError("cannot start metrics", {{"error", metrics_server.status().ToString()}});
    return 1;
  }
  const RelayMetrics relay_metrics = RelayMetrics::Build((*metrics_server)->registry());

  pg::Pool pool("", pool_size);
  if (absl::Status s = MigrateWithRetry(pool); !s.ok()) {
    base::LogError("cannot migrate schema relay", {{"error", s.ToString()}});
    return 1;
  }
  PgQueueStore store(&pool);
  std::unique_ptr<clients::DnsClient> dns =
      clients::NewGrpcDnsClient(absl::GetFlag(FLAGS_dns_resolver));
  std::unique_ptr<clients::MailboxClient> mailbox =
      clients::NewGrpcMailboxClient(absl::GetFlag(FLAGS_mailbox_store));

  asio::io_context io;
  asio::thread_pool db(static_cast<size_t>(pool_size));
  DeliveryAgent agent(io, db, &store, dns.get(), mailbox.get(), options, &relay_metrics);
  RelayServiceImpl service(
      &store, &relay_metrics, static_cast<uint64_t>(max_size), [&agent] { agent.Wake(); },
      options.suppression.ttl);

  auto work = asio::make_work_guard(io);
  std::vector<std::thread> io_threads;
  for (int i = 0; i < 2; ++i) io_threads.emplace_back([&io] { io.run(); });
  agent.Start();

  auto server = rpc::GrpcServer::Start(absl::GetFlag(FLAGS_grpc_address), {&service});
  if (!server.ok()) {
    base::LogError("cannot start gRPC", {{"error", server.status().ToString()}});
    agent.Stop(absl::ZeroDuration());
    io.stop();
    for (auto& t : io_threads) t.join();
    db.join();
    return 1;
  }
  base::LogInfo("outbound-relay started", {{"grpc_address", absl::GetFlag(FLAGS_grpc_address)},
                                           {"hostname", options.smtp.helo_name},
                                           {"remote_smtp_port", std::to_string(options.smtp.port)},
                                           {"workers", std::to_string(options.workers)}});

  int sig = base::WaitForTerminationSignal();
  base::LogInfo("shutting down", {{"signal", std::to_string(sig)}});
  // Enqueues in progress finish (their commit decides, 5 s at most), then no new work is
  // claimed and deliveries in flight get the grace period. What is left keeps its lease,
  // which expires: another relay, or this one after a restart, delivers it.
  (*server)->Shutdown(absl::Seconds(5));
  if (!agent.Stop(absl::GetFlag(FLAGS_shutdown_grace))) {
    base::LogWarning("deliveries still in flight at exit; their leases will expire",
                     {{"in_flight", std::to_string(agent.in_flight())}});
  }
  work.reset();
  io.stop();
  for (auto& t : io_threads) t.join();
  db.stop();
  db.join();
  base::LogInfo("stopped");
  return 0;
}

}  // namespace
}  // namespace mail::outbound_relay

int main(int argc, char** argv) { return mail::outbound_relay::Run(argc, argv); }
