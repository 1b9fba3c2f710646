// Quota charge and blob storage; see storage.h.
#include "services/mailbox-store/storage.h"

#include "services/libs/base/status_macros.h"

namespace mail::mailbox_store {

absl::StatusOr<bool> ChargeQuota(pg::Connection& conn, int64_t account_id, int64_t size) {
  MAIL_ASSIGN_OR_RETURN(
      pg::Result charged,
      conn.Exec("UPDATE mailstore.accounts SET used_bytes = used_bytes + $2 WHERE id = $1 "
                "AND (quota_bytes = 0 OR used_bytes + $2 <= quota_bytes) RETURNING id",
                {account_id, size}));
  return charged.rows() > 0;
}

absl::StatusOr<int64_t> StoreBlob(pg::Connection& conn, const std::string& sha256,
                                  const std::string& body) {
  // Most bodies are new, so the INSERT comes first (one round trip); ON CONFLICT DO
  // NOTHING waits for a concurrent first insert of the same body, then returns no row.
  MAIL_ASSIGN_OR_RETURN(
      pg::Result inserted,
      conn.Exec(
          "INSERT INTO mailstore.blobs (sha256, size, body) VALUES ($1, $2, $3) "
          "ON CONFLICT (sha256) DO NOTHING RETURNING id",
          {pg::Param::Bytes(sha256), static_cast<int64_t>(body.size()), pg::Param::Bytes(body)}));
  if (inserted.rows() > 0) return inserted.GetInt(0, 0);
  MAIL_ASSIGN_OR_RETURN(pg::Result found,
                        conn.Exec("SELECT id FROM mailstore.blobs WHERE sha256 = $1 FOR KEY SHARE",
                                  {pg::Param::Bytes(sha256)}));
  if (found.rows() == 0) {
    // Inserted and collected between our two statements: a retry starts over.
    return absl::AbortedError("blob vanished while being stored");
  }
  return found.GetInt(0, 0);
}

}  // namespace mail::mailbox_store
