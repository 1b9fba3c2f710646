// The outbound queue in PostgreSQL; see queue_store.h and migrations/0001_init.sql.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/libs/base/status_macros.h"
#include "services/outbound-relay/queue_store.h"

namespace mail::outbound_relay {
namespace {

// The state a recipient shows in ListQueue and the queue-depth gauge: the stored state,
// with queued split by what is happening to it.
constexpr char kViewState[] =
    "CASE WHEN r.state <> 'queued' THEN r.state "
    "WHEN r.lease_until > now() THEN 'active' "
    "WHEN r.attempts > 0 THEN 'deferred' ELSE 'queued' END";

std::string StoredState(Disposition d) {
  return d == Disposition::kDeferred ? "queued" : std::string(DispositionName(d));
}

std::string RetText(v1::DsnRet ret) {
  switch (ret) {
    case v1::DSN_RET_FULL:
      return "FULL";
    case v1::DSN_RET_HEADERS:
      return "HDRS";
    default:
      return "";
  }
}

int64_t UnixMicros(absl::Time t) { return absl::ToUnixMicros(t); }

}  // namespace

std::string DomainOf(const std::string& address) {
  size_t at = address.rfind('@');
  if (at == std::string::npos) return "";
  return absl::AsciiStrToLower(address.substr(at + 1));
}

std::string NotifyText(const v1::EnvelopeRecipient& recipient) {
  std::vector<std::string> parts;
  for (int n : recipient.notify()) {
    switch (n) {
      case v1::DSN_NOTIFY_NEVER:
        return "NEVER";
      case v1::DSN_NOTIFY_SUCCESS:
        parts.push_back("SUCCESS");
        break;
      case v1::DSN_NOTIFY_FAILURE:
        parts.push_back("FAILURE");
        break;
      case v1::DSN_NOTIFY_DELAY:
        parts.push_back("DELAY");
        break;
      default:
        break;
    }
  }
  return absl::StrJoin(parts, ",");
}

absl::StatusOr<EnqueueResult> PgQueueStore::Enqueue(const v1::Envelope& envelope,
                                                    const std::string& body) {
  EnqueueResult result;
  result.queue_id = absl::AsciiStrToLower(envelope.transaction_id());
  absl::Status status = pg::InTransaction(*pool_, [&](pg::Connection& conn) -> absl::Status {
    result.duplicate = false;
    MAIL_ASSIGN_OR_RETURN(
        pg::Result inserted,
        conn.Exec(
            "INSERT INTO relay.messages (id, sender, envelope_id, ret, smtputf8, size, body) "
            "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
            {result.queue_id, envelope.sender(), envelope.envelope_id(), RetText(envelope.ret()),
             envelope.smtputf8(), static_cast<int64_t>(body.size()), pg::Param::Bytes(body)}));
    if (inserted.affected() == 0) {
      // Committed by an earlier Enqueue with this transaction id (hand-off rule 2).
      result.duplicate = true;
      return absl::OkStatus();
    }
    for (const auto& rcpt : envelope.recipients()) {
      MAIL_RETURN_IF_ERROR(
          conn.Exec(
                  "INSERT INTO relay.recipients (message_id, address, domain, orcpt, notify) "
                  "VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT (message_id, address) DO NOTHING",
                  {result.queue_id, rcpt.address(), DomainOf(rcpt.address()), rcpt.orcpt(),
                   NotifyText(rcpt)})
              .status());
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<std::vector<Job>> PgQueueStore::Claim(int max_jobs, absl::Duration lease) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  // One statement, so one short transaction: pick the due (message, domain) groups,
  // lock their recipients (skipping rows another relay holds locked right now) and
  // lease them. A row another relay leased and committed meanwhile fails the
  // re-checked lease condition and is left out.
  MAIL_ASSIGN_OR_RETURN(
      pg::Result rows,
      conn->Exec("WITH groups AS ("
                 "  SELECT message_id, domain FROM relay.recipients"
                 "  WHERE state = 'queued' AND next_attempt_at <= now()"
                 "    AND (lease_until IS NULL OR lease_until < now())"
                 "  GROUP BY message_id, domain ORDER BY min(next_attempt_at) LIMIT $1),"
                 " claimed AS ("
                 "  SELECT r.id FROM relay.recipients r JOIN groups g USING (message_id, domain)"
                 "  WHERE r.state = 'queued' AND r.next_attempt_at <= now()"
                 "    AND (r.lease_until IS NULL OR r.lease_until < now())"
                 "  FOR UPDATE OF r SKIP LOCKED)"
                 " UPDATE relay.recipients r"
                 " SET lease_until = now() + $2::bigint * interval '1 millisecond'"
                 " FROM claimed c, relay.messages m"
                 " WHERE r.id = c.id AND m.id = r.message_id"
                 " RETURNING r.id, r.message_id::text, r.domain, r.address, r.attempts,"
                 "  (extract(epoch FROM m.created_at) * 1000000)::bigint",
                 {max_jobs, static_cast<int64_t>(absl::ToInt64Milliseconds(lease))}));
  std::map<std::pair<std::string, std::string>, Job> jobs;
  for (int i = 0; i < rows.rows(); ++i) {
    std::pair<std::string, std::string> key(rows.Get(i, 1), rows.Get(i, 2));
    Job& job = jobs[key];
    job.message_id = key.first;
    job.domain = key.second;
    job.created_at = absl::FromUnixMicros(rows.GetInt(i, 5));
    job.recipients.push_back(
        {rows.GetInt(i, 0), std::string(rows.Get(i, 3)), static_cast<int>(rows.GetInt(i, 4))});
  }
  std::vector<Job> out;
  for (auto& [key, job] : jobs) out.push_back(std::move(job));
  return out;
}

absl::StatusOr<StoredMessage> PgQueueStore::LoadMessage(const std::string& message_id) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  MAIL_ASSIGN_OR_RETURN(
      pg::Result rows,
      conn->Exec("SELECT sender, body, smtputf8 FROM relay.messages WHERE id = $1::uuid",
                 {message_id}));
  if (rows.rows() != 1) return absl::NotFoundError("message " + message_id + " not in the queue");
  StoredMessage message;
  message.sender = std::string(rows.Get(0, 0));
  message.body = rows.GetBytes(0, 1);
  message.smtputf8 = rows.GetBool(0, 2);
  return message;
}

absl::Status PgQueueStore::Record(const std::vector<AttemptRecord>& records) {
  return pg::InTransaction(*pool_, [&](pg::Connection& conn) -> absl::Status {
    for (const AttemptRecord& r : records) {
      pg::Param code = r.reply.code == 0 ? pg::Param(std::nullopt) : pg::Param(r.reply.code);
      MAIL_RETURN_IF_ERROR(
          conn.Exec("INSERT INTO relay.attempts (recipient_id, outcome, mx_host, ip, tls,"
                    " reply_code, enhanced_code, text, duration_ms)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    {r.recipient_id, std::string(DispositionName(r.outcome)), r.mx_host, r.ip,
                     r.tls, code, r.reply.enhanced, r.reply.Text(),
                     static_cast<int64_t>(absl::ToInt64Milliseconds(r.duration))})
              .status());
      MAIL_RETURN_IF_ERROR(
          conn.Exec("UPDATE relay.recipients SET state = $2, attempts = attempts + 1,"
                    " next_attempt_at = to_timestamp($3::bigint / 1000000.0),"
                    " lease_until = NULL, last_reply = $4, updated_at = now()"
                    " WHERE id = $1",
                    {r.recipient_id, StoredState(r.decision.state),
                     UnixMicros(r.decision.next_attempt), r.reply.Summary()})
              .status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<v1::QueueEntry>> PgQueueStore::List(const std::string& state,
                                                               int limit) {
  static const std::set<std::string, std::less<>> kStates = {"",         "queued",    "active",
                                                             "deferred", "delivered", "failed"};
  if (kStates.count(state) == 0) {
    return absl::InvalidArgumentError(
        "state must be one of queued, active, deferred, delivered, failed");
  }
  if (limit <= 0) limit = 1000;
  limit = std::min(limit, 10000);
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  MAIL_ASSIGN_OR_RETURN(
      pg::Result rows,
      conn->Exec(absl::StrCat(
                     "SELECT * FROM (SELECT r.message_id::text, m.sender, r.address, ", kViewState,
                     " AS view_state, r.attempts, extract(epoch FROM r.next_attempt_at)::bigint,"
                     " r.last_reply, r.next_attempt_at"
                     " FROM relay.recipients r JOIN relay.messages m ON m.id = r.message_id"
                     " WHERE r.state = CASE WHEN $1 IN ('', 'active', 'deferred') THEN 'queued'"
                     " ELSE $1 END) q"
                     " WHERE $1 = '' OR q.view_state = $1"
                     " ORDER BY q.next_attempt_at LIMIT $2"),
                 {state, limit}));
  std::vector<v1::QueueEntry> entries;
  for (int i = 0; i < rows.rows(); ++i) {
    v1::QueueEntry e;
    e.set_queue_id(std::string(rows.Get(i, 0)));
    e.set_sender(std::string(rows.Get(i, 1)));
    e.set_recipient(std::string(rows.Get(i, 2)));
    e.set_state(std::string(rows.Get(i, 3)));
    e.set_attempts(static_cast<uint32_t>(rows.GetInt(i, 4)));
    e.set_next_attempt_unix(rows.GetInt(i, 5));
    e.set_last_reply(std::string(rows.Get(i, 6)));
    entries.push_back(std::move(e));
  }
  return entries;
}

absl::StatusOr<std::map<std::string, int64_t>> PgQueueStore::Depth() {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  MAIL_ASSIGN_OR_RETURN(pg::Result rows,
                        conn->Exec(absl::StrCat("SELECT ", kViewState,
                                                ", count(*) FROM relay.recipients r"
                                                " WHERE r.state <> 'delivered' GROUP BY 1")));
  std::map<std::string, int64_t> depth = {
      {"queued", 0}, {"active", 0}, {"deferred", 0}, {"failed", 0}};
  for (int i = 0; i < rows.rows(); ++i) depth[std::string(rows.Get(i, 0))] = rows.GetInt(i, 1);
  return depth;
}

}  // namespace mail::outbound_relay
