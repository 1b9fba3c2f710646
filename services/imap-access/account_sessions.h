// Concurrent IMAP sessions per account in this process: LOGIN and AUTHENTICATE take a
// slot, the session's end gives it back, and a login past --max_sessions_per_account
// is refused (NO [LIMIT]), so one account cannot hold every connection of a replica.
// The per-IP limit is the listener's (--max_connections_per_ip, net::ListenerLimits).
// Thread-safe; owned by main (or a test), shared by every session. Each replica counts
// on its own.
#ifndef MAILSUITE_SERVICES_IMAP_ACCESS_ACCOUNT_SESSIONS_H_
#define MAILSUITE_SERVICES_IMAP_ACCESS_ACCOUNT_SESSIONS_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace mail::imap_access {

class AccountSessions {
 public:
  // `max_per_account` <= 0: no limit (slots are still counted).
  explicit AccountSessions(int max_per_account) : max_(max_per_account) {}

  int max_per_account() const { return max_; }
  // Takes a slot for `account` (the store's canonical account name); false when the
  // account already has max_per_account sessions.
  bool TryAcquire(const std::string& account);
  // Gives back a slot TryAcquire handed out.
  void Release(const std::string& account);
  int sessions(const std::string& account);

 private:
  const int max_;
  absl::Mutex mu_;
  std::map<std::string, int> counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mail::imap_access

#endif  // MAILSUITE_SERVICES_IMAP_ACCESS_ACCOUNT_SESSIONS_H_
