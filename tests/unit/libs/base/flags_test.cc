#include "services/libs/base/flags.h"

#include <catch2/catch.hpp>
#include <cstdlib>

#include "absl/flags/flag.h"

ABSL_FLAG(int, test_port_number, 1, "a flag for the test");
ABSL_FLAG(std::string, test_name_value, "x", "a flag for the test");

namespace mail::base {
namespace {

TEST_CASE("flags: environment fills a flag, the command line wins, dashes are accepted") {
  setenv("MAILSUITE_TEST_PORT_NUMBER", "2525", 1);
  setenv("MAILSUITE_TEST_NAME_VALUE", "from-env", 1);
  std::string a0 = "prog", a1 = "--test-name-value=from-argv", a2 = "positional";
  char* argv[] = {a0.data(), a1.data(), a2.data(), nullptr};
  auto rest = ParseFlags(3, argv, "test");
  CHECK(absl::GetFlag(FLAGS_test_port_number) == 2525);
  CHECK(absl::GetFlag(FLAGS_test_name_value) == "from-argv");
  REQUIRE(rest.size() == 1);
  CHECK(rest[0] == "positional");
  unsetenv("MAILSUITE_TEST_PORT_NUMBER");
  unsetenv("MAILSUITE_TEST_NAME_VALUE");
}

TEST_CASE("flags: host:port addresses split, bad ones are refused") {
  std::string host;
  int port = 0;
  REQUIRE(SplitHostPort("127.0.0.1:2525", &host, &port));
  CHECK(host == "127.0.0.1");
  CHECK(port == 2525);
  REQUIRE(SplitHostPort("[::1]:25", &host, &port));
  CHECK(host == "::1");
  CHECK(port == 25);
  CHECK_FALSE(SplitHostPort("localhost", &host, &port));
  CHECK_FALSE(SplitHostPort("localhost:", &host, &port));
  CHECK_FALSE(SplitHostPort("localhost:99999", &host, &port));
  CHECK_FALSE(SplitHostPort("localhost:2x", &host, &port));
}

}  // namespace
}  // namespace mail::base
