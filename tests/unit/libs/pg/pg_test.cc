// The parts of the libpq wrapper that need no server: parameters and SQLSTATE access.
// Statements, the pool and migrations are covered end to end against a real
// PostgreSQL (tests/e2e), never a mock.
#include "services/libs/pg/pg.h"

#include <catch2/catch.hpp>

namespace mail::pg {
namespace {

TEST_CASE("pg: parameters carry text, bytes or NULL") {
  Param null(std::nullopt);
  CHECK_FALSE(null.value().has_value());
  Param text("héllo");
  REQUIRE(text.value().has_value());
  CHECK(*text.value() == "héllo");
  CHECK_FALSE(text.binary());
  Param bytes = Param::Bytes(std::string("\0\x01\xff", 3));
  CHECK(bytes.binary());
  CHECK(bytes.value()->size() == 3);
  CHECK(*Param(int64_t{-42}).value() == "-42");
  CHECK(*Param(uint64_t{18446744073709551615u}).value() == "18446744073709551615");
  CHECK(*Param(true).value() == "t");
}

TEST_CASE("pg: statuses not from PostgreSQL have no SQLSTATE") {
  CHECK(SqlState(absl::OkStatus()).empty());
  CHECK(SqlState(absl::InternalError("x")).empty());
}

TEST_CASE("pg: connecting to nothing is UNAVAILABLE") {
  auto conn = Connection::Open("host=127.0.0.1 port=1 connect_timeout=2");
  CHECK(conn.status().code() == absl::StatusCode::kUnavailable);
  Pool pool("host=127.0.0.1 port=1 connect_timeout=2", 1);
  CHECK(pool.Acquire().status().code() == absl::StatusCode::kUnavailable);
  // The failed open gave its slot back.
  CHECK(pool.Acquire(absl::Milliseconds(100)).status().message().find("no free connection") ==
        std::string::npos);
}

}  // namespace
}  // namespace mail::pg
