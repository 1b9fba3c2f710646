// Pure helpers of mailctl: sizes, byte formatting, tables, passwords.
#include "services/mailctl/cli.h"

#include <sodium.h>

#include <catch2/catch.hpp>
#include <sstream>

namespace mail::mailctl {
namespace {

TEST_CASE("cli: sizes accept binary suffixes in any case") {
  CHECK(ParseSize("0") == 0u);
  CHECK(ParseSize("unlimited") == 0u);
  CHECK(ParseSize("1048576") == 1048576u);
  CHECK(ParseSize("512K") == 512u * 1024);
  CHECK(ParseSize("10m") == 10u * 1024 * 1024);
  CHECK(ParseSize("10MB") == 10u * 1024 * 1024);
  CHECK(ParseSize("10MiB") == 10u * 1024 * 1024);
  CHECK(ParseSize("2G") == 2ull << 30);
  CHECK(ParseSize("1T") == 1ull << 40);
  CHECK(ParseSize(" 5 ") == 5u);
  CHECK(ParseSize("100B") == 100u);
}

TEST_CASE("cli: malformed or overflowing sizes are rejected") {
  for (const char* bad : {"", "M", "-1", "1.5G", "10X", "10 M", "10MX", "1e6",
                          "99999999999999999999", "9000000000G"}) {
    INFO(bad);
    CHECK_FALSE(ParseSize(bad).has_value());
  }
  CHECK(ParseSize("8388607T").has_value());
  CHECK_FALSE(ParseSize("8388608T").has_value());  // 2^63 does not fit a bigint
}

TEST_CASE("cli: byte counts are shown with binary units") {
  CHECK(FormatBytes(0) == "0 B");
  CHECK(FormatBytes(1023) == "1023 B");
  CHECK(FormatBytes(1536) == "1.5 KiB");
  CHECK(FormatBytes(10 << 20) == "10.0 MiB");
  CHECK(FormatBytes(3ull << 30) == "3.0 GiB");
}

TEST_CASE("cli: times are UTC minutes, zero is a dash") {
  CHECK(FormatTime(0) == "-");
  CHECK(FormatTime(86400 + 3600 + 60) == "1970-01-02 01:01");
}

TEST_CASE("cli: tables align columns and do not pad the last one") {
  Table t({"A", "LONGER"});
  t.Add({"wide value", "x"});
  std::ostringstream out;
  t.Print(out);
  CHECK(out.str() == "A           LONGER\nwide value  x\n");
  CHECK(t.size() == 1);
}

TEST_CASE("cli: the password line loses only its line ending") {
  CHECK(TrimPasswordLine("secret\n") == "secret");
  CHECK(TrimPasswordLine("secret\r\n") == "secret");
  CHECK(TrimPasswordLine("secret") == "secret");
  CHECK(TrimPasswordLine(" two words \n") == " two words ");
  CHECK(TrimPasswordLine("a\n\n") == "a\n");
}

TEST_CASE("cli: generated passwords avoid look-alike characters") {
  REQUIRE(sodium_init() >= 0);
  std::string p = RandomPassword();
  CHECK(p.size() == 20);
  CHECK(p.find_first_of("0O1lI") == std::string::npos);
  CHECK(RandomPassword() != p);
}

}  // namespace
}  // namespace mail::mailctl
