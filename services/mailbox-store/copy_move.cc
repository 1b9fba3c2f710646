// MailboxService.CopyMessages (IMAP COPY, RFC 3501 §6.4.7; MOVE, RFC 6851; COPYUID,
// RFC 4315): copies messages to another mailbox of the account in one transaction,
// sharing the bodies; a copy charges the quota, a move expunges the originals.
#include "absl/strings/str_cat.h"
#include "services/libs/base/status_macros.h"
#include "services/mailbox-store/imap_common.h"
#include "services/mailbox-store/lookup.h"
#include "services/mailbox-store/mailbox_service.h"
#include "services/mailbox-store/storage.h"

namespace mail::mailbox_store {
namespace {

absl::Status DoCopy(pg::Pool& pool, const v1::CopyMessagesRequest& req,
                    v1::CopyMessagesResponse* resp) {
  const std::string uids = pg::IntArray(req.uids());
  return pg::InTransaction(pool, [&](pg::Connection& conn) -> absl::Status {
    resp->Clear();
    MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(conn, req.account()));
    MAIL_RETURN_IF_ERROR(LockAccount(conn, account.id));
    MAIL_ASSIGN_OR_RETURN(MailboxRow source,
                          FindMailbox(conn, account.id, CanonicalName(req.mailbox())));
    MAIL_ASSIGN_OR_RETURN(MailboxRow target,
                          FindMailbox(conn, account.id, CanonicalName(req.destination())));
    // Locks the originals so a concurrent expunge cannot collect their bodies.
    MAIL_ASSIGN_OR_RETURN(
        pg::Result picked,
        conn.Exec("WITH p AS (SELECT uid, size FROM mailstore.messages WHERE account_id = $1 AND "
                  "mailbox_id = $2 AND uid = ANY($3::bigint[]) ORDER BY uid FOR UPDATE) "
                  "SELECT count(*), coalesce(sum(size), 0), coalesce(array_agg(uid ORDER BY "
                  "uid)::text, '{}') FROM p",
                  {account.id, source.id, uids}));
    const int64_t count = picked.GetInt(0, 0);
    const int64_t size = picked.GetInt(0, 1);
    const std::vector<uint32_t> source_uids = pg::ParseIntArray(picked.Get(0, 2));
    resp->set_uidvalidity(static_cast<uint32_t>(target.uidvalidity));
    if (count == 0) return absl::OkStatus();
    if (!req.move()) {
      MAIL_ASSIGN_OR_RETURN(bool charged, ChargeQuota(conn, account.id, size));
      if (!charged) return absl::ResourceExhaustedError("mailbox quota exceeded");
    }
    MAIL_ASSIGN_OR_RETURN(
        pg::Result slot,
        conn.Exec("UPDATE mailstore.mailboxes SET uidnext = uidnext + $3, highest_modseq = "
                  "highest_modseq + 1 WHERE id = $1 AND account_id = $2 RETURNING uidnext - $3, "
                  "highest_modseq",
                  {target.id, account.id, count}));
    const int64_t first = slot.GetInt(0, 0);
    const int64_t modseq = slot.GetInt(0, 1);
    // Every column is copied (including those later migrations add, such as the parsed
    // structure) except the ones that name the copy's place.
    MAIL_RETURN_IF_ERROR(
        conn.Exec("INSERT INTO mailstore.messages SELECT (jsonb_populate_record(NULL::"
                  "mailstore.messages, to_jsonb(m) || jsonb_build_object('mailbox_id', $4::bigint, "
                  "'uid', $5::bigint - 1 + row_number() OVER (ORDER BY m.uid), 'modseq', "
                  "$6::bigint, 'transaction_id', NULL))).* FROM mailstore.messages m WHERE "
                  "m.account_id = $1 AND m.mailbox_id = $2 AND m.uid = ANY($3::bigint[])",
                  {account.id, source.id, uids, target.id, first, modseq})
            .status());
    MAIL_RETURN_IF_ERROR(NotifyChange(conn, account.id, target.id, modseq));
    if (req.move()) {
      MAIL_RETURN_IF_ERROR(conn.Exec("DELETE FROM mailstore.messages WHERE account_id = $1 AND "
                                     "mailbox_id = $2 AND uid = ANY($3::bigint[])",
                                     {account.id, source.id, uids})
                               .status());
      MAIL_ASSIGN_OR_RETURN(int64_t moved, BumpModseq(conn, account.id, source.id));
      MAIL_RETURN_IF_ERROR(
          RecordExpunged(conn, account.id, source.id, std::string(picked.Get(0, 2)), moved));
    }
    for (size_t i = 0; i < source_uids.size(); ++i) {
      resp->add_source_uids(source_uids[i]);
      resp->add_destination_uids(static_cast<uint32_t>(first + static_cast<int64_t>(i)));
    }
    return absl::OkStatus();
  });
}

}  // namespace

grpc::Status MailboxServiceImpl::CopyMessages(grpc::ServerContext*,
                                              const v1::CopyMessagesRequest* req,
                                              v1::CopyMessagesResponse* resp) {
  return RunRpc(metrics_, "CopyMessages", [&] { return DoCopy(pool_, *req, resp); });
}

}  // namespace mail::mailbox_store
