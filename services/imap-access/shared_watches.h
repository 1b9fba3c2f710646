// One WatchMailbox stream per (account, mailbox) for all the IDLE sessions of this
// process, instead of one per session: each stream costs ~26 KiB here and ~20 KiB in
// mailbox-store, which 10,000 IDLE connections multiply (tools/bench/imap --idle).
// Watch() hands out handles; the stream opens with the first and is cancelled with
// the last. Thread-safe: sessions on any strand, callbacks on gRPC threads.
//
// With an executor, a change is also read here, once for all the sessions: one delta
// ListMessages since the state the sessions were last told of (a Push), handed to
// every session, which applies it when its snapshot is where the read started from
// (Push::Fits) and otherwise reads for itself. The change itself is worked out once
// per shared message list (Push::ChangeFor), so 10,000 sessions of one mailbox do
// little more than write their few lines.
#ifndef MAILSUITE_SERVICES_IMAP_ACCESS_SHARED_WATCHES_H_
#define MAILSUITE_SERVICES_IMAP_ACCESS_SHARED_WATCHES_H_

#include <asio/any_io_executor.hpp>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/imap-access/selected.h"
#include "services/libs/clients/mailbox_client.h"

namespace mail::imap_access {

// A change, read once for the watching sessions of a mailbox: ListMessages with
// changed_since / known_max_uid of the state the watch last told them of.
class Push {
 public:
  Push(uint64_t changed_since, uint32_t known_max_uid, v1::ListMessagesResponse response)
      : changed_since_(changed_since),
        known_max_uid_(known_max_uid),
        response_(std::move(response)) {}

  const v1::ListMessagesResponse& response() const { return response_; }

  enum class Fit {
    kApply,     // the push brings `box` up to date
    kNothing,   // `box` is already at or past the push
    kReadSelf,  // `box` is elsewhere (older, other messages known): read for yourself
  };
  // Whether the push can bring `box` (as it is now) up to date: `box` must stand at or
  // after the state the read started from, every message it holds above the read's
  // known_max_uid must be listed (the read lists all that exist there), and the
  // tombstones must explain what it lost (DeltaAccountsForExpunges).
  Fit Fits(const SelectedMailbox& box) const;

  // ComputeChange(before, response()), worked out once per list and shared.
  std::shared_ptr<const MessageChange> ChangeFor(const MessageList& before) const;

 private:
  const uint64_t changed_since_;
  const uint32_t known_max_uid_;
  const v1::ListMessagesResponse response_;
  mutable absl::Mutex mu_;
  // A few lists at most (sessions that hold the same state share one list).
  mutable std::vector<std::pair<MessageList, std::shared_ptr<const MessageChange>>> changes_
      ABSL_GUARDED_BY(mu_);
};

class SharedWatches {
 public:
  // `on_change` runs (quickly, on any thread) for every change of the mailbox. `push`
  // is the change as read here, or null when the session must read for itself; with
  // `claimed`, this session's \Recent: the read claimed the new messages for it
  // (response().first_recent_uid); for the others they read as after that claim
  // (next_first_recent_uid).
  using OnChange = std::function<void(std::shared_ptr<const Push> push, bool claimed)>;

  // What a session wants of \Recent (RFC 3501 §2.3.2): nothing (IMAP4rev2), to see
  // the mark (EXAMINE), or to claim new messages (SELECT): the read claims them for
  // one such session.
  enum class Recent { kNone, kShow, kClaim };
  struct Listener {
    OnChange on_change;
    Recent recent = Recent::kNone;
    // Where the session's snapshot stands (SelectedMailbox::highest_modseq, max_uid())
    // when it joins; the watch moves highest_modseq on with each push it hands out.
    uint64_t highest_modseq = 0;
    uint32_t max_uid = 0;
  };

  // Without an executor nothing is read here: every change is a null push.
  explicit SharedWatches(clients::MailboxClient& mailbox,
                         std::optional<asio::any_io_executor> executor = std::nullopt)
      : mailbox_(mailbox), executor_(std::move(executor)) {}

  // Like MailboxClient::WatchMailbox. `on_change` also runs once (null push) as soon
  // as the stream is live, even when this handle joins a stream that went live
  // earlier, so a change just before the join is not missed, unless the watch last
  // told its sessions of exactly the state this one holds and reads nothing now (any
  // change since then will be pushed to it). Null when the client cannot watch.
  std::unique_ptr<clients::MailboxWatch> Watch(const std::string& account,
                                               const std::string& mailbox, Listener listener);

  // Streams open now, and reads made here (tests, metrics).
  int streams() const;
  int64_t reads() const;

 private:
  struct Listeners;
  struct Stream;
  class Handle;
  using Key = std::pair<std::string, std::string>;

  void Leave(const std::shared_ptr<Stream>& stream, int id);
  // A change of the watched mailbox (gRPC thread): read it, or tell the sessions to.
  void Changed(const std::shared_ptr<Listeners>& l);
  void StartRead(std::shared_ptr<Listeners> l);

  clients::MailboxClient& mailbox_;
  const std::optional<asio::any_io_executor> executor_;
  mutable absl::Mutex mu_;
  std::map<Key, std::shared_ptr<Stream>> streams_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> reads_{0};
};

}  // namespace mail::imap_access

#endif  // MAILSUITE_SERVICES_IMAP_ACCESS_SHARED_WATCHES_H_
