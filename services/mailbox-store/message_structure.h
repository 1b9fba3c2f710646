// The parsed MIME structure of stored messages (ENVELOPE, BODYSTRUCTURE, BODY and the
// part table, services/libs/mail/bodystructure.h), read for ListMessages with
// with_structure. Messages stored before migration 0002 have NULL columns: their
// structure is computed from the blob on first request and stored, so it is parsed
// once. Runs on the caller's connection; any thread.
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_MESSAGE_STRUCTURE_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_MESSAGE_STRUCTURE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "mail/v1/mailbox_service.pb.h"
#include "services/libs/pg/pg.h"

namespace mail::mailbox_store {

// Fills envelope, bodystructure, body and parts of every message in `resp` (a
// ListMessages answer for that mailbox).
absl::Status FillStructures(pg::Connection& conn, int64_t account_id, int64_t mailbox_id,
                            v1::ListMessagesResponse* resp);

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_MESSAGE_STRUCTURE_H_
