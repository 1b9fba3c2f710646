// MailboxService mailbox management for IMAP (RFC 3501 §6.3.3-6.3.7): CreateMailbox,
// DeleteMailbox, RenameMailbox, SetSubscription and GetQuota. Every change runs in one
// transaction that locks the account row first (imap_common.h).
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/base/status_macros.h"
#include "services/mailbox-store/imap_common.h"
#include "services/mailbox-store/lookup.h"
#include "services/mailbox-store/mailbox_service.h"

namespace mail::mailbox_store {
namespace {

// A mailbox that now has the name of a subscription whose mailbox was deleted takes it
// back (migrations/0006_orphan_subscriptions.sql). After every create and rename.
absl::Status AdoptSubscriptions(pg::Connection& conn, int64_t account_id) {
  return conn
      .Exec(
          "WITH o AS (DELETE FROM mailstore.orphan_subscriptions s USING "
          "mailstore.mailboxes b WHERE s.account_id = $1 AND b.account_id = $1 AND b.name = "
          "s.name RETURNING s.name) UPDATE mailstore.mailboxes SET subscribed = true WHERE "
          "account_id = $1 AND name IN (SELECT name FROM o)",
          {account_id})
      .status();
}

absl::Status DoCreate(pg::Pool& pool, const v1::CreateMailboxRequest& req,
                      v1::CreateMailboxResponse* resp) {
  const std::string name = CanonicalName(req.name());
  MAIL_RETURN_IF_ERROR(ValidateMailboxName(name));
  if (name == "INBOX") return absl::AlreadyExistsError("INBOX always exists");
  const std::string& use = req.special_use();
  if (!use.empty() && use != "\\Archive" && use != "\\Drafts" && use != "\\Junk" &&
      use != "\\Sent" && use != "\\Trash" && use != "\\Flagged" && use != "\\All") {
    return absl::InvalidArgumentError(absl::StrCat("unknown special-use attribute ", use));
  }
  return pg::InTransaction(pool, [&](pg::Connection& conn) -> absl::Status {
    MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(conn, req.account()));
    MAIL_RETURN_IF_ERROR(LockAccount(conn, account.id));
    MAIL_RETURN_IF_ERROR(CreateParents(conn, account.id, name));
    MAIL_ASSIGN_OR_RETURN(int64_t uidvalidity, NextUidValidity(conn, account.id));
    MAIL_ASSIGN_OR_RETURN(
        pg::Result r,
        conn.Exec("INSERT INTO mailstore.mailboxes (account_id, name, uidvalidity, special_use) "
                  "VALUES ($1, $2, $3, nullif($4, '')) ON CONFLICT (account_id, name) DO NOTHING "
                  "RETURNING id",
                  {account.id, name, uidvalidity, use}));
    if (r.rows() == 0) return absl::AlreadyExistsError(absl::StrCat("mailbox ", name, " exists"));
    MAIL_RETURN_IF_ERROR(AdoptSubscriptions(conn, account.id));
    resp->set_uidvalidity(static_cast<uint32_t>(uidvalidity));
    return absl::OkStatus();
  });
}

// Removes every message of a mailbox, gives the quota back and collects the bodies no
// other message uses.
absl::Status RemoveMessages(pg::Connection& conn, int64_t account_id, int64_t mailbox_id) {
  MAIL_ASSIGN_OR_RETURN(
      pg::Result deleted,
      conn.Exec("WITH d AS (DELETE FROM mailstore.messages WHERE account_id = $1 AND "
                "mailbox_id = $2 RETURNING size, blob_id) SELECT coalesce(sum(size), 0), "
                "coalesce(array_agg(DISTINCT blob_id)::text, '{}') FROM d",
                {account_id, mailbox_id}));
  int64_t freed = deleted.GetInt(0, 0);
  std::string blobs(deleted.Get(0, 1));
  if (freed > 0) {
    MAIL_RETURN_IF_ERROR(conn.Exec("UPDATE mailstore.accounts SET used_bytes = greatest(0, "
                                   "used_bytes - $2) WHERE id = $1",
                                   {account_id, freed})
                             .status());
  }
  CollectOrphanBlobs(conn, blobs);
  return absl::OkStatus();
}

absl::Status DoDelete(pg::Pool& pool, const v1::DeleteMailboxRequest& req) {
  const std::string name = CanonicalName(req.name());
  if (name == "INBOX") return absl::InvalidArgumentError("INBOX cannot be deleted");
  return pg::InTransaction(pool, [&](pg::Connection& conn) -> absl::Status {
    MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(conn, req.account()));
    MAIL_RETURN_IF_ERROR(LockAccount(conn, account.id));
    MAIL_ASSIGN_OR_RETURN(MailboxRow mailbox, FindMailbox(conn, account.id, name));
    MAIL_RETURN_IF_ERROR(RemoveMessages(conn, account.id, mailbox.id));
    // RFC 3501 §6.3.6: the name stays subscribed though the mailbox is gone.
    MAIL_RETURN_IF_ERROR(conn.Exec("WITH d AS (DELETE FROM mailstore.mailboxes WHERE id = $1 AND "
                                   "account_id = $2 RETURNING name, subscribed) INSERT INTO "
                                   "mailstore.orphan_subscriptions (account_id, name) SELECT $2, "
                                   "name FROM d WHERE subscribed ON CONFLICT DO NOTHING",
                                   {mailbox.id, account.id})
                             .status());
    // Sessions that have it selected learn at their next sync that it is gone.
    return NotifyChange(conn, account.id, mailbox.id, 0);
  });
}

absl::Status DoRename(pg::Pool& pool, const v1::RenameMailboxRequest& req) {
  const std::string from = CanonicalName(req.from());
  const std::string to = CanonicalName(req.to());
  MAIL_RETURN_IF_ERROR(ValidateMailboxName(to));
  if (to == "INBOX") return absl::AlreadyExistsError("INBOX always exists");
  if (absl::StartsWith(to, from + "/")) {
    return absl::InvalidArgumentError("a mailbox cannot be moved below itself");
  }
  return pg::InTransaction(pool, [&](pg::Connection& conn) -> absl::Status {
    MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(conn, req.account()));
    MAIL_RETURN_IF_ERROR(LockAccount(conn, account.id));
    MAIL_ASSIGN_OR_RETURN(MailboxRow source, FindMailbox(conn, account.id, from));
    MAIL_ASSIGN_OR_RETURN(pg::Result taken,
                          conn.Exec("SELECT 1 FROM mailstore.mailboxes WHERE account_id = $1 AND "
                                    "name = $2",
                                    {account.id, to}));
    if (taken.rows() > 0) return absl::AlreadyExistsError(absl::StrCat("mailbox ", to, " exists"));
    MAIL_RETURN_IF_ERROR(CreateParents(conn, account.id, to));
    if (source.name == "INBOX") {
      // RFC 3501 §6.3.5: renaming INBOX moves its messages to a new mailbox; INBOX
      // stays, empty, and its inferiors are not renamed. The messages keep their UIDs,
      // so the new mailbox starts where INBOX's UIDs left off.
      MAIL_ASSIGN_OR_RETURN(int64_t uidvalidity, NextUidValidity(conn, account.id));
      MAIL_ASSIGN_OR_RETURN(
          pg::Result created,
          conn.Exec("INSERT INTO mailstore.mailboxes (account_id, name, uidvalidity, uidnext, "
                    "highest_modseq) SELECT $1, $2, $3, uidnext, highest_modseq FROM "
                    "mailstore.mailboxes WHERE id = $4 RETURNING id",
                    {account.id, to, uidvalidity, source.id}));
      MAIL_ASSIGN_OR_RETURN(
          pg::Result moved,
          conn.Exec("WITH m AS (UPDATE mailstore.messages SET mailbox_id = $3 WHERE account_id = "
                    "$1 AND mailbox_id = $2 RETURNING uid) SELECT coalesce(array_agg(uid)::text, "
                    "'{}') FROM m",
                    {account.id, source.id, created.GetInt(0, 0)}));
      MAIL_ASSIGN_OR_RETURN(int64_t modseq, BumpModseq(conn, account.id, source.id));
      MAIL_RETURN_IF_ERROR(
          RecordExpunged(conn, account.id, source.id, std::string(moved.Get(0, 0)), modseq));
      return AdoptSubscriptions(conn, account.id);
    }
    // The mailbox and everything below it; a clash below gives ALREADY_EXISTS (23505).
    MAIL_RETURN_IF_ERROR(
        conn.Exec("UPDATE mailstore.mailboxes SET name = $3 || substr(name, length($2) + 1) "
                  "WHERE account_id = $1 AND (name = $2 OR left(name, length($2) + 1) = $2 || "
                  "'/')",
                  {account.id, source.name, to})
            .status());
    MAIL_RETURN_IF_ERROR(AdoptSubscriptions(conn, account.id));
    return NotifyChange(conn, account.id, source.id, 0);
  });
}

absl::Status DoSubscribe(pg::Pool& pool, const v1::SetSubscriptionRequest& req) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool.Acquire());
  MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(*conn, req.account()));
  const std::string name = CanonicalName(req.name());
  absl::StatusOr<MailboxRow> mailbox = FindMailbox(*conn, account.id, name);
  if (!mailbox.ok()) {
    if (mailbox.status().code() != absl::StatusCode::kNotFound) return mailbox.status();
    // A name whose mailbox was deleted: already subscribed, and UNSUBSCRIBE removes it.
    MAIL_ASSIGN_OR_RETURN(
        pg::Result orphan,
        conn->Exec(req.subscribed()
                       ? "SELECT name FROM mailstore.orphan_subscriptions WHERE account_id = $1 "
                         "AND name = $2"
                       : "DELETE FROM mailstore.orphan_subscriptions WHERE account_id = $1 AND "
                         "name = $2 RETURNING name",
                   {account.id, name}));
    if (orphan.rows() == 0) return mailbox.status();
    return absl::OkStatus();
  }
  return conn
      ->Exec("UPDATE mailstore.mailboxes SET subscribed = $3 WHERE id = $1 AND account_id = $2",
             {mailbox->id, account.id, req.subscribed()})
      .status();
}

absl::Status DoGetQuota(pg::Pool& pool, const v1::GetQuotaRequest& req,
                        v1::GetQuotaResponse* resp) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool.Acquire());
  MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(*conn, req.account()));
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn->Exec("SELECT count(*) FROM mailstore.messages WHERE account_id = $1", {account.id}));
  resp->set_used_bytes(static_cast<uint64_t>(std::max<int64_t>(0, account.used_bytes)));
  resp->set_quota_bytes(static_cast<uint64_t>(account.quota_bytes));
  resp->set_messages(static_cast<uint32_t>(r.GetInt(0, 0)));
  return absl::OkStatus();
}

}  // namespace

grpc::Status MailboxServiceImpl::CreateMailbox(grpc::ServerContext*,
                                               const v1::CreateMailboxRequest* req,
                                               v1::CreateMailboxResponse* resp) {
  return RunRpc(metrics_, "CreateMailbox", [&] { return DoCreate(pool_, *req, resp); });
}
grpc::Status MailboxServiceImpl::DeleteMailbox(grpc::ServerContext*,
                                               const v1::DeleteMailboxRequest* req,
                                               v1::DeleteMailboxResponse*) {
  return RunRpc(metrics_, "DeleteMailbox", [&] { return DoDelete(pool_, *req); });
}
grpc::Status MailboxServiceImpl::RenameMailbox(grpc::ServerContext*,
                                               const v1::RenameMailboxRequest* req,
                                               v1::RenameMailboxResponse*) {
  return RunRpc(metrics_, "RenameMailbox", [&] { return DoRename(pool_, *req); });
}
grpc::Status MailboxServiceImpl::SetSubscription(grpc::ServerContext*,
                                                 const v1::SetSubscriptionRequest* req,
                                                 v1::SetSubscriptionResponse*) {
  return RunRpc(metrics_, "SetSubscription", [&] { return DoSubscribe(pool_, *req); });
}
grpc::Status MailboxServiceImpl::GetQuota(grpc::ServerContext*, const v1::GetQuotaRequest* req,
                                          v1::GetQuotaResponse* resp) {
  return RunRpc(metrics_, "GetQuota", [&] { return DoGetQuota(pool_, *req, resp); });
}

}  // namespace mail::mailbox_store
