// MailboxService: lookups, authentication and mailbox reads; see mailbox_service.h.
#include "services/mailbox-store/mailbox_service.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/libs/base/log.h"
#include "services/libs/base/status_macros.h"
#include "services/mailbox-store/address.h"
#include "services/mailbox-store/imap_common.h"
#include "services/mailbox-store/lookup.h"
#include "services/mailbox-store/message_structure.h"
#include "services/mailbox-store/password.h"
#include "services/mailbox-store/recent.h"

namespace mail::mailbox_store {
namespace {

// Longer user names cannot be an account ("local@domain", 64 + 1 + 253).
constexpr size_t kMaxUsername = 320;

}  // namespace

MailboxServiceImpl::MailboxServiceImpl(pg::Pool& pool, StoreMetrics& metrics,
                                       MailboxServiceConfig config)
    : pool_(pool), metrics_(metrics), config_(config) {
  absl::StatusOr<std::string> dummy = HashPassword("mailsuite timing equaliser");
  if (dummy.ok()) dummy_hash_ = *std::move(dummy);
}

// ---- gRPC entry points --------------------------------------------------------------

grpc::Status MailboxServiceImpl::LookupRecipient(grpc::ServerContext*,
                                                 const v1::LookupRecipientRequest* req,
                                                 v1::LookupRecipientResponse* resp) {
  return RunRpc(metrics_, "LookupRecipient", [&] { return DoLookupRecipient(*req, resp); });
}
grpc::Status MailboxServiceImpl::Authenticate(grpc::ServerContext*,
                                              const v1::AuthenticateRequest* req,
                                              v1::AuthenticateResponse* resp) {
  return RunRpc(metrics_, "Authenticate", [&] { return DoAuthenticate(*req, resp); });
}
grpc::Status MailboxServiceImpl::ListSenderAddresses(grpc::ServerContext*,
                                                     const v1::ListSenderAddressesRequest* req,
                                                     v1::ListSenderAddressesResponse* resp) {
  return RunRpc(metrics_, "ListSenderAddresses", [&] { return DoListSenderAddresses(*req, resp); });
}
grpc::Status MailboxServiceImpl::Deliver(grpc::ServerContext*,
                                         grpc::ServerReader<v1::DeliverRequest>* reader,
                                         v1::DeliverResponse* resp) {
  return RunRpc(metrics_, "Deliver", [&] { return DoDeliver(reader, resp); });
}
grpc::Status MailboxServiceImpl::ListMailboxes(grpc::ServerContext*,
                                               const v1::ListMailboxesRequest* req,
                                               v1::ListMailboxesResponse* resp) {
  return RunRpc(metrics_, "ListMailboxes", [&] { return DoListMailboxes(*req, resp); });
}
grpc::Status MailboxServiceImpl::ListMessages(grpc::ServerContext*,
                                              const v1::ListMessagesRequest* req,
                                              v1::ListMessagesResponse* resp) {
  return RunRpc(metrics_, "ListMessages", [&] { return DoListMessages(*req, resp); });
}
grpc::Status MailboxServiceImpl::FetchBody(grpc::ServerContext*, const v1::FetchBodyRequest* req,
                                           grpc::ServerWriter<v1::FetchBodyResponse>* writer) {
  return RunRpc(metrics_, "FetchBody", [&] { return DoFetchBody(*req, writer); });
}
grpc::Status MailboxServiceImpl::ExpungeMessages(grpc::ServerContext*,
                                                 const v1::ExpungeMessagesRequest* req,
                                                 v1::ExpungeMessagesResponse* resp) {
  return RunRpc(metrics_, "ExpungeMessages", [&] { return DoExpungeMessages(*req, resp); });
}

// ---- recipients and senders ---------------------------------------------------------

absl::Status MailboxServiceImpl::DoLookupRecipient(const v1::LookupRecipientRequest& req,
                                                   v1::LookupRecipientResponse* resp) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
  MAIL_ASSIGN_OR_RETURN(Resolution r, ResolveRecipient(*conn, req.address()));
  if (!r.local_domain) {
    resp->set_kind(v1::RECIPIENT_KIND_REMOTE);
    return absl::OkStatus();
  }
  if (r.accounts.empty() && r.forward_to.empty()) {
    resp->set_kind(v1::RECIPIENT_KIND_UNKNOWN_USER);
    return absl::OkStatus();
  }
  resp->set_kind(v1::RECIPIENT_KIND_LOCAL);
  for (const AccountRow& a : r.accounts) {
    resp->add_accounts(a.address);
    if (a.OverQuota()) resp->set_over_quota(true);
  }
  for (const std::string& f : r.forward_to) resp->add_forward_to(f);
  return absl::OkStatus();
}

absl::Status MailboxServiceImpl::DoListSenderAddresses(const v1::ListSenderAddressesRequest& req,
                                                       v1::ListSenderAddressesResponse* resp) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
  MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(*conn, req.account()));
  resp->add_addresses(account.address);
  // Aliases whose target is this account; not the catch-all, which would let the
  // user send as anyone in the domain.
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn->Exec("SELECT a.local_part || '@' || d.name FROM mailstore.aliases a JOIN "
                 "mailstore.domains d ON d.id = a.domain_id WHERE lower(a.target) = lower($1) "
                 "AND a.local_part <> '' ORDER BY 1",
                 {account.address}));
  for (int i = 0; i < r.rows(); ++i) resp->add_addresses(std::string(r.Get(i, 0)));
  return absl::OkStatus();
}

// ---- authentication -----------------------------------------------------------------

void MailboxServiceImpl::AcquireHashSlot() {
  absl::MutexLock lock(&hash_mu_);
  auto free_slot = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(hash_mu_) {
    return hashing_ < config_.max_concurrent_hashes;
  };
  hash_mu_.Await(absl::Condition(&free_slot));
  ++hashing_;
}

void MailboxServiceImpl::ReleaseHashSlot() {
  absl::MutexLock lock(&hash_mu_);
  --hashing_;
}

absl::Status MailboxServiceImpl::DoAuthenticate(const v1::AuthenticateRequest& req,
                                                v1::AuthenticateResponse* resp) {
  resp->set_authenticated(false);
  int64_t account_id = 0;
  std::string canonical, stored;
  bool disabled = false;
  absl::StatusOr<Address> address = SplitEnvelopeAddress(req.username());
  if (address.ok() && req.username().size() <= kMaxUsername) {
    // The connection goes back to the pool before the slow hash.
    MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
    MAIL_ASSIGN_OR_RETURN(
        pg::Result r,
        conn->Exec("SELECT a.id, a.local_part || '@' || d.name, a.password_hash, a.disabled "
                   "FROM mailstore.accounts a JOIN mailstore.domains d ON d.id = a.domain_id "
                   "WHERE d.name = $1 AND lower(a.local_part) = lower($2)",
                   {address->domain, address->local}));
    if (r.rows() > 0) {
      account_id = r.GetInt(0, 0);
      canonical = std::string(r.Get(0, 1));
      stored = std::string(r.Get(0, 2));
      disabled = r.GetBool(0, 3);
    }
  }
  // Unknown users cost a hash too, so timing does not reveal which accounts exist.
  AcquireHashSlot();
  VerifyResult verify = VerifyPassword(account_id != 0 ? stored : dummy_hash_, req.password());
  ReleaseHashSlot();

  const char* result = "success";
  if (account_id == 0) {
    result = "unknown_user";
  } else if (!verify.ok) {
    result = "bad_password";
  } else if (disabled) {
    result = "disabled";
  }
  metrics_.CountAuth(result);
  mail::base::LogInfo("authentication",
                      {{"account", account_id != 0 ? canonical : req.username().substr(0, 100)},
                       {"client_ip", req.client_ip()},
                       {"result", result}});
  if (account_id == 0 || !verify.ok || disabled) return absl::OkStatus();

  resp->set_authenticated(true);
  resp->set_account(canonical);
  if (verify.needs_rehash) {
    // Upgrade an imported or weaker hash now that we know the password. Only if
    // nobody changed the password meanwhile; failures just leave the old hash.
    AcquireHashSlot();
    absl::StatusOr<std::string> fresh = HashPassword(req.password());
    ReleaseHashSlot();
    if (fresh.ok()) {
      absl::StatusOr<pg::PooledConnection> conn = pool_.Acquire();
      absl::Status status = conn.status();
      if (conn.ok()) {
        status = (*conn)
                     ->Exec(
                         "UPDATE mailstore.accounts SET password_hash = $3 WHERE id = $1 AND "
                         "password_hash = $2",
                         {account_id, stored, *fresh})
                     .status();
      }
      if (status.ok()) {
        mail::base::LogInfo(
            "password rehashed to argon2id",
            {{"account", canonical}, {"from", HashSchemeName(ParseStoredHash(stored).scheme)}});
      } else {
        mail::base::LogWarning("password rehash failed",
                               {{"account", canonical}, {"error", status.ToString()}});
      }
    }
  }
  return absl::OkStatus();
}

// ---- mailbox reads ------------------------------------------------------------------

absl::Status MailboxServiceImpl::DoListMailboxes(const v1::ListMailboxesRequest& req,
                                                 v1::ListMailboxesResponse* resp) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
  MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(*conn, req.account()));
  // with_status (IMAP STATUS) also counts unseen messages and sizes: a heap scan.
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn->Exec(req.with_status()
                     ? "SELECT b.name, coalesce(b.special_use, ''), b.uidvalidity, b.uidnext, "
                       "s.n, b.subscribed, s.unseen, s.size, b.highest_modseq, s.recent, s.deleted "
                       "FROM "
                       "mailstore.mailboxes b LEFT JOIN LATERAL (SELECT count(*) AS n, count(*) "
                       "FILTER (WHERE NOT m.flags @> '{\\\\Seen}') AS unseen, "
                       "coalesce(sum(m.size), 0) AS size, count(*) FILTER (WHERE m.uid >= "
                       "b.first_recent_uid) AS recent, count(*) FILTER (WHERE m.flags @> "
                       "'{\\\\Deleted}') AS deleted FROM mailstore.messages m WHERE "
                       "m.account_id = $1 AND m.mailbox_id = b.id) s ON true WHERE b.account_id "
                       "= $1 ORDER BY b.name <> 'INBOX', b.name"
                     : "SELECT b.name, coalesce(b.special_use, ''), b.uidvalidity, b.uidnext, "
                       "(SELECT count(*) FROM mailstore.messages m WHERE m.account_id = $1 AND "
                       "m.mailbox_id = b.id), b.subscribed FROM mailstore.mailboxes b "
                       "WHERE b.account_id = $1 ORDER BY b.name <> 'INBOX', b.name",
                 {account.id}));
  for (int i = 0; i < r.rows(); ++i) {
    v1::Mailbox* m = resp->add_mailboxes();
    m->set_name(std::string(r.Get(i, 0)));
    m->set_special_use(std::string(r.Get(i, 1)));
    m->set_uidvalidity(static_cast<uint32_t>(r.GetInt(i, 2)));
    m->set_uidnext(static_cast<uint32_t>(r.GetInt(i, 3)));
    m->set_messages(static_cast<uint32_t>(r.GetInt(i, 4)));
    m->set_subscribed(r.GetBool(i, 5));
    if (req.with_status()) {
      m->set_unseen(static_cast<uint32_t>(r.GetInt(i, 6)));
      m->set_size(static_cast<uint64_t>(r.GetInt(i, 7)));
      m->set_highest_modseq(static_cast<uint64_t>(r.GetInt(i, 8)));
      m->set_recent(static_cast<uint32_t>(r.GetInt(i, 9)));
      m->set_deleted(static_cast<uint32_t>(r.GetInt(i, 10)));
    }
  }
  // RFC 3501 §6.3.6: names still subscribed after their mailbox was deleted.
  MAIL_ASSIGN_OR_RETURN(
      pg::Result orphans,
      conn->Exec("SELECT name FROM mailstore.orphan_subscriptions WHERE account_id = $1 ORDER BY "
                 "name",
                 {account.id}));
  for (int i = 0; i < orphans.rows(); ++i) {
    resp->add_subscribed_without_mailbox(std::string(orphans.Get(i, 0)));
  }
  return absl::OkStatus();
}

absl::Status MailboxServiceImpl::DoListMessages(const v1::ListMessagesRequest& req,
                                                v1::ListMessagesResponse* resp) {
  const bool delta = req.changed_since() > 0;
  if (delta && req.uids_size() > 0) {
    return absl::InvalidArgumentError("changed_since lists a whole mailbox, not some uids");
  }
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
  MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(*conn, req.account()));
  MAIL_ASSIGN_OR_RETURN(MailboxRow mailbox, FindMailbox(*conn, account.id, req.mailbox()));
  // The mailbox row before the messages (one statement, so the count agrees with the
  // modseq): changes are serialised by the lock on this row, so everything up to
  // highest_modseq is visible to the reads below; later changes may show too and are
  // sent again next time, which the reader applies idempotently. For a delta, the
  // tombstones come from the same snapshot as the count they must explain.
  const int64_t known_max = static_cast<int64_t>(req.known_max_uid());
  MAIL_ASSIGN_OR_RETURN(
      pg::Result head,
      conn->Exec(
          "SELECT uidvalidity, uidnext, highest_modseq, (SELECT count(*) FROM "
          "mailstore.messages WHERE account_id = $2 AND mailbox_id = $1 AND uid <= $3), "
          "CASE WHEN $4::boolean THEN (SELECT coalesce(array_agg(uid ORDER BY uid)::text, "
          "'{}') FROM mailstore.expunged WHERE account_id = $2 AND mailbox_id = $1 AND "
          "modseq > $5 AND uid <= "
          "$3) END FROM mailstore.mailboxes WHERE id = $1",
          {mailbox.id, account.id, known_max, delta, static_cast<int64_t>(req.changed_since())}));
  if (head.rows() == 0) return absl::NotFoundError("mailbox deleted while being listed");
  resp->set_uidvalidity(static_cast<uint32_t>(head.GetInt(0, 0)));
  resp->set_uidnext(static_cast<uint32_t>(head.GetInt(0, 1)));
  resp->set_highest_modseq(static_cast<uint64_t>(head.GetInt(0, 2)));
  resp->set_delta(delta);
  if (delta) {
    resp->set_known_max_count(static_cast<uint32_t>(head.GetInt(0, 3)));
    for (uint32_t uid : pg::ParseIntArray(head.Get(0, 4))) resp->add_expunged_uids(uid);
  }
  if (delta && req.with_present_uids()) {
    // Tombstones missing (pruned): every UID still there. UIDs only ever grow, so the
    // messages up to known_max_uid can only have become fewer. Listed before the
    // changes, so a change cannot name a UID this list lacks unless it is new.
    MAIL_ASSIGN_OR_RETURN(
        pg::Result present,
        conn->Exec("SELECT uid FROM mailstore.messages WHERE account_id = $1 AND mailbox_id = $2 "
                   "AND uid <= $3 ORDER BY uid",
                   {account.id, mailbox.id, known_max}));
    resp->set_has_present_uids(true);
    resp->mutable_present_uids()->Reserve(present.rows());
    for (int i = 0; i < present.rows(); ++i) {
      resp->add_present_uids(static_cast<uint32_t>(present.GetInt(i, 0)));
    }
  }
  // Flags and keywords are IMAP atoms (no spaces), so a space-joined string is exact.
  // Two statements rather than one with both conditions, so each keeps its own plan
  // (the delta walks the (mailbox_id, modseq) index) once prepared.
  absl::StatusOr<pg::Result> listed =
      delta ? conn->Exec(
                  "SELECT uid, size, extract(epoch FROM internal_date)::bigint, "
                  "array_to_string(flags || keywords, ' '), modseq FROM mailstore.messages "
                  "WHERE account_id = $1 AND mailbox_id = $2 AND modseq > $3 ORDER BY uid",
                  {account.id, mailbox.id, static_cast<int64_t>(req.changed_since())})
            : conn->Exec(
                  "SELECT uid, size, extract(epoch FROM internal_date)::bigint, "
                  "array_to_string(flags || keywords, ' '), modseq FROM mailstore.messages "
                  "WHERE account_id = $1 AND mailbox_id = $2 AND (cardinality($3::bigint[]) "
                  "= 0 OR uid = ANY($3::bigint[])) ORDER BY uid",
                  {account.id, mailbox.id, pg::IntArray(req.uids())});
  MAIL_ASSIGN_OR_RETURN(pg::Result r, std::move(listed));
  resp->mutable_messages()->Reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    v1::MessageInfo* m = resp->add_messages();
    m->set_uid(static_cast<uint32_t>(r.GetInt(i, 0)));
    m->set_size(static_cast<uint64_t>(r.GetInt(i, 1)));
    m->set_internal_date_unix(r.GetInt(i, 2));
    std::string_view flags = r.Get(i, 3);
    for (absl::string_view f :
         absl::StrSplit(absl::string_view(flags.data(), flags.size()), ' ', absl::SkipEmpty())) {
      m->add_flags(std::string(f));
    }
    m->set_modseq(static_cast<uint64_t>(r.GetInt(i, 4)));
  }
  if (req.with_structure()) {
    MAIL_RETURN_IF_ERROR(FillStructures(*conn, account.id, mailbox.id, resp));
  }
  MAIL_RETURN_IF_ERROR(FillRecent(*conn, mailbox.id, req, resp));  // recent.cc
  return absl::OkStatus();
}

absl::Status MailboxServiceImpl::DoFetchBody(const v1::FetchBodyRequest& req,
                                             grpc::ServerWriter<v1::FetchBodyResponse>* writer) {
  int64_t blob_id = 0, size = 0;
  {
    MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
    MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(*conn, req.account()));
    MAIL_ASSIGN_OR_RETURN(MailboxRow mailbox, FindMailbox(*conn, account.id, req.mailbox()));
    MAIL_ASSIGN_OR_RETURN(
        pg::Result r,
        conn->Exec("SELECT m.blob_id, b.size FROM mailstore.messages m JOIN mailstore.blobs b "
                   "ON b.id = m.blob_id WHERE m.account_id = $1 AND m.mailbox_id = $2 AND "
                   "m.uid = $3",
                   {account.id, mailbox.id, req.uid()}));
    if (r.rows() == 0) {
      return absl::NotFoundError(
          absl::StrCat("message ", req.uid(), " does not exist in ", req.mailbox()));
    }
    blob_id = r.GetInt(0, 0);
    size = r.GetInt(0, 1);
  }
  // One slice per query with a connection borrowed only for it, so a slow reader
  // never holds a PostgreSQL connection. Blobs never change, so slices agree.
  int64_t offset = 0;
  do {
    int64_t length = std::min(kBodyChunkSize, size - offset);
    std::string data;
    if (length > 0) {
      MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_.Acquire());
      MAIL_ASSIGN_OR_RETURN(
          pg::Result r,
          conn->Exec("SELECT substring(body FROM $2 FOR $3) FROM mailstore.blobs WHERE id = $1",
                     {blob_id, offset + 1, length}, pg::Format::kBinary));
      if (r.rows() == 0) return absl::NotFoundError("message expunged while being read");
      data = r.GetBytes(0, 0);
    }
    v1::FetchBodyResponse chunk;
    if (offset == 0) chunk.set_size(static_cast<uint64_t>(size));
    offset += static_cast<int64_t>(data.size());
    chunk.set_data(std::move(data));
    if (!writer->Write(chunk)) return absl::CancelledError("client went away");
    if (length > 0 && chunk.data().empty()) return absl::InternalError("short blob read");
  } while (offset < size);
  return absl::OkStatus();
}

absl::Status MailboxServiceImpl::DoExpungeMessages(const v1::ExpungeMessagesRequest& req,
                                                   v1::ExpungeMessagesResponse* resp) {
  std::string uids = pg::IntArray(req.uids());
  MAIL_RETURN_IF_ERROR(pg::InTransaction(pool_, [&](pg::Connection& conn) -> absl::Status {
    resp->clear_expunged_uids();
    MAIL_ASSIGN_OR_RETURN(AccountRow account, FindAccount(conn, req.account()));
    MAIL_ASSIGN_OR_RETURN(MailboxRow mailbox, FindMailbox(conn, account.id, req.mailbox()));
    MAIL_ASSIGN_OR_RETURN(
        pg::Result deleted,
        conn.Exec("WITH d AS (DELETE FROM mailstore.messages WHERE account_id = $1 AND "
                  "mailbox_id = $2 AND uid = ANY($3::bigint[]) RETURNING uid, size, blob_id) "
                  "SELECT coalesce(array_agg(uid ORDER BY uid)::text, '{}'), "
                  "coalesce(sum(size), 0), coalesce(array_agg(DISTINCT blob_id)::text, '{}') "
                  "FROM d",
                  {account.id, mailbox.id, uids}));
    std::string_view expunged = deleted.Get(0, 0);
    int64_t freed = deleted.GetInt(0, 1);
    std::string blobs(deleted.Get(0, 2));
    if (expunged == "{}") return absl::OkStatus();
    // Same lock order as Deliver: account row, then mailbox row.
    MAIL_RETURN_IF_ERROR(conn.Exec("UPDATE mailstore.accounts SET used_bytes = greatest(0, "
                                   "used_bytes - $2) WHERE id = $1",
                                   {account.id, freed})
                             .status());
    MAIL_ASSIGN_OR_RETURN(int64_t modseq, BumpModseq(conn, account.id, mailbox.id));
    MAIL_RETURN_IF_ERROR(
        RecordExpunged(conn, account.id, mailbox.id, std::string(expunged), modseq));
    CollectOrphanBlobs(conn, blobs);
    for (uint32_t uid : pg::ParseIntArray(expunged)) resp->add_expunged_uids(uid);
    return absl::OkStatus();
  }));
  return absl::OkStatus();
}

}  // namespace mail::mailbox_store
