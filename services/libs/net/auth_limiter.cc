#include "services/libs/net/auth_limiter.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace mail::net {
namespace {

// Bounds memory under a spray of addresses; entries past their window go first.
constexpr size_t kMaxEntries = 100000;

}  // namespace

AuthLimiter::AuthLimiter(Options options, Clock clock)
    : options_(options), clock_(std::move(clock)) {}

void AuthLimiter::Count(std::map<std::string, Entry>& table, const std::string& key,
                        absl::Time now) {
  Entry& e = table[key];
  if (e.failures == 0 || now - e.first > options_.window) {
    e.failures = 0;
    e.first = now;
  }
  ++e.failures;
}

void AuthLimiter::Prune(absl::Time now) {
  for (auto* table : {&ips_, &accounts_}) {
    if (table->size() < kMaxEntries) continue;
    for (auto it = table->begin(); it != table->end();) {
      bool stale = now - it->second.first > options_.window && now >= it->second.blocked_until;
      it = stale ? table->erase(it) : std::next(it);
    }
    if (table->size() >= kMaxEntries) table->clear();  // under attack from everywhere
  }
}

bool AuthLimiter::IpBlocked(const std::string& ip) {
  absl::MutexLock lock(&mu_);
  auto it = ips_.find(ip);
  return it != ips_.end() && clock_() < it->second.blocked_until;
}

absl::Duration AuthLimiter::AccountDelay(const std::string& account) {
  absl::MutexLock lock(&mu_);
  auto it = accounts_.find(absl::AsciiStrToLower(account));
  if (it == accounts_.end() || clock_() - it->second.first > options_.window) {
    return absl::ZeroDuration();
  }
  int over = it->second.failures - options_.free_account_failures;
  if (over <= 0) return absl::ZeroDuration();
  absl::Duration d = absl::Milliseconds(250) * (1 << std::min(over - 1, 10));
  return std::min(d, options_.max_account_delay);
}

void AuthLimiter::Failure(const std::string& ip, const std::string& account) {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_();
  Prune(now);
  Count(ips_, ip, now);
  Entry& e = ips_[ip];
  if (e.failures >= options_.max_ip_failures) {
    e.blocked_until = now + options_.lockout;
    e.failures = 0;  // counted afresh once the lockout ends
  }
  if (!account.empty()) Count(accounts_, absl::AsciiStrToLower(account), now);
}

void AuthLimiter::Success(const std::string& account) {
  absl::MutexLock lock(&mu_);
  accounts_.erase(absl::AsciiStrToLower(account));
}

}  // namespace mail::net
