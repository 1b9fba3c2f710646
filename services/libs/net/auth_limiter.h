// Failed-login accounting across the sessions of one process (ARCHITECTURE.md §6), for
// every front-end that checks passwords (smtp-ingress AUTH, imap-access LOGIN and
// AUTHENTICATE): a client IP with too many recent failures is refused for a while (SMTP
// 421 4.7.0, IMAP NO [UNAVAILABLE] and BYE), while an account under attack is only
// slowed down, never locked, so its owner can still log in from another address.
// Thread-safe; owned by main, shared by sessions. Each replica counts on its own.
#ifndef MAILSUITE_SERVICES_LIBS_NET_AUTH_LIMITER_H_
#define MAILSUITE_SERVICES_LIBS_NET_AUTH_LIMITER_H_

#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mail::net {

class AuthLimiter {
 public:
  struct Options {
    int max_ip_failures = 10;                    // within `window`, then refused
    absl::Duration window = absl::Minutes(10);   // failures older than this are forgotten
    absl::Duration lockout = absl::Minutes(10);  // how long a refused IP stays refused
    int free_account_failures = 3;               // before an account's logins slow down
    absl::Duration max_account_delay = absl::Seconds(5);
  };
  using Clock = std::function<absl::Time()>;

  explicit AuthLimiter(Options options, Clock clock = absl::Now);

  // True while `ip` may not try AUTH.
  bool IpBlocked(const std::string& ip);
  // How long to wait before answering an AUTH for `account` (0 when it has no recent
  // failures): 250 ms after the free failures, doubling, up to max_account_delay.
  absl::Duration AccountDelay(const std::string& account);
  void Failure(const std::string& ip, const std::string& account);
  // Clears the account's failures (the owner got in). The IP's failures stay: one
  // valid account must not let an attacker reset its own count.
  void Success(const std::string& account);

 private:
  struct Entry {
    int failures = 0;
    absl::Time first;
    absl::Time blocked_until = absl::InfinitePast();
  };
  void Count(std::map<std::string, Entry>& table, const std::string& key, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Prune(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const Clock clock_;
  absl::Mutex mu_;
  std::map<std::string, Entry> ips_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Entry> accounts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mail::net

#endif  // MAILSUITE_SERVICES_LIBS_NET_AUTH_LIMITER_H_
