// libpq wrapper: RAII connections, parameterised statements only, a bounded pool and
// transactions. SQLSTATEs are translated to absl status codes here and nowhere else.
// A Connection is used by one thread at a time; the Pool is thread-safe.
#ifndef MAILSUITE_SERVICES_LIBS_PG_PG_H_
#define MAILSUITE_SERVICES_LIBS_PG_PG_H_

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mail::pg {

// One statement parameter: text, binary bytes (for bytea) or NULL.
class Param {
 public:
  Param(std::nullopt_t) {}  // NULL
  Param(std::string_view text) : value_(text) {}
  Param(const char* text) : value_(std::string(text)) {}
  Param(const std::string& text) : value_(text) {}
  Param(int64_t v) : value_(std::to_string(v)) {}
  Param(int v) : value_(std::to_string(v)) {}
  Param(uint32_t v) : value_(std::to_string(v)) {}
  Param(uint64_t v) : value_(std::to_string(v)) {}
  Param(bool v) : value_(v ? "t" : "f") {}
  // Raw bytes sent in binary format; use for bytea columns.
  static Param Bytes(std::string_view bytes) {
    Param p(bytes);
    p.binary_ = true;
    return p;
  }
  const std::optional<std::string>& value() const { return value_; }
  bool binary() const { return binary_; }

 private:
  std::optional<std::string> value_;
  bool binary_ = false;
};

// How result values come back: text, or binary (raw bytea without hex decoding;
// integers in network order). Get/GetInt/GetBool/GetBytes read either.
enum class Format { kText = 0, kBinary = 1 };

// The rows of one statement. Values are read in text form, except bytea columns
// read with GetBytes, which decodes them.
class Result {
 public:
  explicit Result(PGresult* res) : res_(res, &PQclear) {}
  int rows() const { return PQntuples(res_.get()); }
  int cols() const { return PQnfields(res_.get()); }
  // Rows changed by INSERT/UPDATE/DELETE.
  int64_t affected() const;
  bool IsNull(int row, int col) const { return PQgetisnull(res_.get(), row, col); }
  std::string_view Get(int row, int col) const {
    return {PQgetvalue(res_.get(), row, col),
            static_cast<size_t>(PQgetlength(res_.get(), row, col))};
  }
  int64_t GetInt(int row, int col) const;
  bool GetBool(int row, int col) const;
  // Decodes a bytea value (text "\x..." form, or raw when the result is binary).
  std::string GetBytes(int row, int col) const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> res_;
};

class Connection {
 public:
  // `conninfo` may be empty: libpq then reads PGHOST, PGPORT, PGUSER, PGDATABASE ...
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& conninfo);
  ~Connection();

  // Runs one parameterised statement ($1, $2 ...). Errors carry their SQLSTATE:
  // 23505 → ALREADY_EXISTS, 23503/23514 → FAILED_PRECONDITION, 40001/40P01 → ABORTED,
  // connection failures → UNAVAILABLE, the rest → INTERNAL.
  // Each distinct statement text is prepared once per connection and executed by
  // name after that, so the server parses and plans it once (the first
  // kMaxPreparedStatements texts; later ones run unnamed).
  absl::StatusOr<Result> Exec(std::string_view sql, const std::vector<Param>& params = {},
                              Format result_format = Format::kText);
  // Several statements without parameters (migrations only).
  absl::Status ExecScript(std::string_view sql);
  // False once the server connection is lost; the pool then drops it.
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  PGconn* raw() { return conn_; }

 private:
  static constexpr size_t kMaxPreparedStatements = 512;

  explicit Connection(PGconn* conn) : conn_(conn) {}
  // The name of the prepared statement for `sql`, preparing it first if needed;
  // "" when the cache is full (run it unnamed).
  absl::StatusOr<std::string> Prepared(const std::string& sql, int nparams);

  PGconn* conn_;
  absl::flat_hash_map<std::string, std::string> prepared_;  // statement text → name
};

// PostgreSQL array literals for `$n::text[]` / `$n::bigint[]` parameters, and the
// parse of an integer array read back as text ("{1,2,3}").
std::string TextArray(const std::vector<std::string>& values);
template <typename Ints>
std::string IntArray(const Ints& values) {
  std::string out = "{";
  for (auto v : values) {
    if (out.size() > 1) out += ',';
    out += std::to_string(v);
  }
  return out + "}";
}
std::vector<uint32_t> ParseIntArray(std::string_view text);

// The SQLSTATE of an error returned by Connection, or "" when it has none.
std::string SqlState(const absl::Status& status);

class Pool;

// A connection borrowed from a Pool; returned to it on destruction.
class PooledConnection {
 public:
  PooledConnection(Pool* pool, std::unique_ptr<Connection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  PooledConnection(PooledConnection&&) = default;
  ~PooledConnection();
  Connection* operator->() { return conn_.get(); }
  Connection& operator*() { return *conn_; }

 private:
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

// At most `size` connections, opened lazily; Acquire waits up to `timeout` for one.
class Pool {
 public:
  Pool(std::string conninfo, int size) : conninfo_(std::move(conninfo)), size_(size) {}
  absl::StatusOr<PooledConnection> Acquire(absl::Duration timeout = absl::Seconds(5));

 private:
  friend class PooledConnection;
  void Release(std::unique_ptr<Connection> conn);

  const std::string conninfo_;
  const int size_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

// Runs `fn` inside BEGIN/COMMIT on a pooled connection; rolls back when `fn` fails.
// Serialization failures and deadlocks (ABORTED) are retried a few times, so `fn`
// must have no effects outside the database.
absl::Status InTransaction(Pool& pool, const std::function<absl::Status(Connection&)>& fn);

}  // namespace mail::pg

#endif  // MAILSUITE_SERVICES_LIBS_PG_PG_H_
