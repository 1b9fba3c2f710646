// MailboxService.StoreFlags (IMAP STORE, RFC 3501 §6.4.6): sets, adds or removes the
// flags and keywords of messages. Messages whose flags change get the mailbox's next
// modseq (RFC 7162 semantics, ready for CONDSTORE); a change is NOTIFYed.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/libs/base/status_macros.h"
#include "services/mailbox-store/imap_common.h"
#include "services/mailbox-store/lookup.h"
#include "services/mailbox-store/mailbox_service.h"

namespace mail::mailbox_store {
namespace {

// Keywords are IMAP atoms; anything else would corrupt the space-joined lists that
// ListMessages returns.
bool ValidKeyword(const std::string& k) {
  if (k.empty() || k.size() > 128) return false;
  for (char c : k) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' ||
        c == '"' || c == '\\' || c == ']') {
      return false;
    }
  }
  return true;
}

absl::Status DoStoreFlags(pg::Pool& pool, const v1::StoreFlagsRequest& req,
                          v1::StoreFlagsResponse* resp) {
  std::vector<std::string> system, keywords;
  MAIL_RETURN_IF_ERROR(SplitFlags(std::vector<std::string>(req.flags().begin(), req.flags().end()),
                                  &system, &keywords));
  for (const std::string& k : keywords) {
    if (!ValidKeyword(k)) return absl::InvalidArgumentError("invalid keyword");
  }
  const char* update = nullptr;
  switch (req.operation()) {
    case v1::FLAG_OPERATION_REPLACE:
      update =
          "ARRAY(SELECT DISTINCT unnest($4::text[]) ORDER BY 1) AS nf, "
          "ARRAY(SELECT DISTINCT unnest($5::text[]) ORDER BY 1) AS nk";
      break;
    case v1::FLAG_OPERATION_ADD:
      update =
          "ARRAY(SELECT DISTINCT unnest(flags || $4::text[]) ORDER BY 1) AS nf, "
          "ARRAY(SELECT DISTINCT unnest(keywords || $5::text[]) ORDER BY 1) AS nk";
      break;
    case v1::FLAG_OPERATION_REMOVE:
      update =
          "ARRAY(SELECT unnest(flags) EXCEPT SELECT unnest($4::text[]) ORDER BY 1) AS nf, "
          "ARRAY(SELECT unnest(keywords) EXCEPT SELECT unnest($5::text[]) ORDER BY 1) AS nk";
      break;
    default:
      return absl::InvalidArgumentError("operation must be REPLACE, ADD or REMOVE");
  }
  const std::string uids = pg::IntArray(req.uids());
  const std::string flags = pg::TextArray(system);
  const std::string words = pg::TextArray(keywords);
  return pg::InTransaction(pool, [&](pg::Connection& conn) -> absl::Status {
    resp->clear_messages();
    MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(conn, req.account()));
    MAIL_ASSIGN_OR_RETURN(MailboxRow mailbox, FindMailbox(conn, account.id, req.mailbox()));
    MAIL_ASSIGN_OR_RETURN(pg::Result next,
                          conn.Exec("SELECT highest_modseq + 1 FROM mailstore.mailboxes WHERE "
                                    "id = $1 FOR UPDATE",
                                    {mailbox.id}));
    const int64_t modseq = next.GetInt(0, 0);
    // Only rows whose flags really change get the new modseq.
    MAIL_RETURN_IF_ERROR(
        conn.Exec(absl::StrCat("WITH n AS (SELECT uid, ", update,
                               " FROM mailstore.messages WHERE account_id = $1 AND mailbox_id = "
                               "$2 AND uid = ANY($3::bigint[]) FOR UPDATE) UPDATE "
                               "mailstore.messages m SET flags = n.nf, keywords = n.nk, modseq = "
                               "$6 FROM n WHERE m.account_id = $1 AND m.mailbox_id = $2 AND "
                               "m.uid = n.uid AND (m.flags <> n.nf OR m.keywords <> n.nk)"),
                  {account.id, mailbox.id, uids, flags, words, modseq})
            .status());
    MAIL_ASSIGN_OR_RETURN(
        pg::Result rows,
        conn.Exec("SELECT uid, array_to_string(flags || keywords, ' '), modseq FROM "
                  "mailstore.messages WHERE account_id = $1 AND mailbox_id = $2 AND uid = "
                  "ANY($3::bigint[]) ORDER BY uid",
                  {account.id, mailbox.id, uids}));
    bool any = false;
    for (int i = 0; i < rows.rows(); ++i) {
      v1::MessageInfo* m = resp->add_messages();
      m->set_uid(static_cast<uint32_t>(rows.GetInt(i, 0)));
      std::string_view f = rows.Get(i, 1);
      for (absl::string_view flag :
           absl::StrSplit(absl::string_view(f.data(), f.size()), ' ', absl::SkipEmpty())) {
        m->add_flags(std::string(flag));
      }
      m->set_modseq(static_cast<uint64_t>(rows.GetInt(i, 2)));
      any |= rows.GetInt(i, 2) == modseq;
    }
    if (!any) return absl::OkStatus();
    MAIL_RETURN_IF_ERROR(conn.Exec("UPDATE mailstore.mailboxes SET highest_modseq = $2 WHERE "
                                   "id = $1",
                                   {mailbox.id, modseq})
                             .status());
    return NotifyChange(conn, account.id, mailbox.id, modseq);
  });
}

}  // namespace

grpc::Status MailboxServiceImpl::StoreFlags(grpc::ServerContext*, const v1::StoreFlagsRequest* req,
                                            v1::StoreFlagsResponse* resp) {
  return RunRpc(metrics_, "StoreFlags", [&] { return DoStoreFlags(pool_, *req, resp); });
}

}  // namespace mail::mailbox_store
