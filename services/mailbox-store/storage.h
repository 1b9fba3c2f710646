// The two writes every way a message enters a mailbox shares (Deliver, APPEND, COPY):
// charging the account's quota and storing the body once by its SHA-256. Both run
// inside the caller's transaction; ChargeQuota first, so every changing transaction
// locks the account row before the mailbox row.
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_STORAGE_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_STORAGE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "services/libs/pg/pg.h"

namespace mail::mailbox_store {

// Adds `size` to the account's used bytes unless that passes its quota (0: none);
// false when over quota. The conditional UPDATE is atomic against concurrent writers.
absl::StatusOr<bool> ChargeQuota(pg::Connection& conn, int64_t account_id, int64_t size);

// The id of the blob holding `body` (whose digest is `sha256`), inserting it if new.
// An existing blob is locked FOR KEY SHARE so a concurrent expunge cannot collect it
// before the caller commits.
absl::StatusOr<int64_t> StoreBlob(pg::Connection& conn, const std::string& sha256,
                                  const std::string& body);

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_STORAGE_H_
