// Queue control, the suppression list and the bounce report in PostgreSQL (mailctl's
// side of the queue); see queue_store.h.
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/libs/base/status_macros.h"
#include "services/libs/base/uuid.h"
#include "services/outbound-relay/queue_store.h"

namespace mail::outbound_relay {
namespace {

constexpr char kSuppressionColumns[] =
    "SELECT address, reason, cause, hard_bounces, soft_failures,"
    " extract(epoch FROM first_at)::bigint, extract(epoch FROM last_at)::bigint,"
    " extract(epoch FROM suppressed_until)::bigint FROM relay.suppressions";

v1::Suppression SuppressionAt(const pg::Result& rows, int i) {
  v1::Suppression s;
  s.set_address(std::string(rows.Get(i, 0)));
  s.set_reason(std::string(rows.Get(i, 1)));
  s.set_cause(std::string(rows.Get(i, 2)));
  s.set_hard_failures(static_cast<uint32_t>(rows.GetInt(i, 3)));
  s.set_soft_failures(static_cast<uint32_t>(rows.GetInt(i, 4)));
  s.set_first_unix(rows.GetInt(i, 5));
  s.set_last_unix(rows.GetInt(i, 6));
  if (!rows.IsNull(i, 7)) s.set_expires_unix(rows.GetInt(i, 7));
  return s;
}

absl::Status CheckQueueId(const std::string& queue_id) {
  if (!base::IsUuid(queue_id)) return absl::InvalidArgumentError("queue id must be a UUID");
  return absl::OkStatus();
}

absl::Status CheckAddress(const std::string& address) {
  size_t at = address.rfind('@');
  if (address.empty() || address.size() > 256 || at == std::string::npos || at == 0 ||
      at + 1 == address.size()) {
    return absl::InvalidArgumentError("address must be local@domain");
  }
  for (char c : address) {
    if (static_cast<unsigned char>(c) <= ' ') {
      return absl::InvalidArgumentError("address contains a space or control character");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> PgQueueStore::Control(const std::string& op, const std::string& queue_id,
                                          const std::string& recipient) {
  MAIL_RETURN_IF_ERROR(CheckQueueId(queue_id));
  std::string sql;
  // Recipients leased by a delivery in flight are left alone (the delivery records its
  // own outcome); queued means waiting or deferred.
  if (op == "retry") {
    sql =
        "UPDATE relay.recipients SET next_attempt_at = now(), updated_at = now()"
        " WHERE message_id = $1::uuid AND ($2 = '' OR lower(address) = lower($2))"
        " AND state = 'queued' AND (lease_until IS NULL OR lease_until < now())";
  } else if (op == "hold") {
    sql =
        "UPDATE relay.recipients SET state = 'held', updated_at = now()"
        " WHERE message_id = $1::uuid AND ($2 = '' OR lower(address) = lower($2))"
        " AND state = 'queued' AND (lease_until IS NULL OR lease_until < now())";
  } else if (op == "release") {
    sql =
        "UPDATE relay.recipients SET state = 'queued', next_attempt_at = now(),"
        " lease_until = NULL, updated_at = now()"
        " WHERE message_id = $1::uuid AND ($2 = '' OR lower(address) = lower($2))"
        " AND state = 'held'";
  } else if (op == "delete") {
    sql =
        "DELETE FROM relay.recipients"
        " WHERE message_id = $1::uuid AND ($2 = '' OR lower(address) = lower($2))"
        " AND (state IN ('held', 'failed', 'delivered')"
        "  OR (state = 'queued' AND (lease_until IS NULL OR lease_until < now())))";
  } else {
    return absl::InvalidArgumentError("unknown queue operation " + op);
  }
  int affected = 0;
  MAIL_RETURN_IF_ERROR(pg::InTransaction(*pool_, [&](pg::Connection& conn) -> absl::Status {
    MAIL_ASSIGN_OR_RETURN(pg::Result r, conn.Exec(sql, {queue_id, recipient}));
    affected = static_cast<int>(r.affected());
    if (op == "delete") {
      MAIL_RETURN_IF_ERROR(
          conn.Exec("DELETE FROM relay.messages m WHERE m.id = $1::uuid AND NOT EXISTS"
                    " (SELECT 1 FROM relay.recipients r WHERE r.message_id = m.id)",
                    {queue_id})
              .status());
    }
    return absl::OkStatus();
  }));
  if (affected == 0) {
    MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
    MAIL_ASSIGN_OR_RETURN(
        pg::Result exists,
        conn->Exec("SELECT 1 FROM relay.messages WHERE id = $1::uuid", {queue_id}));
    if (exists.rows() == 0) return absl::NotFoundError("no message " + queue_id + " in the queue");
  }
  return affected;
}

absl::StatusOr<v1::ShowMessageResponse> PgQueueStore::Show(const std::string& queue_id) {
  MAIL_RETURN_IF_ERROR(CheckQueueId(queue_id));
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  MAIL_ASSIGN_OR_RETURN(
      pg::Result m,
      conn->Exec("SELECT id::text, sender, extract(epoch FROM created_at)::bigint, size,"
                 " envelope_id, ret, substring(body FROM 1 FOR 65536)"
                 " FROM relay.messages WHERE id = $1::uuid",
                 {queue_id}));
  if (m.rows() != 1) return absl::NotFoundError("no message " + queue_id + " in the queue");
  v1::ShowMessageResponse out;
  out.set_queue_id(std::string(m.Get(0, 0)));
  out.set_sender(std::string(m.Get(0, 1)));
  out.set_created_unix(m.GetInt(0, 2));
  out.set_size(static_cast<uint64_t>(m.GetInt(0, 3)));
  out.set_envelope_id(std::string(m.Get(0, 4)));
  out.set_ret(std::string(m.Get(0, 5)));
  out.set_headers(HeaderSection(m.GetBytes(0, 6)));
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn->Exec("SELECT address, CASE WHEN state <> 'queued' THEN state"
                 " WHEN lease_until > now() THEN 'active' WHEN attempts > 0 THEN 'deferred'"
                 " ELSE 'queued' END, attempts, extract(epoch FROM next_attempt_at)::bigint,"
                 " last_reply, cause, local FROM relay.recipients"
                 " WHERE message_id = $1::uuid ORDER BY id",
                 {queue_id}));
  for (int i = 0; i < r.rows(); ++i) {
    v1::QueueEntry* e = out.add_recipients();
    e->set_queue_id(out.queue_id());
    e->set_sender(out.sender());
    e->set_recipient(std::string(r.Get(i, 0)));
    e->set_state(std::string(r.Get(i, 1)));
    e->set_attempts(static_cast<uint32_t>(r.GetInt(i, 2)));
    e->set_next_attempt_unix(r.GetInt(i, 3));
    e->set_last_reply(std::string(r.Get(i, 4)));
    e->set_cause(std::string(r.Get(i, 5)));
    e->set_local(r.GetBool(i, 6));
  }
  MAIL_ASSIGN_OR_RETURN(
      pg::Result a,
      conn->Exec("SELECT r.address, extract(epoch FROM a.at)::bigint, a.outcome, a.mx_host, a.ip,"
                 " a.tls, trim(coalesce(a.reply_code::text, '') || ' ' || a.enhanced_code || ' '"
                 " || a.text), a.cause"
                 " FROM relay.attempts a JOIN relay.recipients r ON r.id = a.recipient_id"
                 " WHERE r.message_id = $1::uuid ORDER BY a.id LIMIT 1000",
                 {queue_id}));
  for (int i = 0; i < a.rows(); ++i) {
    v1::AttemptInfo* t = out.add_attempts();
    t->set_recipient(std::string(a.Get(i, 0)));
    t->set_at_unix(a.GetInt(i, 1));
    t->set_outcome(std::string(a.Get(i, 2)));
    t->set_mx_host(std::string(a.Get(i, 3)));
    t->set_ip(std::string(a.Get(i, 4)));
    t->set_tls(a.GetBool(i, 5));
    t->set_reply(std::string(a.Get(i, 6)));
    t->set_cause(std::string(a.Get(i, 7)));
  }
  return out;
}

absl::StatusOr<std::optional<v1::Suppression>> PgQueueStore::GetSuppression(
    const std::string& address) {
  MAIL_RETURN_IF_ERROR(CheckAddress(address));
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  MAIL_ASSIGN_OR_RETURN(pg::Result rows,
                        conn->Exec(absl::StrCat(kSuppressionColumns,
                                                " WHERE address = $1 AND suppressed_until > now()"),
                                   {absl::AsciiStrToLower(address)}));
  if (rows.rows() == 0) return std::optional<v1::Suppression>();
  return std::optional<v1::Suppression>(SuppressionAt(rows, 0));
}

absl::StatusOr<std::vector<v1::Suppression>> PgQueueStore::ListSuppressions(int limit) {
  if (limit <= 0) limit = 1000;
  limit = std::min(limit, 10000);
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  MAIL_ASSIGN_OR_RETURN(
      pg::Result rows,
      conn->Exec(absl::StrCat(kSuppressionColumns,
                              " WHERE suppressed_until > now() ORDER BY last_at DESC LIMIT $1"),
                 {limit}));
  std::vector<v1::Suppression> out;
  for (int i = 0; i < rows.rows(); ++i) out.push_back(SuppressionAt(rows, i));
  return out;
}

absl::StatusOr<v1::Suppression> PgQueueStore::AddSuppression(const std::string& address,
                                                             const std::string& reason,
                                                             absl::Duration ttl) {
  MAIL_RETURN_IF_ERROR(CheckAddress(address));
  if (ttl <= absl::ZeroDuration()) return absl::InvalidArgumentError("ttl must be positive");
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  MAIL_ASSIGN_OR_RETURN(
      pg::Result rows,
      conn->Exec(
          "INSERT INTO relay.suppressions AS s (address, reason, cause, expires_at,"
          " suppressed_until, suppressed_at) VALUES ($1, $2, 'manual',"
          " now() + $3::bigint * interval '1 second', now() + $3::bigint * interval '1 second',"
          " now())"
          " ON CONFLICT (address) DO UPDATE SET reason = $2, cause = 'manual', last_at = now(),"
          " suppressed_at = CASE WHEN s.suppressed_until > now() THEN s.suppressed_at"
          "  ELSE now() END,"
          " expires_at = now() + $3::bigint * interval '1 second',"
          " suppressed_until = now() + $3::bigint * interval '1 second'"
          " RETURNING address, reason, cause, hard_bounces, soft_failures,"
          " extract(epoch FROM first_at)::bigint, extract(epoch FROM last_at)::bigint,"
          " extract(epoch FROM suppressed_until)::bigint",
          {absl::AsciiStrToLower(address),
           reason.empty() ? std::string("added by operator") : reason,
           static_cast<int64_t>(absl::ToInt64Seconds(ttl))}));
  return SuppressionAt(rows, 0);
}

absl::StatusOr<bool> PgQueueStore::RemoveSuppression(const std::string& address) {
  MAIL_RETURN_IF_ERROR(CheckAddress(address));
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  MAIL_ASSIGN_OR_RETURN(pg::Result rows,
                        conn->Exec("DELETE FROM relay.suppressions WHERE address = $1",
                                   {absl::AsciiStrToLower(address)}));
  return rows.affected() > 0;
}

absl::StatusOr<int64_t> PgQueueStore::SuppressionCount() {
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  MAIL_ASSIGN_OR_RETURN(
      pg::Result rows,
      conn->Exec("SELECT count(*) FROM relay.suppressions WHERE suppressed_until > now()"));
  return rows.GetInt(0, 0);
}

absl::StatusOr<v1::BounceReportResponse> PgQueueStore::Report(absl::Time since, int top_domains) {
  if (top_domains <= 0) top_domains = 10;
  top_domains = std::min(top_domains, 1000);
  const int64_t since_unix = absl::ToUnixSeconds(since);
  MAIL_ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Acquire());
  v1::BounceReportResponse out;
  MAIL_ASSIGN_OR_RETURN(pg::Result totals,
                        conn->Exec("SELECT outcome, count(*) FROM relay.attempts"
                                   " WHERE at >= to_timestamp($1::bigint) GROUP BY outcome",
                                   {since_unix}));
  for (int i = 0; i < totals.rows(); ++i) {
    const std::string_view o = totals.Get(i, 0);
    const uint64_t n = static_cast<uint64_t>(totals.GetInt(i, 1));
    if (o == "delivered") out.set_delivered(n);
    if (o == "failed") out.set_failed(n);
    if (o == "deferred") out.set_deferred(n);
  }
  MAIL_ASSIGN_OR_RETURN(
      pg::Result causes,
      conn->Exec("SELECT cause, count(*) FILTER (WHERE outcome = 'failed'),"
                 " count(*) FILTER (WHERE outcome = 'deferred') FROM relay.attempts"
                 " WHERE at >= to_timestamp($1::bigint) AND outcome <> 'delivered'"
                 " GROUP BY cause ORDER BY 2 DESC, 3 DESC, 1",
                 {since_unix}));
  for (int i = 0; i < causes.rows(); ++i) {
    v1::CauseCount* c = out.add_causes();
    c->set_cause(std::string(causes.Get(i, 0)));
    c->set_failed(static_cast<uint64_t>(causes.GetInt(i, 1)));
    c->set_deferred(static_cast<uint64_t>(causes.GetInt(i, 2)));
  }
  MAIL_ASSIGN_OR_RETURN(
      pg::Result domains,
      conn->Exec("SELECT r.domain, count(*) FILTER (WHERE a.outcome = 'failed'),"
                 " count(*) FILTER (WHERE a.outcome = 'deferred')"
                 " FROM relay.attempts a JOIN relay.recipients r ON r.id = a.recipient_id"
                 " WHERE a.at >= to_timestamp($1::bigint) AND a.outcome <> 'delivered'"
                 " GROUP BY r.domain ORDER BY 2 DESC, 3 DESC, 1 LIMIT $2",
                 {since_unix, top_domains}));
  for (int i = 0; i < domains.rows(); ++i) {
    v1::DomainCount* d = out.add_domains();
    d->set_domain(std::string(domains.Get(i, 0)));
    d->set_failed(static_cast<uint64_t>(domains.GetInt(i, 1)));
    d->set_deferred(static_cast<uint64_t>(domains.GetInt(i, 2)));
  }
  MAIL_ASSIGN_OR_RETURN(pg::Result bounces,
                        conn->Exec("SELECT count(*) FROM relay.messages WHERE dsn_for IS NOT NULL"
                                   " AND created_at >= to_timestamp($1::bigint)",
                                   {since_unix}));
  out.set_bounces_sent(static_cast<uint64_t>(bounces.GetInt(0, 0)));
  return out;
}

namespace {

// pg_try_advisory_xact_lock key of the purge ("relayprg"): one purger at a time across
// every relay replica sharing the database.
constexpr int64_t kPurgeLockKey = 0x72656c6179707267;

// A message is finished when no recipient is still to do (queued, held), owes a DSN, or
// changed within the retention period. $1: the retention in milliseconds.
constexpr char kFinished[] =
    " m.created_at < now() - $1::bigint * interval '1 millisecond'"
    " AND NOT EXISTS (SELECT 1 FROM relay.recipients r WHERE r.message_id = m.id"
    "   AND (r.state NOT IN ('delivered', 'failed') OR r.dsn = 'pending'"
    "        OR r.updated_at >= now() - $1::bigint * interval '1 millisecond'))";

}  // namespace

absl::StatusOr<PurgeResult> PgQueueStore::Purge(absl::Duration retention, int batch) {
  PurgeResult result;
  const int64_t retention_ms = absl::ToInt64Milliseconds(retention);
  MAIL_RETURN_IF_ERROR(pg::InTransaction(*pool_, [&](pg::Connection& conn) -> absl::Status {
    MAIL_ASSIGN_OR_RETURN(pg::Result lock, conn.Exec("SELECT pg_try_advisory_xact_lock($1::bigint)",
                                                     {kPurgeLockKey}));
    if (!lock.GetBool(0, 0)) {
      result.skipped = true;
      return absl::OkStatus();
    }
    // 1. Pick a batch of finished messages, oldest first.
    MAIL_ASSIGN_OR_RETURN(
        pg::Result picked,
        conn.Exec(absl::StrCat("SELECT m.id::text FROM relay.messages m WHERE", kFinished,
                               " ORDER BY m.created_at LIMIT $2 FOR UPDATE OF m SKIP LOCKED"),
                  {retention_ms, batch}));
    if (picked.rows() == 0) return absl::OkStatus();
    std::string ids = "{";
    for (int i = 0; i < picked.rows(); ++i) {
      if (i > 0) ids += ',';
      ids += picked.Get(i, 0);  // uuid text: no quoting needed
    }
    ids += '}';
    // 2. Lock their recipients, so that nothing (mailctl queue retry of an old failed
    // recipient, say) changes one between the check and the delete; 3. re-check with a
    // fresh snapshot (READ COMMITTED) and delete. Recipients and attempts go with their
    // message (ON DELETE CASCADE); they are counted from the statement's snapshot.
    MAIL_RETURN_IF_ERROR(conn.Exec("SELECT 1 FROM relay.recipients"
                                   " WHERE message_id = ANY($1::uuid[]) FOR UPDATE",
                                   {ids})
                             .status());
    MAIL_ASSIGN_OR_RETURN(pg::Result gone,
                          conn.Exec(absl::StrCat("WITH gone AS (DELETE FROM relay.messages m"
                                                 " WHERE m.id = ANY($2::uuid[]) AND",
                                                 kFinished,
                                                 " RETURNING m.id)"
                                                 " SELECT (SELECT count(*) FROM gone),"
                                                 " (SELECT count(*) FROM relay.recipients"
                                                 "  WHERE message_id IN (SELECT id FROM gone))"),
                                    {retention_ms, ids}));
    result.messages = gone.GetInt(0, 0);
    result.recipients = gone.GetInt(0, 1);
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace mail::outbound_relay
