// mailbox-store: owner of schema mailstore (domains, accounts, aliases, mailboxes,
// messages). Serves MailboxService and AccountService over gRPC from a bounded pool of
// PostgreSQL connections. Flags are defined here and nowhere else.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/libs/base/flags.h"
#include "services/libs/base/log.h"
#include "services/libs/base/signals.h"
#include "services/libs/metrics/metrics.h"
#include "services/libs/pg/migrate.h"
#include "services/libs/pg/pg.h"
#include "services/libs/rpc/server.h"
#include "services/mailbox-store/account_service.h"
#include "services/mailbox-store/mailbox_service.h"
#include "services/mailbox-store/password.h"
#include "services/mailbox-store/store_metrics.h"

ABSL_FLAG(std::string, grpc_address, "127.0.0.1:50051",
          "Address of the MailboxService/AccountService gRPC server.");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1:9104", "Address of the /metrics endpoint.");
ABSL_FLAG(std::string, log_level, "info", "Lowest log level written: debug, info, warning, error.");
ABSL_FLAG(int, pg_pool_size, 8, "Most PostgreSQL connections open at once.");
ABSL_FLAG(int64_t, max_message_size, 64 << 20, "Largest message Deliver accepts, in octets.");
ABSL_FLAG(uint64_t, argon2_passes, 2,
          "Argon2id passes over memory for new password hashes (libsodium INTERACTIVE: 2).");
ABSL_FLAG(uint64_t, argon2_memory_kib, 64 * 1024,
          "Argon2id memory for new password hashes, in KiB (libsodium INTERACTIVE: 65536). A "
          "login with a hash of another cost stores a new one.");
ABSL_FLAG(int, max_concurrent_hashes, 4,
          "Argon2id computations run at once (each takes 64 MiB for about 0.1 s).");
ABSL_FLAG(int, deliver_committers, 2,
          "Threads committing Deliver calls; each holds one PostgreSQL connection while it "
          "works, so keep it below --pg_pool_size.");
ABSL_FLAG(int, deliver_batch_size, 32,
          "Most Deliver calls sharing one transaction and WAL flush (group commit; at most 60, "
          "1 turns it off).");
ABSL_FLAG(absl::Duration, startup_timeout, absl::Seconds(60),
          "How long to wait for PostgreSQL at start-up before giving up.");
ABSL_FLAG(absl::Duration, delivery_log_retention, absl::Hours(24 * 10),
          "How long Deliver remembers a transaction id (longer than any client retries).");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "On SIGTERM, how long in-flight RPCs may take to finish.");

namespace mail::mailbox_store {

// Generated from migrations/*.sql by mailsuite_embed_sql (CMakeLists.txt).
const std::vector<pg::Migration>& Migrations();

namespace {

constexpr char kUsage[] =
    "mailbox-store: domains, accounts, mailboxes and messages in PostgreSQL, over gRPC.\n"
    "Usage: mailbox-store [--grpc_address=127.0.0.1:50051] [--pg_pool_size=8] ...\n"
    "PostgreSQL is found through libpq's PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD.";

// Applies the migrations, retrying while PostgreSQL is not reachable yet (it may
// start after us under compose or Kubernetes).
absl::Status MigrateWithRetry(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Duration backoff = absl::Milliseconds(200);
  for (;;) {
    absl::Status status;
    absl::StatusOr<std::unique_ptr<pg::Connection>> conn = pg::Connection::Open("");
    if (conn.ok()) {
      status = pg::Migrate(**conn, "mailstore", Migrations());
    } else {
      status = conn.status();
    }
    if (status.ok() || status.code() != absl::StatusCode::kUnavailable ||
        absl::Now() + backoff > deadline) {
      return status;
    }
    base::LogWarning("postgresql not ready, retrying", {{"error", status.ToString()}});
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

// Forgets delivery-log rows older than `retention`, hourly, until `stop`.
void PruneDeliveryLog(pg::Pool& pool, absl::Duration retention, absl::Notification& stop) {
  const std::string interval = absl::StrCat(absl::ToInt64Seconds(retention), " seconds");
  do {
    absl::StatusOr<pg::PooledConnection> conn = pool.Acquire();
    absl::Status status = conn.status();
    if (conn.ok()) {
      absl::StatusOr<pg::Result> r = (*conn)->Exec(
          "DELETE FROM mailstore.deliveries WHERE delivered_at < now() - $1::interval", {interval});
      status = r.status();
      if (r.ok() && r->affected() > 0) {
        base::LogInfo("delivery log pruned", {{"rows", std::to_string(r->affected())}});
      }
    }
    if (!status.ok())
      base::LogWarning("delivery log pruning failed", {{"error", status.ToString()}});
  } while (!stop.WaitForNotificationWithTimeout(absl::Hours(1)));
}

int Run(int argc, char** argv) {
  base::BlockTerminationSignals();
  base::ParseFlags(argc, argv, kUsage);
  base::LogLevel level;
  if (!base::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::fprintf(stderr, "mailbox-store: bad --log_level (debug, info, warning, error)\n");
    return 2;
  }
  base::InitLogging("mailbox-store", level);
  const int pool_size = absl::GetFlag(FLAGS_pg_pool_size);
  const int64_t max_message_size = absl::GetFlag(FLAGS_max_message_size);
  const int max_hashes = absl::GetFlag(FLAGS_max_concurrent_hashes);
  if (pool_size <= 0 || max_message_size <= 0 || max_hashes <= 0) {
    base::LogError(
        "--pg_pool_size, --max_message_size and --max_concurrent_hashes must be "
        "positive");
    return 2;
  }
  const HashCost cost{absl::GetFlag(FLAGS_argon2_passes), absl::GetFlag(FLAGS_argon2_memory_kib)};
  if (absl::Status s = CheckHashCost(cost); !s.ok()) {
    base::LogError("bad --argon2_passes or --argon2_memory_kib", {{"error", s.ToString()}});
    return 2;
  }
  if (absl::Status s = InitPasswordHashing(cost); !s.ok()) {
    base::LogError("cannot initialise password hashing", {{"error", s.ToString()}});
    return 1;
  }

  if (absl::Status s = MigrateWithRetry(absl::GetFlag(FLAGS_startup_timeout)); !s.ok()) {
    base::LogError("cannot migrate schema mailstore", {{"error", s.ToString()}});
    return 1;
  }
  auto metrics_server = metrics::MetricsServer::Start(absl::GetFlag(FLAGS_metrics_address));
  if (!metrics_server.ok()) {
    base::LogError("cannot start metrics", {{"error", metrics_server.status().ToString()}});
    return 1;
  }
  StoreMetrics store_metrics((*metrics_server)->registry());
  pg::Pool pool("", pool_size);

  MailboxServiceConfig config;
  config.max_message_size = static_cast<uint64_t>(max_message_size);
  config.max_concurrent_hashes = max_hashes;
  config.deliver_committers =
      std::clamp(absl::GetFlag(FLAGS_deliver_committers), 1, std::max(1, pool_size - 1));
  config.deliver_batch_size = absl::GetFlag(FLAGS_deliver_batch_size);
  MailboxServiceImpl mailbox_service(pool, store_metrics, config);
  AccountServiceImpl account_service(pool, store_metrics);
  auto server = rpc::GrpcServer::Start(absl::GetFlag(FLAGS_grpc_address),
                                       {&mailbox_service, &account_service});
  if (!server.ok()) {
    base::LogError("cannot start gRPC server", {{"error", server.status().ToString()}});
    return 1;
  }

  absl::Notification stop;
  std::thread pruner(PruneDeliveryLog, std::ref(pool), absl::GetFlag(FLAGS_delivery_log_retention),
                     std::ref(stop));
  base::LogInfo("mailbox-store ready", {{"grpc_address", absl::GetFlag(FLAGS_grpc_address)},
                                        {"pg_pool_size", std::to_string(pool_size)}});

  int sig = base::WaitForTerminationSignal();
  base::LogInfo("shutting down", {{"signal", std::to_string(sig)}});
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  stop.Notify();
  pruner.join();
  base::LogInfo("stopped");
  return 0;
}

}  // namespace
}  // namespace mail::mailbox_store

int main(int argc, char** argv) { return mail::mailbox_store::Run(argc, argv); }
