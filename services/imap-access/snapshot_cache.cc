// Cached mailbox snapshots; see snapshot_cache.h.
#include "services/imap-access/snapshot_cache.h"

namespace mail::imap_access {

std::shared_ptr<const SnapshotCache::Entry> SnapshotCache::Get(const std::string& account,
                                                               const std::string& mailbox) {
  absl::MutexLock lock(&mu_);
  auto it = slots_.find({account, mailbox});
  if (it == slots_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.entry;
}

void SnapshotCache::Put(const std::string& account, const std::string& mailbox,
                        const SelectedMailbox& box) {
  if (box.highest_modseq == 0 || box.count() > max_messages_) return;
  // Only what a later SELECT reuses; the message list is shared, not copied.
  auto entry = std::make_shared<Entry>();
  entry->uidvalidity = box.uidvalidity;
  entry->uidnext = box.uidnext;
  entry->highest_modseq = box.highest_modseq;
  entry->messages = box.messages;
  std::shared_ptr<const Entry> dropped;  // freed outside the lock
  Key key{account, mailbox};
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(key);
  // Keep a later state of the same mailbox that another session put.
  if (it != slots_.end() && it->second.entry->uidvalidity == box.uidvalidity &&
      it->second.entry->highest_modseq >= box.highest_modseq) {
    return;
  }
  if (it != slots_.end()) {
    messages_ -= it->second.entry->count();
    dropped = std::move(it->second.entry);
    it->second.entry = std::move(entry);
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  } else {
    lru_.push_front(key);
    it = slots_.emplace(std::move(key), Slot{std::move(entry), lru_.begin()}).first;
  }
  messages_ += it->second.entry->count();
  while (messages_ > max_messages_ && !lru_.empty()) {
    auto victim = slots_.find(lru_.back());
    messages_ -= victim->second.entry->count();
    lru_.pop_back();
    slots_.erase(victim);
  }
}

size_t SnapshotCache::messages() const {
  absl::MutexLock lock(&mu_);
  return messages_;
}

}  // namespace mail::imap_access
