// The delivery side of the relay (Postfix's qmgr + smtp + bounce roles): a scheduler
// coroutine claims due work from the queue under a lease, runs up to `workers` deliveries
// at once on the io_context (each on its own strand; at most `max_per_destination` per
// domain), delivers local recipients through mailbox-store and remote ones over SMTP,
// records each outcome (with its cause and the suppression list), and a DSN coroutine
// turns failures, requested successes and delays into RFC 3464 reports; a purge
// coroutine deletes finished messages after the retention. Database calls
// run on a separate thread pool so no io thread blocks. Start/Wake/Stop are thread-safe.
#ifndef MAILSUITE_SERVICES_OUTBOUND_RELAY_DELIVERY_AGENT_H_
#define MAILSUITE_SERVICES_OUTBOUND_RELAY_DELIVERY_AGENT_H_

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/libs/clients/dns_client.h"
#include "services/libs/clients/mailbox_client.h"
#include "services/outbound-relay/queue_store.h"
#include "services/outbound-relay/relay_metrics.h"
#include "services/outbound-relay/retry_policy.h"
#include "services/outbound-relay/smtp_session.h"

namespace mail::outbound_relay {

struct AgentOptions {
  int workers = 8;  // deliveries (message × domain) in flight at once
  absl::Duration poll_interval = absl::Seconds(1);
  absl::Duration lease = absl::Minutes(5);
  absl::Duration depth_interval = absl::Seconds(15);
  RetryPolicy retry;
  SessionOptions smtp;  // deadline is set per job
  // Addresses tried per delivery before giving up for this attempt (Postfix
  // smtp_mx_address_limit).
  int max_addresses = 5;
  // Deliveries to one domain in flight at once (Postfix default_destination_concurrency).
  int max_per_destination = 10;
  // Local source addresses used in rotation (bind before connect); empty: the kernel's.
  std::vector<asio::ip::address> source_addresses;
  SuppressionPolicy suppression;
  std::string hostname;  // Reporting-MTA, MAILER-DAEMON@hostname
  // A delay warning goes out once a message is this old and still queued (RFC 3461 §4.1).
  absl::Duration delay_warning = absl::Hours(4);
  bool send_dsns = true;
  // How long a connection stays open after a delivery for the next message to the same
  // address (0: QUIT after each delivery).
  absl::Duration connection_cache_time = absl::Seconds(2);
  // Finished messages (every recipient delivered or failed, no DSN pending) are deleted
  // once untouched this long; 0 keeps them forever. Checked every purge_interval, in
  // batches of purge_batch messages.
  absl::Duration retention = absl::Hours(24 * 7);
  absl::Duration purge_interval = absl::Minutes(10);
  int purge_batch = 1000;
};

// The recipients' outcomes of one attempt, before the retry policy is applied.
struct JobOutcome {
  std::vector<SmtpReply> replies;  // one per job recipient
  std::string mx_host, ip;
  bool tls = false;
};

// The cause id (services/libs/delivery) of a reply: its own `cause` when the relay set
// one, else the classification of code, enhanced code and text.
std::string CauseOf(const SmtpReply& reply);

class DeliveryAgent {
 public:
  // Nothing is owned; all must outlive the agent and the io_context's run.
  // `mailbox` may be null (local recipients and local bounces then wait).
  DeliveryAgent(asio::io_context& io, asio::thread_pool& db, QueueStore* store,
                clients::DnsClient* dns, clients::MailboxClient* mailbox, AgentOptions options,
                const RelayMetrics* metrics);

  void Start();
  // Looks for due work now instead of at the next poll (after an Enqueue).
  void Wake();
  // Stops claiming and waits up to `grace` for deliveries in flight; true when none is
  // left. Unfinished ones keep their lease, which expires, so nothing is lost.
  bool Stop(absl::Duration grace);
  int in_flight() const { return in_flight_.load(); }

  // Delivers one job's message to its domain (DNS, MX hosts, SMTP). Public for tests.
  asio::awaitable<JobOutcome> Attempt(const Job& job, const StoredMessage& message);
  // Delivers a local job through mailbox-store (idempotent by the message id).
  asio::awaitable<JobOutcome> DeliverLocal(const Job& job, const StoredMessage& message);
  // Generates the DSNs that are due now (one pass). Public for tests.
  asio::awaitable<int> SendDueDsns();
  // Deletes finished messages older than the retention, batch after batch (one pass);
  // returns the messages deleted. Public for tests.
  asio::awaitable<int64_t> PurgeFinished();

 private:
  // Claims in batches: besides filling free worker slots it keeps up to `workers`
  // claimed jobs in reserve, so a finished delivery starts the next one without waiting
  // for a claim round trip (and its commit), and claims come once per workers/2
  // deliveries rather than once per delivery.
  asio::awaitable<void> Schedule();
  asio::awaitable<void> RefreshDepth();
  asio::awaitable<void> DsnLoop();
  asio::awaitable<void> PurgeLoop();
  asio::awaitable<bool> SendDsn(const DsnWork& work);
  asio::awaitable<void> RunJob(Job job);
  // Spawns RunJob on the job's strand and counts it in flight.
  void StartJob(Job job);
  // Waits for a slot of `domain` (max_per_destination); false when stopping.
  asio::awaitable<void> AcquireDestination(const std::string& domain);
  void ReleaseDestination(const std::string& domain);
  template <typename F>
  asio::awaitable<decltype(std::declval<F>()())> OnDb(F fn);

  asio::io_context& io_;
  asio::thread_pool& db_;
  QueueStore* const store_;
  clients::DnsClient* const dns_;
  clients::MailboxClient* const mailbox_;
  const AgentOptions options_;
  const RelayMetrics* const metrics_;
  asio::strand<asio::io_context::executor_type> strand_;  // scheduler state
  asio::steady_timer wake_timer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> scheduler_running_{false};
  std::atomic<bool> wake_pending_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<bool> dsn_running_{false};
  std::atomic<unsigned> source_next_{0};
  static constexpr int kJobStrands = 16;
  std::vector<asio::strand<asio::io_context::executor_type>> job_strands_;
  // Null when connection_cache_time is 0. Destroyed with the agent, after the io threads
  // have stopped (idle connections are closed then).
  std::unique_ptr<ConnectionPool> pool_;
  std::mutex destinations_mu_;
  std::map<std::string, int> destinations_;  // deliveries in flight per domain
};

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_DELIVERY_AGENT_H_
