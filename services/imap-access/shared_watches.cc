// Shared WatchMailbox streams and the reads of their changes; see shared_watches.h.
#include "services/imap-access/shared_watches.h"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

namespace mail::imap_access {

Push::Fit Push::Fits(const SelectedMailbox& box) const {
  if (box.highest_modseq == 0 || response_.uidvalidity() != box.uidvalidity) return Fit::kReadSelf;
  if (box.highest_modseq >= response_.highest_modseq()) return Fit::kNothing;
  // At or after the read's starting point, the box holds every message up to
  // known_max_uid that still existed then (those missing were expunged, which it saw).
  if (box.highest_modseq < changed_since_) return Fit::kReadSelf;
  // Above known_max_uid the read lists every message that exists: one the box holds
  // but the read does not list is gone, and only a read of its own can tell the box
  // so (the tombstones asked for stop at known_max_uid).
  for (auto it = box.messages.end(); it != box.messages.begin();) {
    --it;
    if (it->uid() <= known_max_uid_) break;
    const auto& listed = response_.messages();
    const bool found = std::any_of(listed.begin(), listed.end(),
                                   [&](const v1::MessageInfo& m) { return m.uid() == it->uid(); });
    if (!found) return Fit::kReadSelf;
  }
  if (!DeltaAccountsForExpunges(box, response_, known_max_uid_)) return Fit::kReadSelf;
  return Fit::kApply;
}

std::shared_ptr<const MessageChange> Push::ChangeFor(const MessageList& before) const {
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [list, change] : changes_) {
      if (list.SameListAs(before)) return change;
    }
  }
  // Worked out outside the lock; two sessions racing on one list both compute it and
  // the first kept wins, which is only wasted work.
  auto change = std::make_shared<const MessageChange>(ComputeChange(before, response_));
  constexpr size_t kMaxLists = 8;
  absl::MutexLock lock(&mu_);
  for (const auto& [list, kept] : changes_) {
    if (list.SameListAs(before)) return kept;
  }
  if (changes_.size() < kMaxLists) changes_.emplace_back(before, change);
  return change;
}

// The sessions listening to one stream, and what the watch last told them. The gRPC
// callback and the reads hold this, not the Stream: a callback must never end up
// owning (and so destroying) its own call.
struct SharedWatches::Listeners {
  std::string account, mailbox;
  absl::Mutex mu;
  std::map<int, Listener> listeners ABSL_GUARDED_BY(mu);
  int next_id ABSL_GUARDED_BY(mu) = 0;
  bool live ABSL_GUARDED_BY(mu) = false;
  // The state the last read here brought the sessions to (0: none yet; the first
  // session to join seeds it), a read running, a change heard during it.
  uint64_t modseq ABSL_GUARDED_BY(mu) = 0;
  uint32_t max_uid ABSL_GUARDED_BY(mu) = 0;
  bool reading ABSL_GUARDED_BY(mu) = false;
  bool again ABSL_GUARDED_BY(mu) = false;
  // Every change since `modseq` was seen has been read here and pushed: false while
  // the state is only a seed, after a failed read, or when a change went unread
  // (everyone left during a read). A session joining at `modseq` may then skip its
  // first read only when this is true.
  bool trusted ABSL_GUARDED_BY(mu) = false;

  void TellAll(const std::shared_ptr<const Push>& push, int claimer)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (auto& [id, l] : listeners) l.on_change(push, id == claimer);
  }
};

// One underlying stream; `watch` is set once, right after creation.
struct SharedWatches::Stream {
  Key key;
  std::shared_ptr<Listeners> listeners = std::make_shared<Listeners>();
  std::unique_ptr<clients::MailboxWatch> watch;
};

class SharedWatches::Handle : public clients::MailboxWatch {
 public:
  Handle(SharedWatches* owner, std::shared_ptr<Stream> stream, int id)
      : owner_(owner), stream_(std::move(stream)), id_(id) {}
  ~Handle() override { owner_->Leave(stream_, id_); }
  bool ended() const override { return stream_->watch->ended(); }

 private:
  SharedWatches* owner_;
  std::shared_ptr<Stream> stream_;
  int id_;
};

std::unique_ptr<clients::MailboxWatch> SharedWatches::Watch(const std::string& account,
                                                            const std::string& mailbox,
                                                            Listener listener) {
  Key key{account, mailbox};
  std::shared_ptr<Stream> stream;
  {
    absl::MutexLock lock(&mu_);
    auto it = streams_.find(key);
    if (it != streams_.end() && !it->second->watch->ended()) {
      stream = it->second;
    } else {
      if (it != streams_.end()) streams_.erase(it);  // ended: its handles keep it alive
      stream = std::make_shared<Stream>();
      stream->key = key;
      stream->listeners->account = account;
      stream->listeners->mailbox = mailbox;
      v1::WatchMailboxRequest request;
      request.set_account(account);
      request.set_mailbox(mailbox);
      std::shared_ptr<Listeners> listeners = stream->listeners;
      stream->watch = mailbox_.WatchMailbox(request, [this, listeners] { Changed(listeners); });
      if (stream->watch == nullptr) return nullptr;
      streams_[key] = stream;
    }
  }
  Listeners& l = *stream->listeners;
  absl::MutexLock lock(&l.mu);
  int id = l.next_id++;
  if (l.modseq == 0 && !l.reading && l.listeners.empty()) {
    l.modseq = listener.highest_modseq;
    l.max_uid = listener.max_uid;
  }
  // Joining a live stream: the "stream is live" call this listener would have had,
  // unless the watch has read every change up to exactly this session's state and no
  // read is under way (any later change will be pushed to it).
  const bool in_step = executor_.has_value() && l.trusted && !l.reading &&
                       listener.highest_modseq != 0 && listener.highest_modseq == l.modseq;
  if (l.live && !in_step) listener.on_change(nullptr, false);
  l.listeners.emplace(id, std::move(listener));
  return std::make_unique<Handle>(this, stream, id);
}

void SharedWatches::Changed(const std::shared_ptr<Listeners>& l) {
  {
    absl::MutexLock lock(&l->mu);
    l->live = true;
    if (!executor_.has_value() || l->modseq == 0) {
      l->TellAll(nullptr, -1);
      return;
    }
    if (l->reading) {
      l->again = true;  // the running read may have started before this change
      return;
    }
    l->reading = true;
  }
  StartRead(l);
}

void SharedWatches::StartRead(std::shared_ptr<Listeners> l) {
  asio::co_spawn(
      *executor_,
      [this, l]() -> asio::awaitable<void> {
        for (;;) {
          v1::ListMessagesRequest request;
          request.set_account(l->account);
          request.set_mailbox(l->mailbox);
          uint64_t since;
          uint32_t known;
          // \Recent goes to one claiming session (RFC 3501 §2.3.2: only one session
          // is told a message is recent): the first to join of those at the read's
          // starting point, which will apply it (the others may read for themselves,
          // and would find the messages claimed).
          int claimer = -1;
          {
            absl::MutexLock lock(&l->mu);
            since = l->modseq;
            known = l->max_uid;
            for (const auto& [id, listener] : l->listeners) {
              if (listener.recent == Recent::kNone) continue;
              request.set_with_recent(true);
              if (claimer < 0 && listener.recent == Recent::kClaim &&
                  listener.highest_modseq == since) {
                claimer = id;
              }
            }
          }
          request.set_claim_recent(claimer >= 0);
          request.set_changed_since(since);
          request.set_known_max_uid(known);
          reads_.fetch_add(1, std::memory_order_relaxed);
          absl::StatusOr<v1::ListMessagesResponse> read = co_await mailbox_.ListMessages(request);
          absl::MutexLock lock(&l->mu);
          if (read.ok()) {
            uint32_t max_uid = known;
            for (const v1::MessageInfo& m : read->messages()) max_uid = std::max(max_uid, m.uid());
            const uint64_t modseq = read->highest_modseq();
            if (l->listeners.count(claimer) == 0) claimer = -1;  // left meanwhile
            l->TellAll(std::make_shared<const Push>(since, known, *std::move(read)), claimer);
            if (modseq != 0) {
              l->modseq = modseq;
              l->max_uid = max_uid;
              l->trusted = true;
              // Where the sessions stand once they apply it (they nearly all do).
              for (auto& [id, listener] : l->listeners) listener.highest_modseq = modseq;
            }
          } else {
            // mailbox-store busy or away: the sessions read (and retry) for themselves;
            // the next read here starts from the same state again.
            l->TellAll(nullptr, -1);
            l->trusted = false;
          }
          if (!l->again || l->listeners.empty()) {
            if (l->again) l->trusted = false;  // a change nobody read
            l->reading = false;
            l->again = false;
            co_return;
          }
          l->again = false;
        }
      },
      asio::detached);
}

void SharedWatches::Leave(const std::shared_ptr<Stream>& stream, int id) {
  Listeners& l = *stream->listeners;
  bool last;
  {
    absl::MutexLock lock(&l.mu);
    l.listeners.erase(id);
    last = l.listeners.empty();
  }
  if (!last) return;
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream->key);
  // Only the registered stream is removed (an ended one may have been replaced), and
  // only if nobody joined it meanwhile. The stream itself (and its gRPC call) goes with
  // the last shared_ptr: the Handle being destroyed, outside mu_.
  if (it != streams_.end() && it->second == stream) {
    absl::MutexLock listeners_lock(&l.mu);
    if (l.listeners.empty()) streams_.erase(it);
  }
}

int SharedWatches::streams() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(streams_.size());
}

int64_t SharedWatches::reads() const { return reads_.load(std::memory_order_relaxed); }

}  // namespace mail::imap_access
