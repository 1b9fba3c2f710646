// Shared WatchMailbox streams; see shared_watches.h.
#include "services/imap-access/shared_watches.h"

#include <vector>

namespace mail::imap_access {
namespace {

// The sessions listening to one stream. The gRPC callback holds this, not the
// Stream: a callback must never end up owning (and so destroying) its own call.
struct Listeners {
  absl::Mutex mu;
  std::map<int, std::function<void()>> fns ABSL_GUARDED_BY(mu);
  int next_id ABSL_GUARDED_BY(mu) = 0;
  bool live ABSL_GUARDED_BY(mu) = false;

  void Changed() {
    absl::MutexLock lock(&mu);
    live = true;
    for (auto& [id, fn] : fns) fn();
  }
};

}  // namespace

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
                                                            std::function<void()> on_change) {
  Key key{account, mailbox};
  std::shared_ptr<Stream> stream;
  std::unique_ptr<clients::MailboxWatch> ended_watch;  // destroyed outside the lock
  {
    absl::MutexLock lock(&mu_);
    auto it = streams_.find(key);
    if (it != streams_.end() && !it->second->watch->ended()) {
      stream = it->second;
    } else {
      if (it != streams_.end()) streams_.erase(it);  // ended: its handles keep it alive
      stream = std::make_shared<Stream>();
      stream->key = key;
      v1::WatchMailboxRequest request;
      request.set_account(account);
      request.set_mailbox(mailbox);
      std::shared_ptr<Listeners> listeners = stream->listeners;
      stream->watch = mailbox_.WatchMailbox(request, [listeners] { listeners->Changed(); });
      if (stream->watch == nullptr) return nullptr;
      streams_[key] = stream;
    }
  }
  Listeners& l = *stream->listeners;
  absl::MutexLock lock(&l.mu);
  int id = l.next_id++;
  // Joining a live stream: the "stream is live" call this listener would have had.
  if (l.live) on_change();
  l.fns.emplace(id, std::move(on_change));
  return std::make_unique<Handle>(this, stream, id);
}

void SharedWatches::Leave(const std::shared_ptr<Stream>& stream, int id) {
  Listeners& l = *stream->listeners;
  bool last;
  {
    absl::MutexLock lock(&l.mu);
    l.fns.erase(id);
    last = l.fns.empty();
  }
  if (!last) return;
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream->key);
  // Only the registered stream is removed (an ended one may have been replaced), and
  // only if nobody joined it meanwhile. The stream itself (and its gRPC call) goes with
  // the last shared_ptr: the Handle being destroyed, outside mu_.
  if (it != streams_.end() && it->second == stream) {
    absl::MutexLock listeners_lock(&l.mu);
    if (l.fns.empty()) streams_.erase(it);
  }
}

int SharedWatches::streams() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(streams_.size());
}

}  // namespace mail::imap_access
