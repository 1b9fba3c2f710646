// IMAP \Recent bookkeeping for ListMessages (RFC 3501 §2.3.2): the per-mailbox
// first_recent_uid mark (migrations/0004_recent.sql), read or claimed. Runs on a
// connection the caller borrowed; one statement each, no transaction needed.
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_RECENT_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_RECENT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "mail/v1/mailbox_service.pb.h"
#include "services/libs/pg/pg.h"

namespace mail::mailbox_store {

// For a ListMessages request with with_recent or claim_recent (a no-op otherwise):
// sets resp->first_recent_uid to the mailbox's mark and, for claim_recent, moves the
// mark past the highest listed UID with a compare-and-set, so two sessions claiming at
// once (on any replica) never both get a message: the loser sees the winner's mark.
// INVALID_ARGUMENT for claim_recent with a UID filter (a partial list claims nothing
// sensible).
absl::Status FillRecent(pg::Connection& conn, int64_t mailbox_id,
                        const v1::ListMessagesRequest& req, v1::ListMessagesResponse* resp);

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_RECENT_H_
