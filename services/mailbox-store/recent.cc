// IMAP \Recent bookkeeping; see recent.h.
#include "services/mailbox-store/recent.h"

#include <algorithm>

#include "services/libs/base/status_macros.h"

namespace mail::mailbox_store {

absl::Status FillRecent(pg::Connection& conn, int64_t mailbox_id,
                        const v1::ListMessagesRequest& req, v1::ListMessagesResponse* resp) {
  if (!req.with_recent() && !req.claim_recent()) return absl::OkStatus();
  if (req.claim_recent() && req.uids_size() > 0) {
    return absl::InvalidArgumentError("claim_recent needs the whole mailbox listed");
  }
  // Claim up to the messages this reply lists: one delivered after the list was read
  // has a higher UID and stays recent for whoever lists it next.
  int64_t up_to = 0;
  if (req.claim_recent() && resp->messages_size() > 0) {
    up_to = static_cast<int64_t>(resp->messages(resp->messages_size() - 1).uid()) + 1;
  }
  // A delta's reader also holds every message up to known_max_uid.
  if (req.claim_recent() && req.changed_since() > 0) {
    up_to = std::max<int64_t>(up_to, static_cast<int64_t>(req.known_max_uid()) + 1);
  }
  // Compare-and-set rather than SELECT ... FOR UPDATE: a session re-reading a mailbox
  // with nothing new writes nothing and takes no lock. Bounded: every failed round
  // means another session moved the mark forward, towards `up_to`.
  for (int attempt = 0; attempt < 100; ++attempt) {
    MAIL_ASSIGN_OR_RETURN(
        pg::Result r,
        conn.Exec("SELECT first_recent_uid FROM mailstore.mailboxes WHERE id = $1", {mailbox_id}));
    if (r.rows() == 0) return absl::NotFoundError("mailbox deleted while being listed");
    const int64_t first = r.GetInt(0, 0);
    resp->set_first_recent_uid(static_cast<uint32_t>(std::min<int64_t>(first, UINT32_MAX)));
    resp->set_next_first_recent_uid(
        static_cast<uint32_t>(std::min<int64_t>(std::max(first, up_to), UINT32_MAX)));
    if (up_to <= first) return absl::OkStatus();
    MAIL_ASSIGN_OR_RETURN(
        pg::Result u,
        conn.Exec("UPDATE mailstore.mailboxes SET first_recent_uid = $2 WHERE id = $1 AND "
                  "first_recent_uid = $3 RETURNING id",
                  {mailbox_id, up_to, first}));
    if (u.rows() == 1) return absl::OkStatus();
  }
  return absl::AbortedError("\\Recent mark kept moving; try again");
}

}  // namespace mail::mailbox_store
