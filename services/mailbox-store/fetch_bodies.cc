// MailboxService.FetchBodies: several small bodies of one mailbox in one query and one
// reply, so a POP3 session walking its maildrop pays one round trip per batch rather
// than per message. Bodies come back in binary form (no hex encoding of bytea).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/libs/base/status_macros.h"
#include "services/libs/mail/header.h"
#include "services/mailbox-store/lookup.h"
#include "services/mailbox-store/mailbox_service.h"

namespace mail::mailbox_store {
namespace {

// Bounds of one reply: well under gRPC's default 4 MiB message limit.
constexpr uint64_t kMaxBodiesMessageSize = 1 << 20;
constexpr int64_t kMaxBodiesReplySize = 2 << 20;
constexpr int kMaxBodiesUids = 1000;
// headers_only reads this much of each body first.
constexpr int64_t kHeaderPrefix = 16 * 1024;

}  // namespace

grpc::Status MailboxServiceImpl::FetchBodies(grpc::ServerContext*,
                                             const v1::FetchBodiesRequest* req,
                                             v1::FetchBodiesResponse* resp) {
  return RunRpc(metrics_, "FetchBodies", [&] { return DoFetchBodies(*req, resp); });
}

absl::Status MailboxServiceImpl::DoFetchBodies(const v1::FetchBodiesRequest& req,
                                               v1::FetchBodiesResponse* resp) {
  if (req.uids_size() > kMaxBodiesUids) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxBodiesUids, " messages per FetchBodies"));
  }
  if (req.uids_size() == 0) return absl::OkStatus();
  uint64_t max_size = std::min<uint64_t>(
      req.max_message_size() == 0 ? kMaxBodiesMessageSize : req.max_message_size(),
      kMaxBodiesMessageSize);
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
  MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(*conn, req.account()));
  MAIL_ASSIGN_OR_RETURN(MailboxRow mailbox, FindMailbox(*conn, account.id, req.mailbox()));
  if (req.headers_only()) max_size = INT64_MAX;
  // For headers only, a prefix of each body (the blobs are stored uncompressed, so
  // PostgreSQL reads just the chunks it covers); a header longer than that is read
  // whole below.
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn->Exec("SELECT m.uid, CASE WHEN $5::boolean THEN substring(b.body FROM 1 FOR $6) "
                 "ELSE b.body END, b.id, b.size FROM mailstore.messages m JOIN mailstore.blobs b "
                 "ON b.id = m.blob_id WHERE m.account_id = $1 AND m.mailbox_id = $2 AND "
                 "m.uid = ANY($3::bigint[]) AND b.size <= $4 ORDER BY m.uid",
                 {account.id, mailbox.id, pg::IntArray(req.uids()), max_size, req.headers_only(),
                  kHeaderPrefix},
                 pg::Format::kBinary));
  int64_t total = 0;
  for (int i = 0; i < r.rows(); ++i) {
    std::string_view body = r.Get(i, 1);
    std::string whole;  // a header longer than the prefix
    if (req.headers_only()) {
      size_t header = HeaderSectionLength(body);
      if (header == body.size() && r.GetInt(i, 3) > static_cast<int64_t>(body.size())) {
        MAIL_ASSIGN_OR_RETURN(pg::Result b,
                              conn->Exec("SELECT body FROM mailstore.blobs WHERE id = $1",
                                         {r.GetInt(i, 2)}, pg::Format::kBinary));
        if (b.rows() == 0) continue;
        whole = std::string(b.Get(0, 0));
        body = whole;
        header = HeaderSectionLength(body);
      }
      body = body.substr(0, header);
    }
    total += static_cast<int64_t>(body.size());
    if (total > kMaxBodiesReplySize && i > 0) break;  // the caller asks again for the rest
    v1::FetchBodiesResponse::Body* out = resp->add_bodies();
    out->set_uid(static_cast<uint32_t>(r.GetInt(i, 0)));
    out->set_data(body.data(), body.size());
  }
  return absl::OkStatus();
}

}  // namespace mail::mailbox_store
