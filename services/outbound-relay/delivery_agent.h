// The delivery side of the relay (Postfix's qmgr + smtp roles): a scheduler coroutine
// claims due work from the queue under a lease, runs up to `workers` deliveries at once
// on the io_context (each on its own strand), and records each outcome. Database calls
// run on a separate thread pool so no io thread blocks. Start/Wake/Stop are thread-safe.
#ifndef MAILSUITE_SERVICES_OUTBOUND_RELAY_DELIVERY_AGENT_H_
#define MAILSUITE_SERVICES_OUTBOUND_RELAY_DELIVERY_AGENT_H_

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <vector>

#include "absl/time/time.h"
#include "services/libs/clients/dns_client.h"
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
};

// The recipients' outcomes of one attempt, before the retry policy is applied.
struct JobOutcome {
  std::vector<SmtpReply> replies;  // one per job recipient
  std::string mx_host, ip;
  bool tls = false;
};

class DeliveryAgent {
 public:
  // Nothing is owned; all must outlive the agent and the io_context's run.
  DeliveryAgent(asio::io_context& io, asio::thread_pool& db, QueueStore* store,
                clients::DnsClient* dns, AgentOptions options, const RelayMetrics* metrics);

  void Start();
  // Looks for due work now instead of at the next poll (after an Enqueue).
  void Wake();
  // Stops claiming and waits up to `grace` for deliveries in flight; true when none is
  // left. Unfinished ones keep their lease, which expires, so nothing is lost.
  bool Stop(absl::Duration grace);
  int in_flight() const { return in_flight_.load(); }

  // Delivers one job's message to its domain (DNS, MX hosts, SMTP). Public for tests.
  asio::awaitable<JobOutcome> Attempt(const Job& job, const StoredMessage& message);

 private:
  asio::awaitable<void> Schedule();
  asio::awaitable<void> RefreshDepth();
  asio::awaitable<void> RunJob(Job job);
  template <typename F>
  asio::awaitable<decltype(std::declval<F>()())> OnDb(F fn);

  asio::io_context& io_;
  asio::thread_pool& db_;
  QueueStore* const store_;
  clients::DnsClient* const dns_;
  const AgentOptions options_;
  const RelayMetrics* const metrics_;
  asio::strand<asio::io_context::executor_type> strand_;  // scheduler state
  asio::steady_timer wake_timer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> scheduler_running_{false};
  std::atomic<bool> wake_pending_{false};
  std::atomic<int> in_flight_{0};
};

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_DELIVERY_AGENT_H_
