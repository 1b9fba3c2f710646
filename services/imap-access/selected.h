// The mailbox a session has selected: a snapshot of its messages in UID order, which
// maps message sequence numbers to UIDs, and the untagged responses that bring a
// client from one snapshot to the next (RFC 3501 §7.3-7.4). Owned by one session.
#ifndef MAILSUITE_SERVICES_IMAP_ACCESS_SELECTED_H_
#define MAILSUITE_SERVICES_IMAP_ACCESS_SELECTED_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/v1/mailbox_service.pb.h"

namespace mail::imap_access {

// One message of a snapshot, kept small because every session holds one per message
// of its mailbox (10,000 IDLE sessions of a 100-message INBOX hold a million): 32
// bytes, where the v1::MessageInfo it is made from takes ~170. System flags are bits;
// keywords, rare, are one space-joined string on the heap.
class SnapshotMessage {
 public:
  SnapshotMessage() = default;
  explicit SnapshotMessage(const v1::MessageInfo& info);
  SnapshotMessage(const SnapshotMessage& other) { *this = other; }
  SnapshotMessage& operator=(const SnapshotMessage& other);
  SnapshotMessage(SnapshotMessage&&) = default;
  SnapshotMessage& operator=(SnapshotMessage&&) = default;

  uint32_t uid() const { return uid_; }
  uint64_t size() const { return size_; }
  int64_t internal_date_unix() const { return internal_date_; }

  // Replaces the flags with those the store listed (system flags and keywords).
  void SetFlags(const google::protobuf::RepeatedPtrField<std::string>& flags);
  bool SameFlags(const SnapshotMessage& other) const;
  // Case-insensitive, as flags and keywords are in IMAP (RFC 3501 §2.3.2).
  bool HasFlag(std::string_view flag) const;
  // "\\Answered \\Seen $Work": the system flags in a fixed order, then the keywords.
  std::string FlagList() const;
  // The keywords alone, space-separated ("" when none).
  std::string_view keywords() const { return keywords_ ? *keywords_ : std::string_view(); }

 private:
  uint32_t uid_ = 0;
  uint32_t size_ = 0;  // messages are far below 4 GiB (mailbox-store's size limit)
  int64_t internal_date_ = 0;
  std::unique_ptr<std::string> keywords_;
  uint8_t system_ = 0;  // bit i: kSystemFlags[i]
};

// The messages of a snapshot in UID order, shared by the sessions (and the snapshot
// cache) that hold the same state: a copy takes a reference, the first change makes a
// private copy. 10,000 IDLE sessions of one INBOX hold one list, and the news of a
// change is applied to it once (ApplyChange) for all of them.
class MessageList {
 public:
  MessageList() = default;
  explicit MessageList(std::vector<SnapshotMessage> messages);

  size_t size() const { return list_ ? list_->size() : 0; }
  bool empty() const { return size() == 0; }
  const SnapshotMessage& operator[](size_t i) const { return (*list_)[i]; }
  const SnapshotMessage& back() const { return list_->back(); }
  std::vector<SnapshotMessage>::const_iterator begin() const;
  std::vector<SnapshotMessage>::const_iterator end() const;
  // Whether both hold the very same list (not merely equal ones).
  bool SameListAs(const MessageList& other) const { return list_ == other.list_; }

  // The list to change in place, copied first when shared. Only the owning session
  // calls it: a list held once cannot gain a holder meanwhile.
  std::vector<SnapshotMessage>& Mutable();
  void Clear() { list_.reset(); }

 private:
  std::shared_ptr<std::vector<SnapshotMessage>> list_;  // null: empty
};

struct SelectedMailbox {
  std::string name;
  bool read_only = false;  // EXAMINE
  uint32_t uidvalidity = 0;
  uint32_t uidnext = 0;
  // ListMessagesResponse.highest_modseq of the last list applied: the next re-read asks
  // for the changes since (a delta); 0 when the store does not say (full re-read).
  uint64_t highest_modseq = 0;
  // Message sequence number n is messages[n - 1]; UIDs ascend.
  MessageList messages;
  // IMAP4rev1 \Recent (RFC 3501 §2.3.2): the UIDs that are recent in this session, as
  // [first, last] ranges. Only grows when messages are first listed (SELECT, or new
  // mail in ApplySnapshot), from ListMessagesResponse.first_recent_uid, so a message
  // never changes state within the session. Empty for IMAP4rev2 sessions.
  std::vector<std::pair<uint32_t, uint32_t>> recent;
  // SEARCHRES (RFC 5182, RFC 9051 §6.4.4.1): the result of the last SEARCH RETURN
  // (SAVE), as ascending UIDs, which "$" names in FETCH, STORE, COPY, MOVE, SEARCH and
  // UID EXPUNGE. Empty until a SAVE; a new SELECT/EXAMINE, CLOSE or UNSELECT drops it
  // with the rest of this struct; expunged messages leave it (ApplySnapshot).
  std::vector<uint32_t> saved_uids;

  uint32_t count() const { return static_cast<uint32_t>(messages.size()); }
  uint32_t max_uid() const { return messages.empty() ? 0 : messages.back().uid(); }
  bool IsRecent(uint32_t uid) const;
  uint32_t RecentCount() const;
  // Records that the listed messages with UID in [first, last] are \Recent here.
  void AddRecent(uint32_t first, uint32_t last);
};

// "(\Seen \Flagged)": a FLAGS list for a response, with \Recent first when `recent`.
std::string FormatFlags(const SnapshotMessage& message, bool recent = false);
inline bool HasFlag(const SnapshotMessage& message, std::string_view flag) {
  return message.HasFlag(flag);
}

// Moves `box` to the state in `fresh` (a later ListMessages of the same mailbox, whole
// or a delta asked for with DeltaRequest) and
// returns the untagged responses announcing it: "n EXPUNGE" for each message gone,
// highest number first so every number is right when the client reads it, "n FETCH
// (FLAGS ...)" for changed flags, and "n EXISTS" when messages arrived. Only call
// where RFC 3501 §7.4.1 allows EXPUNGE (not during FETCH, STORE or SEARCH).
// New messages with UID >= fresh.first_recent_uid become \Recent when `rev1` (an
// IMAP4rev1 session: the caller asked ListMessages to claim them), announced by
// "n RECENT" after EXISTS; IMAP4rev2 has neither (RFC 9051 Appendix E).
std::string ApplySnapshot(SelectedMailbox* box, const v1::ListMessagesResponse& fresh,
                          bool rev1 = false);

// ApplySnapshot in two steps, so that sessions holding the same list apply a change
// to it once: what `fresh` does to `before` (the new list, shared, and what the
// responses must say), then a session's own part (its \Recent, saved search result,
// responses). `before` must be the list `box` holds when ApplyChange is called.
struct MessageChange {
  MessageList after;
  std::vector<uint32_t> expunged_seqs;  // sequence numbers in the old list, descending
  std::vector<uint32_t> expunged_uids;  // ascending
  std::vector<uint32_t> flag_changed;   // 0-based positions in `after`
  size_t new_messages = 0;              // at the end of `after`
  uint32_t uidnext = 0;
  uint64_t highest_modseq = 0;
};
MessageChange ComputeChange(const MessageList& before, const v1::ListMessagesResponse& fresh);
// `first_recent_uid`: fresh.first_recent_uid() as this session's request got it.
std::string ApplyChange(SelectedMailbox* box, const MessageChange& change,
                        uint32_t first_recent_uid, bool rev1);

// Fills `request` (account and mailbox already set) to ask for the changes since `box`
// was last listed, when the store told its modseq; otherwise leaves a full re-read.
void DeltaRequest(const SelectedMailbox& box, v1::ListMessagesRequest* request);

// Whether a delta's expunged_uids explain every message `box` (as it was when asked)
// lost: false when tombstones were dropped or missed, and the reader must ask again
// with_present_uids.
bool DeltaAccountsForExpunges(const SelectedMailbox& box, const v1::ListMessagesResponse& fresh);
// The same for a delta asked with known_max_uid `known_max_uid`, which may be below
// box.max_uid() (a read made for other sessions): only the messages up to it count.
bool DeltaAccountsForExpunges(const SelectedMailbox& box, const v1::ListMessagesResponse& fresh,
                              uint32_t known_max_uid);

}  // namespace mail::imap_access

#endif  // MAILSUITE_SERVICES_IMAP_ACCESS_SELECTED_H_
