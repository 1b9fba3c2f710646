// Tests for outcome classification, backoff and the queue lifetime.
#include "services/outbound-relay/retry_policy.h"

#include <catch2/catch.hpp>

#include "services/outbound-relay/smtp_session.h"

namespace mail::outbound_relay {
namespace {

SmtpReply Reply(int code) {
  SmtpReply r;
  r.code = code;
  r.lines.push_back("x");
  return r;
}

TEST_CASE("retry_policy: reply classes map to outcomes") {
  CHECK(DispositionOf(Reply(250)) == Disposition::kDelivered);
  CHECK(DispositionOf(Reply(251)) == Disposition::kDelivered);
  CHECK(DispositionOf(Reply(451)) == Disposition::kDeferred);
  CHECK(DispositionOf(Reply(421)) == Disposition::kDeferred);
  CHECK(DispositionOf(Reply(550)) == Disposition::kFailed);
  CHECK(DispositionOf(Reply(554)) == Disposition::kFailed);
  CHECK(DispositionOf(SmtpReply()) == Disposition::kDeferred);
}

TEST_CASE("retry_policy: relay-made replies are classed by their enhanced code") {
  CHECK(DispositionOf(LocalReply("5.1.2", "no such domain")) == Disposition::kFailed);
  CHECK(DispositionOf(LocalReply("5.1.10", "null MX")) == Disposition::kFailed);
  CHECK(DispositionOf(LocalReply("4.4.1", "connection refused")) == Disposition::kDeferred);
  SmtpReply local = LocalReply("4.4.3", "DNS timeout");
  CHECK(local.code == 0);
  CHECK(local.Summary() == "4.4.3 DNS timeout");
  CHECK(local.Text() == "DNS timeout");
}

TEST_CASE("retry_policy: backoff doubles from the initial delay up to the maximum") {
  RetryPolicy p;  // 5m, 4h
  CHECK(RetryDelay(1, p) == absl::Minutes(5));
  CHECK(RetryDelay(2, p) == absl::Minutes(10));
  CHECK(RetryDelay(3, p) == absl::Minutes(20));
  CHECK(RetryDelay(6, p) == absl::Minutes(160));
  CHECK(RetryDelay(7, p) == absl::Hours(4));
  CHECK(RetryDelay(1000, p) == absl::Hours(4));
  p.initial = absl::Seconds(1);
  p.max = absl::Seconds(3);
  CHECK(RetryDelay(2, p) == absl::Seconds(2));
  CHECK(RetryDelay(3, p) == absl::Seconds(3));
}

TEST_CASE("retry_policy: deferrals end in failure once the message is too old") {
  RetryPolicy p;
  const absl::Time created = absl::FromUnixSeconds(1700000000);
  Decision d = Decide(Disposition::kDeferred, 1, created, created + absl::Minutes(1), p);
  CHECK(d.state == Disposition::kDeferred);
  CHECK(d.next_attempt == created + absl::Minutes(6));
  // Just before the lifetime ends, the next attempt is moved up to the end.
  absl::Time late = created + p.lifetime - absl::Minutes(1);
  d = Decide(Disposition::kDeferred, 30, created, late, p);
  CHECK(d.state == Disposition::kDeferred);
  CHECK(d.next_attempt == created + p.lifetime);
  d = Decide(Disposition::kDeferred, 31, created, created + p.lifetime, p);
  CHECK(d.state == Disposition::kFailed);
  // Delivered and failed are final at once.
  CHECK(Decide(Disposition::kDelivered, 1, created, late, p).state == Disposition::kDelivered);
  CHECK(Decide(Disposition::kFailed, 1, created, created, p).state == Disposition::kFailed);
}

}  // namespace
}  // namespace mail::outbound_relay
