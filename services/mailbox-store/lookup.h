// Queries shared by the AccountService and MailboxService implementations: finding
// domains, accounts and mailboxes, and resolving a recipient through aliases. They run
// on a connection the caller borrowed (inside its transaction when it has one).
#ifndef MAILSUITE_SERVICES_MAILBOX_STORE_LOOKUP_H_
#define MAILSUITE_SERVICES_MAILBOX_STORE_LOOKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/libs/pg/pg.h"

namespace mail::mailbox_store {

struct AccountRow {
  int64_t id = 0;
  std::string address;  // canonical: local part as created, "@", domain
  int64_t quota_bytes = 0;
  int64_t used_bytes = 0;
  bool disabled = false;
  bool OverQuota() const { return quota_bytes > 0 && used_bytes >= quota_bytes; }
};

// NOT_FOUND "domain x does not exist".
absl::StatusOr<int64_t> FindDomainId(pg::Connection& conn, const std::string& domain);

// The account named "local@domain" (local part case-insensitive). NOT_FOUND
// "account x does not exist", INVALID_ARGUMENT for a malformed address.
absl::StatusOr<AccountRow> FindAccount(pg::Connection& conn, const std::string& address);

struct MailboxRow {
  int64_t id = 0;
  std::string name;
  int64_t uidvalidity = 0;
  int64_t uidnext = 0;
};

// The mailbox `name` of the account ("INBOX" in any case). NOT_FOUND otherwise.
absl::StatusOr<MailboxRow> FindMailbox(pg::Connection& conn, int64_t account_id,
                                       const std::string& name);

struct Resolution {
  bool local_domain = false;
  std::vector<AccountRow> accounts;     // distinct local accounts reached
  std::vector<std::string> forward_to;  // remote alias targets
};

// Resolves an envelope recipient: an alias of the exact address (all its targets),
// else the account, else the account without a "+tag" subaddress, else the domain's
// catch-all. An alias target that is itself an alias is followed one more level.
// Targets that name nothing local are dropped. INVALID_ARGUMENT for a malformed address.
absl::StatusOr<Resolution> ResolveRecipient(pg::Connection& conn, const std::string& address);

// Deletes the given blobs when no message refers to them any more. Never fails the
// caller's transaction: a blob a concurrent delivery just reused stays (SAVEPOINT).
void CollectOrphanBlobs(pg::Connection& conn, const std::string& blob_id_array);

}  // namespace mail::mailbox_store

#endif  // MAILSUITE_SERVICES_MAILBOX_STORE_LOOKUP_H_
