// The outbound queue's storage (schema relay): enqueue, claim due work under a lease,
// record attempt outcomes, list. QueueStore is the role; PgQueueStore keeps it in
// PostgreSQL. Methods block on the database and are thread-safe (each borrows a
// pooled connection); call them from gRPC handler threads or the relay's DB threads.
#ifndef MAILSUITE_SERVICES_OUTBOUND_RELAY_QUEUE_STORE_H_
#define MAILSUITE_SERVICES_OUTBOUND_RELAY_QUEUE_STORE_H_

#include <cstdint>
#include <map>
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

// One unit of delivery work: the recipients of one message at one domain, leased to
// this relay until `lease_until`.
struct Job {
  std::string message_id;
  std::string domain;
  absl::Time created_at;
  std::vector<ClaimedRecipient> recipients;
};

struct StoredMessage {
  std::string sender;
  std::string body;
  bool smtputf8 = false;
};

// What one attempt did for one recipient, and the recipient's new state.
struct AttemptRecord {
  int64_t recipient_id = 0;
  Disposition outcome = Disposition::kDeferred;  // of this attempt
  Decision decision;                             // the recipient's next state
  SmtpReply reply;  // the reply (or synthesized reason) behind the outcome
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
  // Writes the attempts and the recipients' new states, and drops their leases.
  virtual absl::Status Record(const std::vector<AttemptRecord>& records) = 0;
  // `state`: "" (everything still queued), queued, active, deferred, delivered, failed.
  virtual absl::StatusOr<std::vector<v1::QueueEntry>> List(const std::string& state, int limit) = 0;
  // Recipients per state: queued (due or waiting, never tried), deferred, active
  // (leased), failed. Delivered recipients are not counted.
  virtual absl::StatusOr<std::map<std::string, int64_t>> Depth() = 0;
};

class PgQueueStore final : public QueueStore {
 public:
  // `pool` is not owned.
  explicit PgQueueStore(pg::Pool* pool) : pool_(pool) {}
  absl::StatusOr<EnqueueResult> Enqueue(const v1::Envelope& envelope,
                                        const std::string& body) override;
  absl::StatusOr<std::vector<Job>> Claim(int max_jobs, absl::Duration lease) override;
  absl::StatusOr<StoredMessage> LoadMessage(const std::string& message_id) override;
  absl::Status Record(const std::vector<AttemptRecord>& records) override;
  absl::StatusOr<std::vector<v1::QueueEntry>> List(const std::string& state, int limit) override;
  absl::StatusOr<std::map<std::string, int64_t>> Depth() override;

 private:
  pg::Pool* const pool_;
};

// The domain part of an address, lower-cased ("" when there is no "@").
std::string DomainOf(const std::string& address);
// RFC 3461 NOTIFY as stored: "NEVER" or a comma list of SUCCESS, FAILURE, DELAY.
std::string NotifyText(const v1::EnvelopeRecipient& recipient);

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_QUEUE_STORE_H_
