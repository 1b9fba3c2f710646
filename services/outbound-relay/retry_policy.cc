// Delivery outcomes and backoff; see retry_policy.h.
#include "services/outbound-relay/retry_policy.h"

#include <algorithm>

namespace mail::outbound_relay {

std::string_view DispositionName(Disposition d) {
  switch (d) {
    case Disposition::kDelivered:
      return "delivered";
    case Disposition::kDeferred:
      return "deferred";
    case Disposition::kFailed:
      return "failed";
  }
  return "?";
}

Disposition DispositionOf(const SmtpReply& reply) {
  // A reply the relay made up (code 0) carries its class in the enhanced code.
  int cls = reply.cls();
  if (reply.code == 0 && !reply.enhanced.empty()) cls = reply.enhanced[0] - '0';
  if (cls == 2) return Disposition::kDelivered;
  if (cls == 5) return Disposition::kFailed;
  return Disposition::kDeferred;
}

absl::Duration RetryDelay(int failures, const RetryPolicy& policy) {
  absl::Duration delay = policy.initial;
  for (int i = 1; i < failures && delay < policy.max; ++i) delay *= 2;
  return std::min(delay, policy.max);
}

Decision Decide(Disposition attempt, int failures, absl::Time created_at, absl::Time now,
                const RetryPolicy& policy) {
  if (attempt != Disposition::kDeferred) return {attempt, now};
  const absl::Time give_up = created_at + policy.lifetime;
  if (now >= give_up) return {Disposition::kFailed, now};
  return {Disposition::kDeferred, std::min(now + RetryDelay(failures, policy), give_up)};
}

}  // namespace mail::outbound_relay
