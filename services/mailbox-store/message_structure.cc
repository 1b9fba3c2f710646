// Stored message structure, computed lazily for old messages; see message_structure.h.
#include "services/mailbox-store/message_structure.h"

#include <map>
#include <string>
#include <vector>

#include "services/libs/base/log.h"
#include "services/libs/base/status_macros.h"
#include "services/libs/mail/bodystructure.h"
#include "services/mailbox-store/imap_common.h"

namespace mail::mailbox_store {

absl::Status FillStructures(pg::Connection& conn, int64_t account_id, int64_t mailbox_id,
                            v1::ListMessagesResponse* resp) {
  if (resp->messages_size() == 0) return absl::OkStatus();
  std::vector<uint32_t> uids;
  std::map<uint32_t, v1::MessageInfo*> by_uid;
  for (v1::MessageInfo& m : *resp->mutable_messages()) {
    uids.push_back(m.uid());
    by_uid[m.uid()] = &m;
  }
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.Exec("SELECT uid, parts IS NULL, envelope, bodystructure, body_form, parts, blob_id "
                "FROM mailstore.messages WHERE account_id = $1 AND mailbox_id = $2 AND "
                "uid = ANY($3::bigint[])",
                {account_id, mailbox_id, pg::IntArray(uids)}));
  for (int i = 0; i < r.rows(); ++i) {
    auto it = by_uid.find(static_cast<uint32_t>(r.GetInt(i, 0)));
    if (it == by_uid.end()) continue;
    v1::MessageInfo* m = it->second;
    if (!r.GetBool(i, 1)) {
      m->set_envelope(r.GetBytes(i, 2));
      m->set_bodystructure(r.GetBytes(i, 3));
      m->set_body(r.GetBytes(i, 4));
      m->set_parts(r.GetBytes(i, 5));
      continue;
    }
    // Stored before the structure was computed at delivery: parse now, once, and keep
    // it. Every copy of the blob gets it, so COPY/MOVE targets never parse again.
    const int64_t blob_id = r.GetInt(i, 6);
    MAIL_ASSIGN_OR_RETURN(pg::Result blob,
                          conn.Exec("SELECT body FROM mailstore.blobs WHERE id = $1", {blob_id}));
    if (blob.rows() == 0) return absl::InternalError("message without its blob");
    const std::string body = blob.GetBytes(0, 0);
    const mime::MessageStructure s = mime::ComputeStructure(body);
    MAIL_RETURN_IF_ERROR(
        conn.Exec("UPDATE mailstore.messages SET envelope = $3, bodystructure = $4, "
                  "body_form = $5, parts = $6, header_fields = coalesce(header_fields, "
                  "$7::jsonb) WHERE account_id = $1 AND blob_id = $2 AND parts IS NULL",
                  {account_id, blob_id, pg::Param::Bytes(s.envelope),
                   pg::Param::Bytes(s.bodystructure), pg::Param::Bytes(s.body),
                   pg::Param::Bytes(s.parts), s.search_headers})
            .status());
    mail::base::LogInfo("computed message structure", {{"mailbox_id", std::to_string(mailbox_id)},
                                                       {"uid", std::to_string(m->uid())},
                                                       {"size", std::to_string(body.size())}});
    m->set_envelope(s.envelope);
    m->set_bodystructure(s.bodystructure);
    m->set_body(s.body);
    m->set_parts(s.parts);
  }
  return absl::OkStatus();
}

}  // namespace mail::mailbox_store
