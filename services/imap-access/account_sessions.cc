// Sessions per account; see account_sessions.h.
#include "services/imap-access/account_sessions.h"

namespace mail::imap_access {

bool AccountSessions::TryAcquire(const std::string& account) {
  absl::MutexLock lock(&mu_);
  int& n = counts_[account];
  if (max_ > 0 && n >= max_) {
    if (n == 0) counts_.erase(account);
    return false;
  }
  ++n;
  return true;
}

void AccountSessions::Release(const std::string& account) {
  absl::MutexLock lock(&mu_);
  auto it = counts_.find(account);
  if (it == counts_.end()) return;
  // Forget accounts without sessions, so the map only holds who is connected.
  if (--it->second <= 0) counts_.erase(it);
}

int AccountSessions::sessions(const std::string& account) {
  absl::MutexLock lock(&mu_);
  auto it = counts_.find(account);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace mail::imap_access
