// IMAP date-time (APPEND) and date (SEARCH) parsing (RFC 3501 §9).
#include "services/libs/imap/date_time.h"

#include <catch2/catch.hpp>

namespace mail::imap {
namespace {

TEST_CASE("imap date_time: date-time with zones and a space-padded day") {
  CHECK(*ParseDateTime("14-Nov-2023 22:13:20 +0000") == 1700000000);
  CHECK(*ParseDateTime("14-Nov-2023 23:13:20 +0100") == 1700000000);
  CHECK(*ParseDateTime(" 7-Feb-1994 21:52:25 -0800") == 760686745);
  CHECK(*ParseDateTime("07-feb-1994 21:52:25 -0800") == 760686745);
}

TEST_CASE("imap date_time: malformed date-times are rejected") {
  CHECK_FALSE(ParseDateTime("14-Nov-2023 22:13:20").ok());
  CHECK_FALSE(ParseDateTime("32-Jan-2023 22:13:20 +0000").ok());
  CHECK_FALSE(ParseDateTime("14-Foo-2023 22:13:20 +0000").ok());
  CHECK_FALSE(ParseDateTime("14-Nov-2023 25:13:20 +0000").ok());
  CHECK_FALSE(ParseDateTime("").ok());
}

TEST_CASE("imap date_time: SEARCH dates are days since the epoch") {
  CHECK(*ParseDate("1-Jan-1970") == 0);
  CHECK(*ParseDate("01-Feb-1994") == 8797);
  CHECK(*ParseDate("1-Feb-1994") == 8797);
  CHECK_FALSE(ParseDate("1-Feb-94").ok());
  CHECK_FALSE(ParseDate("1-Feb-1994x").ok());
}

}  // namespace
}  // namespace mail::imap
