#include "services/libs/net/auth_limiter.h"

#include <catch2/catch.hpp>

namespace mail::net {
namespace {

struct FakeClock {
  absl::Time now = absl::FromUnixSeconds(1000000);
  AuthLimiter::Clock fn() {
    return [this] { return now; };
  }
};

AuthLimiter::Options Small() {
  AuthLimiter::Options o;
  o.max_ip_failures = 3;
  o.window = absl::Minutes(10);
  o.lockout = absl::Minutes(5);
  o.free_account_failures = 2;
  o.max_account_delay = absl::Seconds(2);
  return o;
}

TEST_CASE("auth_limiter: an IP is refused after too many failures, then let in again") {
  FakeClock clock;
  AuthLimiter l(Small(), clock.fn());
  l.Failure("192.0.2.1", "a@example.test");
  l.Failure("192.0.2.1", "b@example.test");
  CHECK_FALSE(l.IpBlocked("192.0.2.1"));
  l.Failure("192.0.2.1", "c@example.test");
  CHECK(l.IpBlocked("192.0.2.1"));
  CHECK_FALSE(l.IpBlocked("192.0.2.2"));  // other clients are not affected
  clock.now += absl::Minutes(5);
  CHECK_FALSE(l.IpBlocked("192.0.2.1"));
}

TEST_CASE("auth_limiter: failures outside the window are forgotten") {
  FakeClock clock;
  AuthLimiter l(Small(), clock.fn());
  l.Failure("192.0.2.1", "");
  l.Failure("192.0.2.1", "");
  clock.now += absl::Minutes(11);
  l.Failure("192.0.2.1", "");
  CHECK_FALSE(l.IpBlocked("192.0.2.1"));
}

TEST_CASE("auth_limiter: an attacked account is slowed down, never locked") {
  FakeClock clock;
  AuthLimiter l(Small(), clock.fn());
  for (int i = 0; i < 2; ++i) l.Failure("198.51.100." + std::to_string(i), "Alice@example.test");
  CHECK(l.AccountDelay("alice@example.test") == absl::ZeroDuration());
  l.Failure("198.51.100.9", "alice@example.test");
  CHECK(l.AccountDelay("alice@example.test") == absl::Milliseconds(250));
  l.Failure("198.51.100.10", "alice@example.test");
  CHECK(l.AccountDelay("alice@example.test") == absl::Milliseconds(500));
  for (int i = 0; i < 10; ++i) l.Failure("198.51.100.20", "alice@example.test");
  CHECK(l.AccountDelay("alice@example.test") == absl::Seconds(2));  // capped
  // The owner, from an address that never failed, is not refused, and gets in.
  CHECK_FALSE(l.IpBlocked("203.0.113.7"));
  l.Success("alice@example.test");
  CHECK(l.AccountDelay("alice@example.test") == absl::ZeroDuration());
}

TEST_CASE("auth_limiter: a success does not reset the IP's count") {
  FakeClock clock;
  AuthLimiter l(Small(), clock.fn());
  l.Failure("192.0.2.1", "x@example.test");
  l.Failure("192.0.2.1", "y@example.test");
  l.Success("mine@example.test");
  l.Failure("192.0.2.1", "z@example.test");
  CHECK(l.IpBlocked("192.0.2.1"));
}

}  // namespace
}  // namespace mail::net
