// MailboxService.SearchMessages: IMAP SEARCH header keys in SQL, over the header fields
// decoded and folded at delivery (mailstore.messages.header_fields, services/libs/mail/
// search_headers.h), so a SEARCH SUBJECT reads one small jsonb value per message rather
// than every body. Messages stored before header_fields was filled in get it here, once.
#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/base/status_macros.h"
#include "services/libs/mail/header.h"
#include "services/libs/mail/search_headers.h"
#include "services/mailbox-store/lookup.h"
#include "services/mailbox-store/mailbox_service.h"

namespace mail::mailbox_store {
namespace {

constexpr int kMaxMatches = 64;
// Older messages prepared per statement while filling in header_fields.
constexpr int kFillBatch = 200;

// Computes header_fields for the messages of the mailbox that lack it (stored before
// it was filled in at delivery). Every copy of a blob in the account gets it at once.
absl::Status FillMissingHeaderFields(pg::Connection& conn, int64_t account_id, int64_t mailbox_id) {
  int filled = 0;
  while (true) {
    MAIL_ASSIGN_OR_RETURN(
        pg::Result missing,
        conn.Exec("SELECT DISTINCT blob_id FROM mailstore.messages WHERE account_id = $1 AND "
                  "mailbox_id = $2 AND header_fields IS NULL LIMIT $3",
                  {account_id, mailbox_id, static_cast<int64_t>(kFillBatch)}));
    if (missing.rows() == 0) break;
    for (int i = 0; i < missing.rows(); ++i) {
      const int64_t blob_id = missing.GetInt(i, 0);
      MAIL_ASSIGN_OR_RETURN(pg::Result blob,
                            conn.Exec("SELECT body FROM mailstore.blobs WHERE id = $1", {blob_id}));
      if (blob.rows() == 0) return absl::InternalError("message without its blob");
      const std::string body = blob.GetBytes(0, 0);
      const std::string_view raw(body);
      const std::string json = mime::SearchHeaderJson(raw.substr(0, HeaderSectionLength(raw)));
      MAIL_RETURN_IF_ERROR(conn.Exec("UPDATE mailstore.messages SET header_fields = $3::jsonb "
                                     "WHERE account_id = $1 AND blob_id = $2 AND header_fields "
                                     "IS NULL",
                                     {account_id, blob_id, json})
                               .status());
      ++filled;
    }
  }
  if (filled > 0) {
    base::LogInfo("computed search header fields", {{"mailbox_id", std::to_string(mailbox_id)},
                                                    {"messages", std::to_string(filled)}});
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status MailboxServiceImpl::SearchMessages(grpc::ServerContext*,
                                                const v1::SearchMessagesRequest* req,
                                                v1::SearchMessagesResponse* resp) {
  return RunRpc(metrics_, "SearchMessages", [&] { return DoSearchMessages(*req, resp); });
}

absl::Status MailboxServiceImpl::DoSearchMessages(const v1::SearchMessagesRequest& req,
                                                  v1::SearchMessagesResponse* resp) {
  if (req.matches_size() > kMaxMatches) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxMatches, " header matches per SearchMessages"));
  }
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
  MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(*conn, req.account()));
  MAIL_ASSIGN_OR_RETURN(MailboxRow mailbox, FindMailbox(*conn, account.id, req.mailbox()));
  if (req.matches_size() == 0) return absl::OkStatus();
  MAIL_RETURN_IF_ERROR(FillMissingHeaderFields(*conn, account.id, mailbox.id));
  for (const v1::SearchMessagesRequest::HeaderMatch& match : req.matches()) {
    // Both sides folded alike; the needle has no "\n", so it never spans two values of
    // a repeated field. strpos(x, '') is 1: an empty text matches when the field exists.
    MAIL_ASSIGN_OR_RETURN(
        pg::Result r,
        conn->Exec("SELECT uid FROM mailstore.messages WHERE account_id = $1 AND mailbox_id = $2 "
                   "AND strpos(header_fields ->> $3, $4) > 0 ORDER BY uid",
                   {account.id, mailbox.id, mime::FoldForSearch(match.field()),
                    mime::FoldForSearch(match.text())}));
    v1::SearchMessagesResponse::Uids* uids = resp->add_results();
    uids->mutable_uids()->Reserve(r.rows());
    for (int i = 0; i < r.rows(); ++i) uids->add_uids(static_cast<uint32_t>(r.GetInt(i, 0)));
  }
  return absl::OkStatus();
}

}  // namespace mail::mailbox_store
