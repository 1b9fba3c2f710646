// The snapshots of mailboxes this process selected lately, so that the next SELECT of
// one asks mailbox-store only for what changed since (a delta of a few rows) instead
// of listing every message again: with ten clients re-selecting a 10,000-message INBOX,
// that list was most of the SELECT's time. Bounded by a number of messages, least
// recently used first out. Thread-safe; entries are immutable and shared.
#ifndef MAILSUITE_SERVICES_IMAP_ACCESS_SNAPSHOT_CACHE_H_
#define MAILSUITE_SERVICES_IMAP_ACCESS_SNAPSHOT_CACHE_H_

#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "services/imap-access/selected.h"

namespace mail::imap_access {

class SnapshotCache {
 public:
  // A mailbox as listed at highest_modseq: uidvalidity, uidnext, highest_modseq and
  // messages of a SelectedMailbox (the rest is the session's own).
  using Entry = SelectedMailbox;

  explicit SnapshotCache(size_t max_messages) : max_messages_(max_messages) {}

  // The latest snapshot of the mailbox, or null.
  std::shared_ptr<const Entry> Get(const std::string& account, const std::string& mailbox);
  // Keeps `box` unless the cache holds a later state of the same mailbox (same
  // uidvalidity, higher modseq). Boxes without a modseq are not kept.
  void Put(const std::string& account, const std::string& mailbox, const SelectedMailbox& box);

  size_t messages() const;

 private:
  using Key = std::pair<std::string, std::string>;
  struct Slot {
    std::shared_ptr<const Entry> entry;
    std::list<Key>::iterator lru;
  };

  const size_t max_messages_;
  mutable absl::Mutex mu_;
  std::map<Key, Slot> slots_ ABSL_GUARDED_BY(mu_);
  std::list<Key> lru_ ABSL_GUARDED_BY(mu_);  // most recently used first
  size_t messages_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mail::imap_access

#endif  // MAILSUITE_SERVICES_IMAP_ACCESS_SNAPSHOT_CACHE_H_
