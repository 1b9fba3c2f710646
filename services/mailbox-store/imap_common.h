// Helpers shared by the IMAP-facing RPCs of mailbox-store (mailboxes.cc, flags.cc,
// append.cc, copy_move.cc): mailbox name rules, UIDVALIDITY allocation, PostgreSQL
// text arrays, and the modseq bump + change notification every change makes. They run
// on a connection the caller borrowed, inside its transaction.
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_IMAP_COMMON_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_IMAP_COMMON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/libs/pg/pg.h"

namespace mail::mailbox_store {

// Longest mailbox name, in octets (Dovecot allows 255 per level; 1000 in all is plenty).
inline constexpr size_t kMaxMailboxName = 1000;

// INVALID_ARGUMENT unless `name` is a storable mailbox name: non-empty, valid UTF-8, no
// control characters, no "*" or "%" (LIST wildcards), no empty level ("a//b", "/a", "a/").
absl::Status ValidateMailboxName(const std::string& name);

// "INBOX" for any case of "inbox" and an "inbox/" prefix; other names unchanged.
std::string CanonicalName(const std::string& name);

// A UIDVALIDITY for a new mailbox of the account: never repeats within the account,
// even for a name deleted and created again within one second (RFC 3501 §2.3.1.1).
// Locks the account row.
absl::StatusOr<int64_t> NextUidValidity(pg::Connection& conn, int64_t account_id);

// Creates the missing parents of `name` ("a" and "a/b" for "a/b/c"), as RFC 3501 §6.3.3
// says a server SHOULD.
absl::Status CreateParents(pg::Connection& conn, int64_t account_id, const std::string& name);

// Splits IMAP flags into system flags (canonical case: \Seen, \Answered, \Flagged,
// \Deleted, \Draft) and keywords. \Recent cannot be stored and is dropped; another
// "\..." flag is INVALID_ARGUMENT.
absl::Status SplitFlags(const std::vector<std::string>& flags, std::vector<std::string>* system,
                        std::vector<std::string>* keywords);

// Publishes a change of the mailbox at `modseq` to every LISTENer (delivered at commit).
absl::Status NotifyChange(pg::Connection& conn, int64_t account_id, int64_t mailbox_id,
                          int64_t modseq);
// Raises the mailbox's highest_modseq by one, notifies, returns the new value.
absl::StatusOr<int64_t> BumpModseq(pg::Connection& conn, int64_t account_id, int64_t mailbox_id);

// Records that the messages `uids` (a PostgreSQL bigint[] literal) left the mailbox in
// the change at `modseq` (from BumpModseq in the same transaction, which holds the
// mailbox row, so tombstones appear in modseq order), and drops tombstones more than
// kKeptExpungeModseqs changes old.
absl::Status RecordExpunged(pg::Connection& conn, int64_t account_id, int64_t mailbox_id,
                            const std::string& uids, int64_t modseq);
inline constexpr int64_t kKeptExpungeModseqs = 10000;

// Locks the account row first, the order every changing transaction follows
// (account, then mailbox), so concurrent changes cannot deadlock.
absl::Status LockAccount(pg::Connection& conn, int64_t account_id);

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_IMAP_COMMON_H_
