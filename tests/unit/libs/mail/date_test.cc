#include "services/libs/mail/date.h"

#include <catch2/catch.hpp>

namespace mail {
namespace {

TEST_CASE("date: RFC 5322 form in UTC and with an offset") {
  absl::Time t = absl::FromUnixSeconds(1751364000);  // 2025-07-01 10:00:00 UTC, a Tuesday
  CHECK(FormatRfc5322Date(t) == "Tue, 01 Jul 2025 10:00:00 +0000");
  CHECK(FormatRfc5322Date(t, absl::FixedTimeZone(-(5 * 3600 + 30 * 60))) ==
        "Tue, 01 Jul 2025 04:30:00 -0530");
}

}  // namespace
}  // namespace mail
