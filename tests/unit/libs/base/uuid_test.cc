#include "services/libs/base/uuid.h"

#include <catch2/catch.hpp>
#include <set>

namespace mail::base {
namespace {

TEST_CASE("uuid: new ids are version 4, well-formed and distinct") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid();
    REQUIRE(IsUuid(id));
    CHECK(id[14] == '4');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("uuid: malformed text is not a uuid") {
  CHECK_FALSE(IsUuid(""));
  CHECK_FALSE(IsUuid("not-a-uuid"));
  CHECK_FALSE(IsUuid("0123456789abcdef0123456789abcdef0123"));
  CHECK(IsUuid("01234567-89ab-4def-8123-456789ABCDEF"));
}

}  // namespace
}  // namespace mail::base
