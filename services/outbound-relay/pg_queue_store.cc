// The outbound queue in PostgreSQL; see queue_store.h and migrations/0001_init.sql.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
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

absl::StatusOr<bool> InsertMessage(pg::Connection& conn, const std::string& id,
                                   const v1::Envelope& envelope, const std::string& body,
                                   const std::string& dsn_for);

}  // namespace

std::string HeaderSection(const std::string& body) {
  size_t end = body.find("\r\n\r\n");
  size_t skip = 4;
  size_t lf = body.find("\n\n");
  if (lf != std::string::npos && (end == std::string::npos || lf < end)) {
    end = lf;
    skip = 2;
  }
  std::string headers = end == std::string::npos ? body : body.substr(0, end + skip);
  if (headers.size() > 65536) headers.resize(65536);
  return headers;
}

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

namespace {
// Inserts message and recipients on `conn` (inside the caller's transaction). False
// when the id was stored before (nothing is written then).
absl::StatusOr<bool> InsertMessage(pg::Connection& conn, const std::string& id,
                                   const v1::Envelope& envelope, const std::string& body,
                                   const std::string& dsn_for) {
  MAIL_ASSIGN_OR_RETURN(
      pg::Result inserted,
      conn.Exec("INSERT INTO relay.messages (id, sender, envelope_id, ret, smtputf8, size, body,"
                " dsn_for) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::uuid)"
                " ON CONFLICT (id) DO NOTHING",
                {id, envelope.sender(), envelope.envelope_id(), RetText(envelope.ret()),
                 envelope.smtputf8(), static_cast<int64_t>(body.size()), pg::Param::Bytes(body),
                 dsn_for.empty() ? pg::Param(std::nullopt) : pg::Param(dsn_for)}));
  if (inserted.affected() == 0) return false;
  for (const auto& rcpt : envelope.recipients()) {
    MAIL_RETURN_IF_ERROR(
        conn.Exec("INSERT INTO relay.recipients (message_id, address, domain, orcpt, notify,"
                  " local) VALUES ($1::uuid, $2, $3, $4, $5, $6)"
                  " ON CONFLICT (message_id, address) DO NOTHING",
                  {id, rcpt.address(), DomainOf(rcpt.address()), rcpt.orcpt(), NotifyText(rcpt),
                   rcpt.local()})
            .status());
  }
  return true;
}
}  // namespace

absl::StatusOr<EnqueueResult> PgQueueStore::Enqueue(const v1::Envelope& envelope,
                                                    const std::string& body) {
  EnqueueResult result;
  result.queue_id = absl::AsciiStrToLower(envelope.transaction_id());
  absl::Status status = pg::InTransaction(*pool_, [&](pg::Connection& conn) -> absl::Status {
    MAIL_ASSIGN_OR_RETURN(bool stored, InsertMessage(conn, result.queue_id, envelope, body, ""));
    // Not stored: committed by an earlier Enqueue with this transaction id (hand-off rule 2).
    result.duplicate = !stored;
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
      // The groups come from the earliest due rows only (an index scan of recipients_due
      // that stops early), not from grouping every due row: with a long queue that made
      // each claim cost O(queue).
      conn->Exec("WITH groups AS ("
                 "  SELECT message_id, domain, local FROM ("
                 "   SELECT message_id, domain, local, next_attempt_at FROM relay.recipients"
                 "   WHERE state = 'queued' AND next_attempt_at <= now()"
                 "     AND (lease_until IS NULL OR lease_until < now())"
                 "   ORDER BY next_attempt_at LIMIT $1 * 16) due"
                 "  GROUP BY message_id, domain, local ORDER BY min(next_attempt_at) LIMIT $1),"
                 " claimed AS ("
                 "  SELECT r.id FROM relay.recipients r"
                 "  JOIN groups g USING (message_id, domain, local)"
                 "  WHERE r.state = 'queued' AND r.next_attempt_at <= now()"
                 "    AND (r.lease_until IS NULL OR r.lease_until < now())"
                 "  FOR UPDATE OF r SKIP LOCKED)"
                 " UPDATE relay.recipients r"
                 " SET lease_until = now() + $2::bigint * interval '1 millisecond'"
                 " FROM claimed c, relay.messages m"
                 " WHERE r.id = c.id AND m.id = r.message_id"
                 " RETURNING r.id, r.message_id::text, r.domain, r.address, r.attempts,"
                 "  (extract(epoch FROM m.created_at) * 1000000)::bigint, r.local",
                 {max_jobs, static_cast<int64_t>(absl::ToInt64Milliseconds(lease))}));
  std::map<std::tuple<std::string, std::string, bool>, Job> jobs;
  for (int i = 0; i < rows.rows(); ++i) {
    std::tuple<std::string, std::string, bool> key(rows.Get(i, 1), rows.Get(i, 2),
                                                   rows.GetBool(i, 6));
    Job& job = jobs[key];
    job.message_id = std::get<0>(key);
    job.domain = std::get<1>(key);
    job.local = std::get<2>(key);
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

absl::StatusOr<StoredMessage> PgQueueStore::LoadForDelivery(
    const std::string& message_id, const std::vector<std::string>& addresses,
    absl::Time queued_at) {
  std::vector<std::string> lowered;
  for (const auto& a : addresses) lowered.push_back(absl::AsciiStrToLower(a));
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  // Suppressed() as a subquery: addresses never contain a line break (Enqueue refuses
  // control characters), so a newline-joined list is unambiguous.
  MAIL_ASSIGN_OR_RETURN(
      pg::Result rows,
      conn->Exec("SELECT m.sender, m.body, m.smtputf8,"
                 " array_to_string(ARRAY(SELECT s.address FROM relay.suppressions s"
                 "  WHERE s.address = ANY($2::text[]) AND s.suppressed_until > now()"
                 "   AND s.suppressed_at <= to_timestamp($3::bigint / 1000000.0)), E'\\n')"
                 " FROM relay.messages m WHERE m.id = $1::uuid",
                 {message_id, pg::TextArray(lowered), UnixMicros(queued_at)}));
  if (rows.rows() != 1) return absl::NotFoundError("message " + message_id + " not in the queue");
  StoredMessage message;
  message.sender = std::string(rows.Get(0, 0));
  message.body = rows.GetBytes(0, 1);
  message.smtputf8 = rows.GetBool(0, 2);
  const std::string_view list = rows.Get(0, 3);
  for (absl::string_view a :
       absl::StrSplit(absl::string_view(list.data(), list.size()), '\n', absl::SkipEmpty())) {
    message.suppressed.insert(std::string(a));
  }
  return message;
}

namespace {

// The SET ... FROM ... WHERE of recording an attempt's outcome on a recipient
// ($1 id, $2 state, $3 next attempt in µs, $4 last reply, $5 cause, $6 MTA), with the
// DSN due (RFC 3461 §4.1): failures unless NOTIFY excludes FAILURE, successes only with
// NOTIFY=SUCCESS, never for NOTIFY=NEVER or the null sender <>.
constexpr char kRecordRecipient[] =
    " state = $2, attempts = r.attempts + 1,"
    " next_attempt_at = to_timestamp($3::bigint / 1000000.0),"
    " lease_until = NULL, last_reply = $4, updated_at = now(), cause = $5, last_mta = $6,"
    " dsn = CASE WHEN $2 NOT IN ('failed', 'delivered') THEN r.dsn"
    "  WHEN m.sender = '' OR r.notify = 'NEVER' THEN 'none'"
    "  WHEN $2 = 'failed' AND (r.notify = '' OR r.notify LIKE '%FAILURE%') THEN 'pending'"
    "  WHEN $2 = 'delivered' AND r.notify LIKE '%SUCCESS%' THEN 'pending'"
    "  ELSE 'none' END"
    " FROM relay.messages m WHERE r.id = $1 AND m.id = r.message_id";

// A record that touches no suppression counter (a success, which clears the address's
// entry, or a failure that does not count): the attempt row, the recipient's new state
// and the clearing in ONE statement, so that the usual delivery costs one round trip
// and, alone, no BEGIN/COMMIT. Atomic like any statement; a recipient deleted meanwhile
// (mailctl queue delete) gets no attempt row.
bool Simple(const AttemptRecord& r) {
  return r.suppress == AttemptRecord::Suppress::kNone ||
         r.suppress == AttemptRecord::Suppress::kClear;
}

absl::Status RecordSimple(pg::Connection& conn, const AttemptRecord& r) {
  pg::Param code = r.reply.code == 0 ? pg::Param(std::nullopt) : pg::Param(r.reply.code);
  std::string mta = r.ip.empty() ? r.mx_host : absl::StrCat(r.mx_host, "[", r.ip, "]");
  return conn
      .Exec(absl::StrCat(
                "WITH upd AS (UPDATE relay.recipients r SET", kRecordRecipient,
                "  RETURNING r.id, lower(r.address) AS address),"
                " ins AS (INSERT INTO relay.attempts (recipient_id, outcome, mx_host, ip, tls,"
                "  reply_code, enhanced_code, text, duration_ms, cause)"
                "  SELECT id, $7::text, $8::text, $9::text, $10::boolean, $11::integer, $12::text,"
                "   $13::text, $14::integer, $5 FROM upd),"
                " clr AS (DELETE FROM relay.suppressions"
                "  WHERE $15::boolean AND address IN (SELECT address FROM upd))"
                " SELECT count(*) FROM upd"),
            {r.recipient_id, StoredState(r.decision.state), UnixMicros(r.decision.next_attempt),
             r.reply.Summary(), r.cause, mta, std::string(DispositionName(r.outcome)), r.mx_host,
             r.ip, r.tls, code, r.reply.enhanced, r.reply.Text(),
             static_cast<int64_t>(absl::ToInt64Milliseconds(r.duration)),
             r.suppress == AttemptRecord::Suppress::kClear})
      .status();
}

}  // namespace

absl::Status PgQueueStore::Record(const std::vector<AttemptRecord>& records,
                                  const SuppressionPolicy& policy) {
  const int64_t ttl_ms = absl::ToInt64Milliseconds(policy.ttl);
  if (records.size() == 1 && Simple(records[0])) {
    MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
    return RecordSimple(*conn, records[0]);
  }
  return pg::InTransaction(*pool_, [&](pg::Connection& conn) -> absl::Status {
    for (const AttemptRecord& r : records) {
      if (Simple(r)) {
        MAIL_RETURN_IF_ERROR(RecordSimple(conn, r));
        continue;
      }
      pg::Param code = r.reply.code == 0 ? pg::Param(std::nullopt) : pg::Param(r.reply.code);
      std::string mta = r.ip.empty() ? r.mx_host : absl::StrCat(r.mx_host, "[", r.ip, "]");
      MAIL_RETURN_IF_ERROR(
          conn.Exec("INSERT INTO relay.attempts (recipient_id, outcome, mx_host, ip, tls,"
                    " reply_code, enhanced_code, text, duration_ms, cause)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    {r.recipient_id, std::string(DispositionName(r.outcome)), r.mx_host, r.ip,
                     r.tls, code, r.reply.enhanced, r.reply.Text(),
                     static_cast<int64_t>(absl::ToInt64Milliseconds(r.duration)), r.cause})
              .status());
      MAIL_ASSIGN_OR_RETURN(
          pg::Result updated,
          conn.Exec(absl::StrCat("UPDATE relay.recipients r SET", kRecordRecipient,
                                 " RETURNING lower(r.address)"),
                    {r.recipient_id, StoredState(r.decision.state),
                     UnixMicros(r.decision.next_attempt), r.reply.Summary(), r.cause, mta}));
      if (updated.rows() != 1) continue;  // deleted meanwhile (mailctl queue delete)
      const std::string address(updated.Get(0, 0));
      switch (r.suppress) {
        case AttemptRecord::Suppress::kNone:
          break;
        case AttemptRecord::Suppress::kClear:
          // A success clears the address's record (README: SUPPRESSION).
          MAIL_RETURN_IF_ERROR(
              conn.Exec("DELETE FROM relay.suppressions WHERE address = $1", {address}).status());
          break;
        case AttemptRecord::Suppress::kHard:
        case AttemptRecord::Suppress::kSoft: {
          const bool hard = r.suppress == AttemptRecord::Suppress::kHard;
          MAIL_RETURN_IF_ERROR(
              conn.Exec("INSERT INTO relay.suppressions AS s (address, reason, cause, hard_bounces,"
                        " soft_failures, expires_at, suppressed_until, suppressed_at)"
                        " VALUES ($1, $2, $3, $4::int, 1 - $4::int,"
                        "  now() + $5::bigint * interval '1 millisecond',"
                        "  CASE WHEN $4::int = 1 OR $6::int <= 1"
                        "   THEN now() + $5::bigint * interval '1 millisecond' END,"
                        "  CASE WHEN $4::int = 1 OR $6::int <= 1 THEN now() END)"
                        " ON CONFLICT (address) DO UPDATE SET reason = $2, cause = $3,"
                        "  hard_bounces = s.hard_bounces + $4::int,"
                        "  soft_failures = s.soft_failures + 1 - $4::int, last_at = now(),"
                        "  expires_at = now() + $5::bigint * interval '1 millisecond',"
                        "  suppressed_at = CASE"
                        "   WHEN s.suppressed_until > now() THEN s.suppressed_at"
                        "   WHEN $4::int = 1 OR s.soft_failures + 1 >= $6::int THEN now()"
                        "   ELSE s.suppressed_at END,"
                        "  suppressed_until = CASE"
                        "   WHEN $4::int = 1 OR s.soft_failures + 1 >= $6::int"
                        "   THEN now() + $5::bigint * interval '1 millisecond'"
                        "   ELSE s.suppressed_until END",
                        {address, r.reply.Summary(), r.cause, hard ? 1 : 0, ttl_ms,
                         policy.soft_limit})
                  .status());
          break;
        }
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::set<std::string>> PgQueueStore::Suppressed(
    const std::vector<std::string>& addresses, absl::Time queued_at) {
  std::set<std::string> out;
  if (addresses.empty()) return out;
  std::vector<std::string> lowered;
  for (const auto& a : addresses) lowered.push_back(absl::AsciiStrToLower(a));
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  MAIL_ASSIGN_OR_RETURN(
      pg::Result rows,
      conn->Exec("SELECT address FROM relay.suppressions WHERE address = ANY($1::text[])"
                 " AND suppressed_until > now()"
                 " AND suppressed_at <= to_timestamp($2::bigint / 1000000.0)",
                 {pg::TextArray(lowered), UnixMicros(queued_at)}));
  for (int i = 0; i < rows.rows(); ++i) out.insert(std::string(rows.Get(i, 0)));
  return out;
}

absl::StatusOr<std::vector<DsnWork>> PgQueueStore::DsnDue(int max_messages,
                                                          absl::Duration delay_warning) {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  std::vector<DsnWork> out;
  // Failures and successes to report. A message with a recipient in flight waits, so
  // recipients failing in parallel deliveries share one DSN.
  constexpr char kColumns[] =
      "SELECT r.message_id::text, m.sender, m.envelope_id, m.ret,"
      " (extract(epoch FROM m.created_at) * 1000000)::bigint, r.id, r.address, r.orcpt,"
      " r.state, r.cause, r.last_reply, r.last_mta, r.attempts,"
      " (extract(epoch FROM r.updated_at) * 1000000)::bigint"
      " FROM relay.recipients r JOIN relay.messages m ON m.id = r.message_id";
  MAIL_ASSIGN_OR_RETURN(
      pg::Result pending,
      conn->Exec(
          absl::StrCat(kColumns,
                       " WHERE r.message_id IN (SELECT p.message_id FROM relay.recipients p"
                       "  WHERE p.dsn = 'pending' AND NOT EXISTS (SELECT 1 FROM relay.recipients s"
                       "   WHERE s.message_id = p.message_id AND s.state = 'queued'"
                       "   AND s.lease_until > now())"
                       "  GROUP BY p.message_id LIMIT $1)"
                       " AND r.dsn = 'pending' ORDER BY r.message_id, r.id"),
          {max_messages}));
  MAIL_ASSIGN_OR_RETURN(
      pg::Result delayed,
      conn->Exec(absl::StrCat(kColumns,
                              " WHERE r.message_id IN (SELECT d.message_id FROM relay.recipients d"
                              "  JOIN relay.messages dm ON dm.id = d.message_id"
                              "  WHERE d.state = 'queued' AND NOT d.delay_warned AND d.attempts > 0"
                              "  AND dm.sender <> '' AND (d.notify = '' OR d.notify LIKE '%DELAY%')"
                              "  AND dm.created_at < now() - $2::bigint * interval '1 millisecond'"
                              "  GROUP BY d.message_id LIMIT $1)"
                              " AND r.state = 'queued' AND NOT r.delay_warned AND r.attempts > 0"
                              " AND (r.notify = '' OR r.notify LIKE '%DELAY%')"
                              " ORDER BY r.message_id, r.id"),
                 {max_messages, static_cast<int64_t>(absl::ToInt64Milliseconds(delay_warning))}));
  for (auto [rows, delay] : {std::pair<pg::Result*, bool>{&pending, false}, {&delayed, true}}) {
    for (int i = 0; i < rows->rows(); ++i) {
      std::string id(rows->Get(i, 0));
      if (out.empty() || out.back().message_id != id || out.back().delay != delay) {
        DsnWork w;
        w.message_id = id;
        w.sender = std::string(rows->Get(i, 1));
        w.envelope_id = std::string(rows->Get(i, 2));
        w.ret = std::string(rows->Get(i, 3));
        w.created_at = absl::FromUnixMicros(rows->GetInt(i, 4));
        w.delay = delay;
        out.push_back(std::move(w));
      }
      DsnRecipient d;
      d.id = rows->GetInt(i, 5);
      d.address = std::string(rows->Get(i, 6));
      d.orcpt = std::string(rows->Get(i, 7));
      d.state = std::string(rows->Get(i, 8));
      d.cause = std::string(rows->Get(i, 9));
      d.last_reply = std::string(rows->Get(i, 10));
      d.last_mta = std::string(rows->Get(i, 11));
      d.attempts = static_cast<int>(rows->GetInt(i, 12));
      d.updated_at = absl::FromUnixMicros(rows->GetInt(i, 13));
      out.back().recipients.push_back(std::move(d));
    }
  }
  for (DsnWork& w : out) {
    // The whole body only for RET=FULL; otherwise the header section is enough.
    MAIL_ASSIGN_OR_RETURN(
        pg::Result body,
        conn->Exec(w.ret == "FULL" ? "SELECT body FROM relay.messages WHERE id = $1::uuid"
                                   : "SELECT substring(body FROM 1 FOR 65536) FROM relay.messages"
                                     " WHERE id = $1::uuid",
                   {w.message_id}));
    if (body.rows() == 1) w.body = body.GetBytes(0, 0);
  }
  return out;
}

absl::StatusOr<bool> PgQueueStore::CommitDsn(const DsnWork& work, const v1::Envelope& envelope,
                                             const std::string& body) {
  std::vector<std::string> ids;
  for (const auto& r : work.recipients) ids.push_back(std::to_string(r.id));
  bool done = false;
  absl::Status status = pg::InTransaction(*pool_, [&](pg::Connection& conn) -> absl::Status {
    done = false;
    MAIL_ASSIGN_OR_RETURN(
        pg::Result marked,
        conn.Exec(work.delay ? "UPDATE relay.recipients SET delay_warned = true"
                               " WHERE id = ANY($1::bigint[]) AND NOT delay_warned"
                             : "UPDATE relay.recipients SET dsn = 'sent'"
                               " WHERE id = ANY($1::bigint[]) AND dsn = 'pending'",
                  {pg::TextArray(ids)}));
    if (marked.affected() != static_cast<int64_t>(ids.size())) {
      // Another relay reported (some of) them meanwhile: undo and let the caller skip.
      return absl::FailedPreconditionError("reported elsewhere");
    }
    if (envelope.recipients_size() > 0) {
      MAIL_ASSIGN_OR_RETURN(bool stored,
                            InsertMessage(conn, absl::AsciiStrToLower(envelope.transaction_id()),
                                          envelope, body, work.message_id));
      (void)stored;
    }
    done = true;
    return absl::OkStatus();
  });
  if (status.code() == absl::StatusCode::kFailedPrecondition && !done) return false;
  if (!status.ok()) return status;
  return true;
}

absl::StatusOr<std::vector<v1::QueueEntry>> PgQueueStore::List(const std::string& state,
                                                               int limit) {
  static const std::set<std::string, std::less<>> kStates = {
      "", "queued", "active", "deferred", "delivered", "failed", "held"};
  if (kStates.count(state) == 0) {
    return absl::InvalidArgumentError(
        "state must be one of queued, active, deferred, held, delivered, failed");
  }
  if (limit <= 0) limit = 1000;
  limit = std::min(limit, 10000);
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  MAIL_ASSIGN_OR_RETURN(
      pg::Result rows,
      conn->Exec(absl::StrCat(
                     "SELECT * FROM (SELECT r.message_id::text, m.sender, r.address, ", kViewState,
                     " AS view_state, r.attempts, extract(epoch FROM r.next_attempt_at)::bigint,"
                     " r.last_reply, r.next_attempt_at, r.cause, r.local"
                     " FROM relay.recipients r JOIN relay.messages m ON m.id = r.message_id"
                     " WHERE CASE WHEN $1 = '' THEN r.state IN ('queued', 'held')"
                     "  WHEN $1 IN ('active', 'deferred') THEN r.state = 'queued'"
                     "  ELSE r.state = $1 END) q"
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
    e.set_cause(std::string(rows.Get(i, 8)));
    e.set_local(rows.GetBool(i, 9));
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
      {"queued", 0}, {"active", 0}, {"deferred", 0}, {"failed", 0}, {"held", 0}};
  for (int i = 0; i < rows.rows(); ++i) depth[std::string(rows.Get(i, 0))] = rows.GetInt(i, 1);
  return depth;
}

}  // namespace mail::outbound_relay
