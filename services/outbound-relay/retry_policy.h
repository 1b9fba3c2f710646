// What a delivery attempt means for a recipient: delivered, deferred until a later
// attempt (exponential backoff), or failed for good (5xx, or queued too long). Pure
// functions of the attempt result and the clock; the one place backoff is computed.
#ifndef MAILSUITE_SERVICES_OUTBOUND_RELAY_RETRY_POLICY_H_
#define MAILSUITE_SERVICES_OUTBOUND_RELAY_RETRY_POLICY_H_

#include <string_view>

#include "absl/time/time.h"
#include "services/outbound-relay/smtp_client.h"

namespace mail::outbound_relay {

enum class Disposition { kDelivered, kDeferred, kFailed };

// "delivered", "deferred", "failed" (the recipients.state / attempts.outcome values
// and metric labels; a deferred recipient's state stays "queued").
std::string_view DispositionName(Disposition d);

// 2xx delivered, 5xx failed, anything else (4xx, no reply) deferred. A reply the
// relay synthesized (code 0) is classed by its enhanced code ("5.1.2" fails).
Disposition DispositionOf(const SmtpReply& reply);

struct RetryPolicy {
  absl::Duration initial = absl::Minutes(5);
  absl::Duration max = absl::Hours(4);
  // Give up on temporary failures once the message is this old (Postfix
  // maximal_queue_lifetime).
  absl::Duration lifetime = absl::Hours(24 * 5);
};

// The wait after the `failures`-th consecutive temporary failure (1-based):
// initial, 2*initial, 4*initial ... at most `max`.
absl::Duration RetryDelay(int failures, const RetryPolicy& policy);

struct Decision {
  Disposition state;        // kDeferred means: stays queued until next_attempt
  absl::Time next_attempt;  // meaningful for kDeferred
};

// `attempt` is what this attempt produced and `failures` the recipient's attempt
// count including this one. A deferral past the message's lifetime becomes a failure;
// the last retry is moved up to the moment the lifetime ends so it is not skipped.
Decision Decide(Disposition attempt, int failures, absl::Time created_at, absl::Time now,
                const RetryPolicy& policy);

}  // namespace mail::outbound_relay

#endif  // MAILSUITE_SERVICES_OUTBOUND_RELAY_RETRY_POLICY_H_
