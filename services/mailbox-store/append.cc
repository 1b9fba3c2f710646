// MailboxService.AppendMessage (IMAP APPEND, RFC 3501 §6.3.11, UIDPLUS RFC 4315): stores
// one message in any mailbox of the account, with flags and an internal date, charging
// the quota in the same transaction. No idempotency: IMAP APPEND has none.
#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/base/status_macros.h"
#include "services/libs/mail/bodystructure.h"
#include "services/mailbox-store/imap_common.h"
#include "services/mailbox-store/lookup.h"
#include "services/mailbox-store/mailbox_service.h"
#include "services/mailbox-store/storage.h"

namespace mail::mailbox_store {
namespace {

std::string Sha256(const std::string& body) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

absl::Status DoAppend(pg::Pool& pool, uint64_t max_size,
                      grpc::ServerReader<v1::AppendMessageRequest>* reader,
                      v1::AppendMessageResponse* resp) {
  v1::AppendMessageRequest request;
  if (!reader->Read(&request) || !request.has_metadata()) {
    return absl::InvalidArgumentError("the first AppendMessage message must carry the metadata");
  }
  const v1::AppendMetadata meta = request.metadata();
  auto too_big = [&] {
    return absl::ResourceExhaustedError(
        absl::StrCat("message larger than the limit of ", max_size, " octets"));
  };
  if (meta.size_hint() > max_size) return too_big();
  std::vector<std::string> system, keywords;
  MAIL_RETURN_IF_ERROR(SplitFlags(
      std::vector<std::string>(meta.flags().begin(), meta.flags().end()), &system, &keywords));
  std::string body;
  if (meta.size_hint() > 0) body.reserve(meta.size_hint());
  while (reader->Read(&request)) {
    if (!request.has_chunk()) {
      return absl::InvalidArgumentError("an AppendMessage stream is metadata, then chunks");
    }
    if (body.size() + request.chunk().data().size() > max_size) return too_big();
    body += request.chunk().data();
  }
  const std::string sha256 = Sha256(body);
  const int64_t size = static_cast<int64_t>(body.size());
  // Parsed once, outside the transaction, as Deliver does: APPENDed messages answer
  // FETCH ENVELOPE/BODYSTRUCTURE/BODY[n] like delivered ones.
  const mime::MessageStructure structure = mime::ComputeStructure(body);
  return pg::InTransaction(pool, [&](pg::Connection& conn) -> absl::Status {
    MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(conn, meta.account()));
    MAIL_ASSIGN_OR_RETURN(MailboxRow mailbox,
                          FindMailbox(conn, account.id, CanonicalName(meta.mailbox())));
    // Quota first (account row), then the mailbox row: Deliver's lock order.
    MAIL_ASSIGN_OR_RETURN(bool charged, ChargeQuota(conn, account.id, size));
    if (!charged) return absl::ResourceExhaustedError("mailbox quota exceeded");
    MAIL_ASSIGN_OR_RETURN(int64_t blob_id, StoreBlob(conn, sha256, body));
    MAIL_ASSIGN_OR_RETURN(
        pg::Result slot,
        conn.Exec("UPDATE mailstore.mailboxes SET uidnext = uidnext + 1, highest_modseq = "
                  "highest_modseq + 1 WHERE id = $1 AND account_id = $2 RETURNING uidnext - 1, "
                  "highest_modseq, uidvalidity",
                  {mailbox.id, account.id}));
    if (slot.rows() == 0) return absl::NotFoundError("mailbox vanished");
    const int64_t uid = slot.GetInt(0, 0);
    const int64_t modseq = slot.GetInt(0, 1);
    MAIL_RETURN_IF_ERROR(
        conn.Exec("INSERT INTO mailstore.messages (mailbox_id, uid, account_id, blob_id, size, "
                  "modseq, flags, keywords, internal_date, envelope, bodystructure, body_form, "
                  "parts, header_fields) VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8::text[], "
                  "CASE WHEN $9::bigint = 0 THEN now() ELSE to_timestamp($9::bigint) END, $10, "
                  "$11, $12, $13, $14::jsonb)",
                  {mailbox.id, uid, account.id, blob_id, size, modseq, pg::TextArray(system),
                   pg::TextArray(keywords), meta.internal_date_unix(),
                   pg::Param::Bytes(structure.envelope), pg::Param::Bytes(structure.bodystructure),
                   pg::Param::Bytes(structure.body), pg::Param::Bytes(structure.parts),
                   structure.search_headers})
            .status());
    MAIL_RETURN_IF_ERROR(NotifyChange(conn, account.id, mailbox.id, modseq));
    resp->set_uidvalidity(static_cast<uint32_t>(slot.GetInt(0, 2)));
    resp->set_uid(static_cast<uint32_t>(uid));
    return absl::OkStatus();
  });
}

}  // namespace

grpc::Status MailboxServiceImpl::AppendMessage(grpc::ServerContext*,
                                               grpc::ServerReader<v1::AppendMessageRequest>* reader,
                                               v1::AppendMessageResponse* resp) {
  return RunRpc(metrics_, "AppendMessage",
                [&] { return DoAppend(pool_, config_.max_message_size, reader, resp); });
}

}  // namespace mail::mailbox_store
