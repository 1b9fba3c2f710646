// MailboxService.Deliver: stores one message for every local recipient, the body
// once, in one transaction, idempotently by (transaction id, account) — ARCHITECTURE.md
// §1 rules 1 and 2. Nothing is acknowledged before COMMIT.
#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/base/status_macros.h"
#include "services/libs/base/uuid.h"
#include "services/libs/mail/bodystructure.h"
#include "services/mailbox-store/lookup.h"
#include "services/mailbox-store/mailbox_service.h"
#include "services/mailbox-store/storage.h"

namespace mail::mailbox_store {
namespace {

// More recipients than any SMTP server accepts in one transaction (RFC 5321 §4.5.3.1.8
// requires 100).
constexpr int kMaxRecipients = 1000;

std::string Sha256(const std::string& body) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

const char* StatusLabel(v1::DeliveryStatus status) {
  switch (status) {
    case v1::DELIVERY_STATUS_DELIVERED:
      return "delivered";
    case v1::DELIVERY_STATUS_DUPLICATE:
      return "duplicate";
    case v1::DELIVERY_STATUS_UNKNOWN_USER:
      return "unknown_user";
    case v1::DELIVERY_STATUS_OVER_QUOTA:
      return "over_quota";
    default:
      return "unspecified";
  }
}

// Combines the outcomes of the accounts one recipient address reaches: delivered if
// any copy was stored now, else duplicate if an earlier call stored one, else over quota.
v1::DeliveryStatus Combine(const std::vector<v1::DeliveryStatus>& outcomes) {
  if (outcomes.empty()) return v1::DELIVERY_STATUS_UNKNOWN_USER;
  for (auto s : {v1::DELIVERY_STATUS_DELIVERED, v1::DELIVERY_STATUS_DUPLICATE}) {
    if (std::find(outcomes.begin(), outcomes.end(), s) != outcomes.end()) return s;
  }
  return v1::DELIVERY_STATUS_OVER_QUOTA;
}

class Delivery {
 public:
  Delivery(pg::Connection& conn, const v1::Envelope& envelope, const std::string& body,
           const std::string& sha256, const mime::MessageStructure& structure)
      : conn_(conn), envelope_(envelope), body_(body), sha256_(sha256), structure_(structure) {}

  absl::Status Run(v1::DeliverResponse* response) {
    const std::string& txid = envelope_.transaction_id();
    // Serialises concurrent retries of one transaction, so both cannot pass the
    // "already delivered?" check below.
    MAIL_RETURN_IF_ERROR(
        conn_.Exec("SELECT pg_advisory_xact_lock(hashtext('mailstore.deliver.' || $1))", {txid})
            .status());
    MAIL_ASSIGN_OR_RETURN(
        pg::Result done,
        conn_.Exec("SELECT account_id FROM mailstore.deliveries WHERE transaction_id = $1",
                   {txid}));
    std::set<int64_t> already;
    for (int i = 0; i < done.rows(); ++i) already.insert(done.GetInt(i, 0));

    // Recipient index → accounts it reaches; each account receives one copy.
    std::vector<std::vector<int64_t>> reaches(envelope_.recipients_size());
    std::map<int64_t, AccountRow> accounts;  // ordered by id: a fixed lock order
    for (int i = 0; i < envelope_.recipients_size(); ++i) {
      absl::StatusOr<Resolution> r = ResolveRecipient(conn_, envelope_.recipients(i).address());
      if (!r.ok()) {
        if (r.status().code() == absl::StatusCode::kInvalidArgument) continue;  // unknown
        return r.status();
      }
      for (AccountRow& a : r->accounts) {
        reaches[i].push_back(a.id);
        accounts.emplace(a.id, std::move(a));
      }
    }

    std::map<int64_t, v1::DeliveryStatus> outcome;
    for (auto& [id, account] : accounts) {
      if (already.count(id) > 0) {
        outcome[id] = v1::DELIVERY_STATUS_DUPLICATE;
        continue;
      }
      MAIL_ASSIGN_OR_RETURN(outcome[id], StoreFor(account));
    }

    for (int i = 0; i < envelope_.recipients_size(); ++i) {
      std::vector<v1::DeliveryStatus> outcomes;
      for (int64_t id : reaches[i]) outcomes.push_back(outcome[id]);
      v1::RecipientResult* result = response->add_results();
      result->set_address(envelope_.recipients(i).address());
      result->set_status(Combine(outcomes));
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<v1::DeliveryStatus> StoreFor(const AccountRow& account) {
    const int64_t size = static_cast<int64_t>(body_.size());
    // Charge the quota first: the conditional UPDATE is atomic against concurrent
    // deliveries to the same account.
    MAIL_ASSIGN_OR_RETURN(bool charged, ChargeQuota(conn_, account.id, size));
    if (!charged) return v1::DELIVERY_STATUS_OVER_QUOTA;
    MAIL_ASSIGN_OR_RETURN(int64_t blob_id, BlobId());
    MAIL_ASSIGN_OR_RETURN(pg::Result inbox, NextUid(account.id));
    if (inbox.rows() == 0) {
      // An account whose INBOX was lost (manual SQL): recreate it, as Dovecot does.
      MAIL_RETURN_IF_ERROR(conn_
                               .Exec("INSERT INTO mailstore.mailboxes (account_id, name) "
                                     "VALUES ($1, 'INBOX') ON CONFLICT DO NOTHING",
                                     {account.id})
                               .status());
      MAIL_ASSIGN_OR_RETURN(inbox, NextUid(account.id));
      if (inbox.rows() == 0) return absl::InternalError("cannot create INBOX");
    }
    int64_t mailbox_id = inbox.GetInt(0, 0);
    int64_t uid = inbox.GetInt(0, 1);
    int64_t modseq = inbox.GetInt(0, 2);
    const std::string& txid = envelope_.transaction_id();
    // The message, its deliveries row and the change notification in one round trip.
    // The notification reaches listeners only if and when the transaction commits.
    MAIL_RETURN_IF_ERROR(
        conn_
            .Exec(
                "WITH m AS (INSERT INTO mailstore.messages (mailbox_id, uid, account_id, blob_id, "
                "size, modseq, transaction_id, envelope, bodystructure, body_form, parts, "
                "header_fields) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                "$14::jsonb)), d AS (INSERT INTO mailstore.deliveries (transaction_id, "
                "account_id, mailbox_id, uid) VALUES ($7, $3, $1, $2)) SELECT pg_notify($12, $13)",
                {mailbox_id, uid, account.id, blob_id, size, modseq, txid,
                 pg::Param::Bytes(structure_.envelope), pg::Param::Bytes(structure_.bodystructure),
                 pg::Param::Bytes(structure_.body), pg::Param::Bytes(structure_.parts),
                 kChangeChannel, absl::StrCat(account.id, " ", mailbox_id, " ", modseq),
                 structure_.search_headers})
            .status());
    mail::base::LogInfo("delivered", {{"transaction_id", txid},
                                      {"account", account.address},
                                      {"mailbox_id", std::to_string(mailbox_id)},
                                      {"uid", std::to_string(uid)},
                                      {"size", std::to_string(size)}});
    return v1::DELIVERY_STATUS_DELIVERED;
  }

  absl::StatusOr<pg::Result> NextUid(int64_t account_id) {
    return conn_.Exec(
        "UPDATE mailstore.mailboxes SET uidnext = uidnext + 1, highest_modseq = highest_modseq "
        "+ 1 WHERE account_id = $1 AND name = 'INBOX' RETURNING id, uidnext - 1, highest_modseq",
        {account_id});
  }

  // The blob holding this body, stored on first use (several recipients, one blob).
  absl::StatusOr<int64_t> BlobId() {
    if (blob_id_ != 0) return blob_id_;
    MAIL_ASSIGN_OR_RETURN(blob_id_, StoreBlob(conn_, sha256_, body_));
    return blob_id_;
  }

  pg::Connection& conn_;
  const v1::Envelope& envelope_;
  const std::string& body_;
  const std::string& sha256_;
  const mime::MessageStructure& structure_;
  int64_t blob_id_ = 0;
};

}  // namespace

absl::Status MailboxServiceImpl::DoDeliver(grpc::ServerReader<v1::DeliverRequest>* reader,
                                           v1::DeliverResponse* response) {
  v1::DeliverRequest request;
  if (!reader->Read(&request) || !request.has_envelope()) {
    return absl::InvalidArgumentError("the first Deliver message must carry the envelope");
  }
  const v1::Envelope envelope = request.envelope();
  if (!base::IsUuid(envelope.transaction_id())) {
    return absl::InvalidArgumentError("transaction_id must be a UUID");
  }
  if (envelope.recipients_size() == 0) return absl::InvalidArgumentError("no recipients");
  if (envelope.recipients_size() > kMaxRecipients) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxRecipients, " recipients"));
  }
  auto too_big = [&] {
    return absl::ResourceExhaustedError(
        absl::StrCat("message larger than the limit of ", config_.max_message_size, " octets"));
  };
  if (envelope.size_hint() > config_.max_message_size) return too_big();

  std::string body;
  if (envelope.size_hint() > 0) body.reserve(envelope.size_hint());
  while (reader->Read(&request)) {
    if (!request.has_chunk()) {
      return absl::InvalidArgumentError("a Deliver stream carries one envelope, then chunks");
    }
    if (body.size() + request.chunk().data().size() > config_.max_message_size) return too_big();
    body += request.chunk().data();
  }
  const std::string sha256 = Sha256(body);
  // Parsed once per Deliver call, whatever the number of recipients, outside the
  // transaction so a retried transaction does not parse again.
  const mime::MessageStructure structure = mime::ComputeStructure(body);

  // Shares a transaction with concurrent Deliver calls (group_commit.h); returns
  // after the COMMIT.
  MAIL_RETURN_IF_ERROR(
      committer_.Run(envelope.recipients(0).address(), [&](pg::Connection& conn) -> absl::Status {
        response->clear_results();  // a retried transaction starts over
        Delivery delivery(conn, envelope, body, sha256, structure);
        return delivery.Run(response);
      }));
  for (const v1::RecipientResult& r : response->results()) {
    metrics_.CountDelivery(StatusLabel(r.status()));
  }
  return absl::OkStatus();
}

}  // namespace mail::mailbox_store
