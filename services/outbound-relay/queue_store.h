// The outbound queue's storage (schema relay): enqueue, claim due work under a lease,
// record attempt outcomes (and the suppression list with them), DSN bookkeeping, queue
// control and reports. QueueStore is the role; PgQueueStore keeps it in
// PostgreSQL. Methods block on the database and are thread-safe (each borrows a
// pooled connection); call them from gRPC handler threads or the relay's DB threads.
#ifndef MAILSUITE_SERVICES_OUTBOUND_RELAY_QUEUE_STORE_H_
#define MAILSUITE_SERVICES_OUTBOUND_RELAY_QUEUE_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mail/v1/relay_service.pb.h"
#include "services/libs/pg/pg.h"
#include "services/outbound-relay/retry_policy.h"
#include "services/outbound-relay/smtp_client.h"

namespace mail::outbound_relay {

struct EnqueueResult {
  std::string queue_id;
  bool duplicate = false;
};

struct ClaimedRecipient {
  int64_t id = 0;
  std::string address;
  int attempts = 0;  // attempts before this one
};

// Suppression of addresses that keep failing (README: SUPPRESSION).
struct SuppressionPolicy {
  int soft_limit = 5;  // consecutive soft failures that suppress
  absl::Duration ttl = absl::Hours(24 * 30);
};

// One unit of delivery work: the recipients of one message at one domain, leased to
// this relay until `lease_until`.
struct Job {
  std::string message_id;
  std::string domain;
  bool local = false;  // deliver through mailbox-store, not SMTP
  absl::Time created_at;
  // When the lease was taken (set by the scheduler, just before the claim): the
  // delivery must be over before claimed_at + lease. InfinitePast when unknown (tests):
  // the lease then counts from the start of the attempt.
  absl::Time claimed_at = absl::InfinitePast();
  std::vector<ClaimedRecipient> recipients;
};

struct StoredMessage {
  std::string sender;
  std::string body;
  bool smtputf8 = false;
  // LoadForDelivery only: the job's addresses (lower-cased) that are suppressed now.
  std::set<std::string> suppressed;
};

// What one Purge batch removed.
struct PurgeResult {
  int64_t messages = 0;
  int64_t recipients = 0;
  bool skipped = false;  // another relay is purging right now
};

// What a DSN reports for one recipient.
struct DsnRecipient {
  int64_t id = 0;
  std::string address, orcpt;
  std::string state;  // delivered, failed, queued (delay warning)
  std::string cause, last_reply, last_mta;
  int attempts = 0;
  absl::Time updated_at;
};

// One DSN to generate: for one message, its recipients to report in one go.
struct DsnWork {
  std::string message_id;
  std::string sender, envelope_id, ret;
  absl::Time created_at;
  std::string body;
  bool delay = false;  // a delay warning (else failures and successes)
  std::vector<DsnRecipient> recipients;
};

// What one attempt did for one recipient, and the recipient's new state.
struct AttemptRecord {
  int64_t recipient_id = 0;
  Disposition outcome = Disposition::kDeferred;  // of this attempt
  Decision decision;                             // the recipient's next state
  SmtpReply reply;    // the reply (or synthesized reason) behind the outcome
  std::string cause;  // services/libs/delivery cause id
  // How this outcome counts for suppression: a hard failure of the address (unknown
  // mailbox, no such domain...), a soft failure, or neither (a success clears).
  enum class Suppress { kNone, kHard, kSoft, kClear } suppress = Suppress::kNone;
  std::string mx_host, ip;
  bool tls = false;
  absl::Duration duration;
};

class QueueStore {
 public:
  virtual ~QueueStore() = default;
  // Stores message and recipients in one transaction; returns after COMMIT. A
  // transaction_id already stored gives duplicate=true and changes nothing.
  virtual absl::StatusOr<EnqueueResult> Enqueue(const v1::Envelope& envelope,
                                                const std::string& body) = 0;
  // Leases up to `max_jobs` (message, domain) groups of due recipients.
  virtual absl::StatusOr<std::vector<Job>> Claim(int max_jobs, absl::Duration lease) = 0;
  virtual absl::StatusOr<StoredMessage> LoadMessage(const std::string& message_id) = 0;
  // LoadMessage and Suppressed(addresses, queued_at) at once (one round trip in
  // PostgreSQL, once per delivery).
  virtual absl::StatusOr<StoredMessage> LoadForDelivery(const std::string& message_id,
                                                        const std::vector<std::string>& addresses,
                                                        absl::Time queued_at) {
    auto message = LoadMessage(message_id);
    if (!message.ok()) return message.status();
    auto suppressed = Suppressed(addresses, queued_at);
    if (!suppressed.ok()) return suppressed.status();
    message->suppressed = *std::move(suppressed);
    return message;
  }
  // Writes the attempts and the recipients' new states, and drops their leases.
  virtual absl::Status Record(const std::vector<AttemptRecord>& records,
                              const SuppressionPolicy& policy) = 0;
  // The addresses (lower-cased) among `addresses` that are suppressed now for mail
  // queued at `queued_at` (mail queued before the suppression began is still tried).
  virtual absl::StatusOr<std::set<std::string>> Suppressed(
      const std::vector<std::string>& addresses, absl::Time queued_at) = 0;
  // Messages with recipients whose DSN is due (failed or NOTIFY=SUCCESS delivered, not
  // reported, no sibling in flight), then delay warnings due after `delay_warning`.
  virtual absl::StatusOr<std::vector<DsnWork>> DsnDue(int max_messages,
                                                      absl::Duration delay_warning) = 0;
  // In one transaction: marks the work's recipients reported and queues the DSN
  // (`envelope`, `body`) as a new message. False when another relay reported them first.
  virtual absl::StatusOr<bool> CommitDsn(const DsnWork& work, const v1::Envelope& envelope,
                                         const std::string& body) = 0;
  // `state`: "" (everything still queued), queued, active, deferred, delivered, failed.
  virtual absl::StatusOr<std::vector<v1::QueueEntry>> List(const std::string& state, int limit) = 0;
  // Recipients per state: queued (due or waiting, never tried), deferred, active
  // (leased), failed. Delivered recipients are not counted.
  virtual absl::StatusOr<std::map<std::string, int64_t>> Depth() = 0;

  // Queue control (mailctl). `op`: retry, delete, hold, release. Returns recipients changed.
  virtual absl::StatusOr<int> Control(const std::string& op, const std::string& queue_id,
                                      const std::string& recipient) = 0;
  virtual absl::StatusOr<v1::ShowMessageResponse> Show(const std::string& queue_id) = 0;
  // Suppression list.
  virtual absl::StatusOr<std::optional<v1::Suppression>> GetSuppression(
      const std::string& address) = 0;
  virtual absl::StatusOr<std::vector<v1::Suppression>> ListSuppressions(int limit) = 0;
  virtual absl::StatusOr<v1::Suppression> AddSuppression(const std::string& address,
                                                         const std::string& reason,
                                                         absl::Duration ttl) = 0;
  virtual absl::StatusOr<bool> RemoveSuppression(const std::string& address) = 0;
  virtual absl::StatusOr<v1::BounceReportResponse> Report(absl::Time since, int top_domains) = 0;
  // Active suppressions (metrics).
  virtual absl::StatusOr<int64_t> SuppressionCount() = 0;
  // Deletes up to `batch` finished messages with their recipients and attempts: every
  // recipient delivered or failed, no DSN pending, and none changed within `retention`
  // (so `mailctl queue` and the bounce report keep recent history). Only one relay
  // purges at a time (a transaction-scoped advisory lock): the others get skipped=true.
  virtual absl::StatusOr<PurgeResult> Purge(absl::Duration retention, int batch) = 0;
};

class PgQueueStore final : public QueueStore {
 public:
  // `pool` is not owned.
  explicit PgQueueStore(pg::Pool* pool) : pool_(pool) {}
  absl::StatusOr<EnqueueResult> Enqueue(const v1::Envelope& envelope,
                                        const std::string& body) override;
  absl::StatusOr<std::vector<Job>> Claim(int max_jobs, absl::Duration lease) override;
  absl::StatusOr<StoredMessage> LoadMessage(const std::string& message_id) override;
  absl::StatusOr<StoredMessage> LoadForDelivery(const std::string& message_id,
                                                const std::vector<std::string>& addresses,
                                                absl::Time queued_at) override;
  absl::Status Record(const std::vector<AttemptRecord>& records,
                      const SuppressionPolicy& policy) override;
  absl::StatusOr<std::set<std::string>> Suppressed(const std::vector<std::string>& addresses,
                                                   absl::Time queued_at) override;
  absl::StatusOr<std::vector<DsnWork>> DsnDue(int max_messages,
                                              absl::Duration delay_warning) override;
  absl::StatusOr<bool> CommitDsn(const DsnWork& work, const v1::Envelope& envelope,
                                 const std::string& body) override;
  absl::StatusOr<std::vector<v1::QueueEntry>> List(const std::string& state, int limit) override;
  absl::StatusOr<std::map<std::string, int64_t>> Depth() override;
  absl::StatusOr<int> Control(const std::string& op, const std::string& queue_id,
                              const std::string& recipient) override;
  absl::StatusOr<v1::ShowMessageResponse> Show(const std::string& queue_id) override;
  absl::StatusOr<std::optional<v1::Suppression>> GetSuppression(
      const std::string& address) override;
  absl::StatusOr<std::vector<v1::Suppression>> ListSuppressions(int limit) override;
  absl::StatusOr<v1::Suppression> AddSuppression(const std::string& address,
                                                 const std::string& reason,
                                                 absl::Duration ttl) override;
  absl::StatusOr<bool> RemoveSuppression(const std::string& address) override;
  absl::StatusOr<v1::BounceReportResponse> Report(absl::Time since, int top_domains) override;
  absl::StatusOr<int64_t> SuppressionCount() override;
  absl::StatusOr<PurgeResult> Purge(absl::Duration retention, int batch) override;

 private:
  pg::Pool* const pool_;
};

// The domain part of an address, lower-cased ("" when there is no "@").
std::string DomainOf(const std::string& address);
// RFC 3461 NOTIFY as stored: "NEVER" or a comma list of SUCCESS, FAILURE, DELAY.
std::string NotifyText(const v1::EnvelopeRecipient& recipient);
// The header section of a message (up to and including the empty line), at most 64 KiB.
std::string HeaderSection(const std::string& body);

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_QUEUE_STORE_H_
