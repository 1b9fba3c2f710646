// The mailbox a session has selected: a snapshot of its messages in UID order, which
// maps message sequence numbers to UIDs, and the untagged responses that bring a
// client from one snapshot to the next (RFC 3501 §7.3-7.4). Owned by one session.
#ifndef MAILSUITE_SERVICES_IMAP_ACCESS_SELECTED_H_
#define MAILSUITE_SERVICES_IMAP_ACCESS_SELECTED_H_

#include <cstdint>
#include <string>
#include <vector>

#include "mail/v1/mailbox_service.pb.h"

namespace mail::imap_access {

struct SelectedMailbox {
  std::string name;
  bool read_only = false;  // EXAMINE
  uint32_t uidvalidity = 0;
  uint32_t uidnext = 0;
  // Message sequence number n is messages[n - 1]; UIDs ascend.
  std::vector<v1::MessageInfo> messages;

  uint32_t count() const { return static_cast<uint32_t>(messages.size()); }
  uint32_t max_uid() const { return messages.empty() ? 0 : messages.back().uid(); }
};

// "(\Seen \Flagged)": a FLAGS list for a response.
std::string FormatFlags(const v1::MessageInfo& message);
bool HasFlag(const v1::MessageInfo& message, std::string_view flag);

// Moves `box` to the state in `fresh` (a later ListMessages of the same mailbox) and
// returns the untagged responses announcing it: "n EXPUNGE" for each message gone,
// highest number first so every number is right when the client reads it, "n FETCH
// (FLAGS ...)" for changed flags, and "n EXISTS" when messages arrived. Only call
// where RFC 3501 §7.4.1 allows EXPUNGE (not during FETCH, STORE or SEARCH).
std::string ApplySnapshot(SelectedMailbox* box, const v1::ListMessagesResponse& fresh);

}  // namespace mail::imap_access

#endif  // MAILSUITE_SERVICES_IMAP_ACCESS_SELECTED_H_
