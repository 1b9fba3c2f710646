// libpq wrapper: see pg.h. The SQLSTATE of a failed statement travels as a status
// payload so callers can tell e.g. a unique violation on one constraint from another.
#include "services/libs/pg/pg.h"

#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/libs/base/log.h"
#include "services/libs/base/status_macros.h"

namespace mail::pg {
namespace {

constexpr char kSqlStatePayload[] = "type.mailsuite/pg.sqlstate";
constexpr int kMaxTransactionAttempts = 5;

// Notices (e.g. "schema already exists, skipping") would go to stderr as non-JSON
// lines; log them at debug level instead.
void NoticeProcessor(void*, const char* message) {
  mail::base::LogDebug("pg notice",
                       {{"notice", std::string(absl::StripTrailingAsciiWhitespace(message))}});
}

absl::StatusCode CodeForSqlState(std::string_view state) {
  if (state == "23505") return absl::StatusCode::kAlreadyExists;
  if (state == "23503" || state == "23514" || state == "23502") {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (state == "40001" || state == "40P01") return absl::StatusCode::kAborted;
  // Class 08: connection exceptions; 57P01..57P03: admin/crash shutdown, cannot
  // connect now; 53300: too many connections. All are worth a retry elsewhere.
  if (state.substr(0, 2) == "08" || state == "57P01" || state == "57P02" || state == "57P03" ||
      state == "53300") {
    return absl::StatusCode::kUnavailable;
  }
  if (state == "57014") return absl::StatusCode::kDeadlineExceeded;  // query_canceled
  return absl::StatusCode::kInternal;
}

absl::Status ErrorFromConnection(PGconn* conn, std::string_view what) {
  std::string message(absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn)));
  return absl::UnavailableError(absl::StrCat("postgresql: ", std::string(what), ": ", message));
}

// Builds the status for a failed result (`res` may be null when libpq ran out of
// memory or lost the connection).
absl::Status ErrorFromResult(PGconn* conn, PGresult* res) {
  if (res == nullptr || PQstatus(conn) != CONNECTION_OK) {
    return ErrorFromConnection(conn, "connection lost");
  }
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string message =
      primary != nullptr
          ? std::string(primary)
          : std::string(absl::StripTrailingAsciiWhitespace(PQresultErrorMessage(res)));
  if (state == nullptr) {
    return absl::InternalError(absl::StrCat("postgresql: ", message));
  }
  absl::Status status(CodeForSqlState(state),
                      absl::StrCat("postgresql: ", message, " (SQLSTATE ", state, ")"));
  status.SetPayload(kSqlStatePayload, absl::Cord(state));
  return status;
}

}  // namespace

int64_t Result::affected() const {
  int64_t n = 0;
  if (!absl::SimpleAtoi(PQcmdTuples(res_.get()), &n)) return 0;
  return n;
}

int64_t Result::GetInt(int row, int col) const {
  std::string_view text = Get(row, col);
  if (PQfformat(res_.get(), col) == 1) {
    // Binary integers are big-endian int2/int4/int8.
    if (text.size() != 2 && text.size() != 4 && text.size() != 8) return 0;
    uint64_t v = 0;
    for (char c : text) v = (v << 8) | static_cast<unsigned char>(c);
    if (text.size() == 2) return static_cast<int16_t>(v);
    if (text.size() == 4) return static_cast<int32_t>(v);
    return static_cast<int64_t>(v);
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(absl::string_view(text.data(), text.size()), &n)) return 0;
  return n;
}

bool Result::GetBool(int row, int col) const {
  std::string_view v = Get(row, col);
  if (PQfformat(res_.get(), col) == 1) return v.size() == 1 && v[0] != 0;
  return v == "t";
}

std::string Result::GetBytes(int row, int col) const {
  if (PQgetisnull(res_.get(), row, col)) return {};
  if (PQfformat(res_.get(), col) == 1) return std::string(Get(row, col));
  size_t length = 0;
  unsigned char* raw = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(res_.get(), row, col)), &length);
  if (raw == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(raw), length);
  PQfreemem(raw);
  return out;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return absl::ResourceExhaustedError("postgresql: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status status = ErrorFromConnection(conn, "cannot connect");
    PQfinish(conn);
    return status;
  }
  PQsetNoticeProcessor(conn, &NoticeProcessor, nullptr);
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() { PQfinish(conn_); }

absl::StatusOr<std::string> Connection::Prepared(const std::string& sql, int nparams) {
  auto it = prepared_.find(sql);
  if (it != prepared_.end()) return it->second;
  if (prepared_.size() >= kMaxPreparedStatements) return std::string();
  std::string name = absl::StrCat("mailsuite_", prepared_.size());
  PGresult* res = PQprepare(conn_, name.c_str(), sql.c_str(), nparams, /*paramTypes=*/nullptr);
  if (res == nullptr || PQresultStatus(res) != PGRES_COMMAND_OK) {
    absl::Status status = ErrorFromResult(conn_, res);
    PQclear(res);
    return status;
  }
  PQclear(res);
  prepared_.emplace(sql, name);
  return name;
}

absl::StatusOr<Result> Connection::Exec(std::string_view sql, const std::vector<Param>& params,
                                        Format result_format) {
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size());
  std::vector<int> formats(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& v = params[i].value();
    values[i] = v.has_value() ? v->data() : nullptr;
    lengths[i] = v.has_value() ? static_cast<int>(v->size()) : 0;
    formats[i] = params[i].binary() ? 1 : 0;
  }
  // libpq needs a NUL-terminated statement.
  std::string statement(sql);
  int nparams = static_cast<int>(params.size());
  MAIL_ASSIGN_OR_RETURN(std::string name, Prepared(statement, nparams));
  int format = static_cast<int>(result_format);
  PGresult* res = name.empty()
                      ? PQexecParams(conn_, statement.c_str(), nparams, /*paramTypes=*/nullptr,
                                     values.data(), lengths.data(), formats.data(), format)
                      : PQexecPrepared(conn_, name.c_str(), nparams, values.data(), lengths.data(),
                                       formats.data(), format);
  ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    absl::Status status = ErrorFromResult(conn_, res);
    PQclear(res);
    // A table changed under a prepared statement so that its result type differs
    // ("cached plan must not change result type", after a migration by another
    // replica): forget it, so the next call prepares it afresh. The name stays
    // allocated on the server; that happens at most once per upgrade.
    if (!name.empty() && SqlState(status) == "0A000") prepared_.erase(statement);
    return status;
  }
  return Result(res);
}

absl::Status Connection::ExecScript(std::string_view sql) {
  std::string script(sql);
  PGresult* res = PQexec(conn_, script.c_str());
  ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
    absl::Status status = ErrorFromResult(conn_, res);
    PQclear(res);
    return status;
  }
  PQclear(res);
  return absl::OkStatus();
}

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::vector<uint32_t> ParseIntArray(std::string_view text) {
  std::vector<uint32_t> out;
  if (text.size() < 2) return out;
  text = text.substr(1, text.size() - 2);
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(text.data(), text.size()), ',', absl::SkipEmpty())) {
    uint32_t n = 0;
    if (absl::SimpleAtoi(part, &n)) out.push_back(n);
  }
  return out;
}

std::string SqlState(const absl::Status& status) {
  auto payload = status.GetPayload(kSqlStatePayload);
  if (!payload.has_value()) return "";
  return std::string(*payload);
}

PooledConnection::~PooledConnection() {
  if (conn_ != nullptr && pool_ != nullptr) pool_->Release(std::move(conn_));
}

absl::StatusOr<PooledConnection> Pool::Acquire(absl::Duration timeout) {
  {
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < size_;
    };
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(&available), timeout)) {
      return absl::UnavailableError(absl::StrCat("postgresql: no free connection in the pool of ",
                                                 size_, " within ", absl::FormatDuration(timeout)));
    }
    while (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->ok()) return PooledConnection(this, std::move(conn));
      --open_;  // lost while idle; open a fresh one below
    }
    ++open_;  // reserve a slot, then connect without holding the lock
  }
  absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(conninfo_);
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return conn.status();
  }
  return PooledConnection(this, *std::move(conn));
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  // A connection left inside a transaction (a caller returned early) is rolled back
  // so the next borrower starts clean; one that cannot be cleaned is dropped.
  PGTransactionStatusType ts = PQtransactionStatus(conn->raw());
  if (conn->ok() && (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)) {
    (void)conn->Exec("ROLLBACK");
    ts = PQtransactionStatus(conn->raw());
  }
  bool reusable = conn->ok() && ts == PQTRANS_IDLE;
  if (!reusable) conn.reset();
  absl::MutexLock lock(&mu_);
  if (reusable) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
}

absl::Status InTransaction(Pool& pool, const std::function<absl::Status(Connection&)>& fn) {
  absl::Status last;
  for (int attempt = 0; attempt < kMaxTransactionAttempts; ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Milliseconds(5 * attempt * attempt));
    MAIL_ASSIGN_OR_RETURN(PooledConnection conn, pool.Acquire());
    absl::StatusOr<Result> begin = conn->Exec("BEGIN");
    if (!begin.ok()) {
      // Nothing ran yet, so a stale pooled connection (server restarted while it sat
      // idle) can safely be replaced by a fresh one.
      last = begin.status();
      if (last.code() == absl::StatusCode::kUnavailable) continue;
      return last;
    }
    absl::Status status = fn(*conn);
    if (status.ok()) {
      absl::StatusOr<Result> commit = conn->Exec("COMMIT");
      if (commit.ok()) return absl::OkStatus();
      status = commit.status();
    } else {
      (void)conn->Exec("ROLLBACK");
    }
    if (status.code() != absl::StatusCode::kAborted) return status;
    last = status;
  }
  return last;
}

}  // namespace mail::pg
