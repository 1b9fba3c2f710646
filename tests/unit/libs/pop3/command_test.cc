// Tests for the POP3 command parser (services/libs/pop3/command.h).
#include "services/libs/pop3/command.h"

#include <catch2/catch.hpp>
#include <string>

namespace mail::pop3 {
namespace {

TEST_CASE("pop3 command: keyword is case-insensitive and arguments split on spaces") {
  auto cmd = ParseCommand("rEtR 12");
  REQUIRE(cmd.ok());
  CHECK(cmd->verb == Verb::kRetr);
  CHECK(cmd->keyword == "RETR");
  REQUIRE(cmd->args.size() == 1);
  CHECK(cmd->args[0] == "12");

  auto top = ParseCommand("TOP 1 10");
  REQUIRE(top.ok());
  CHECK(top->verb == Verb::kTop);
  CHECK(top->args == std::vector<std::string>{"1", "10"});
}

TEST_CASE("pop3 command: PASS keeps spaces in the password") {
  auto cmd = ParseCommand("PASS  my secret  pass");
  REQUIRE(cmd.ok());
  CHECK(cmd->verb == Verb::kPass);
  CHECK(cmd->rest == " my secret  pass");
  CHECK(cmd->args.size() == 3);
}

TEST_CASE("pop3 command: every RFC 1939/2449/2595/5034 keyword is known") {
  for (const char* k : {"USER", "PASS", "APOP", "AUTH", "STLS", "STAT", "LIST", "RETR", "DELE",
                        "NOOP", "RSET", "TOP", "UIDL", "CAPA", "QUIT"}) {
    auto cmd = ParseCommand(k);
    REQUIRE(cmd.ok());
    CHECK(cmd->verb != Verb::kUnknown);
  }
  auto unknown = ParseCommand("XTND stuff");
  REQUIRE(unknown.ok());
  CHECK(unknown->verb == Verb::kUnknown);
  CHECK(unknown->keyword == "XTND");
}

TEST_CASE("pop3 command: lines over 255 octets with CRLF are refused") {
  std::string ok = "USER " + std::string(kMaxCommandLine - 5, 'a');
  CHECK(ParseCommand(ok).ok());
  std::string too_long = ok + "a";
  auto cmd = ParseCommand(too_long);
  REQUIRE_FALSE(cmd.ok());
  CHECK(cmd.status().message().find("too long") != std::string::npos);
}

TEST_CASE("pop3 command: malformed lines are errors, never crashes") {
  CHECK_FALSE(ParseCommand("").ok());
  CHECK_FALSE(ParseCommand(" USER x").ok());
  CHECK_FALSE(ParseCommand("US").ok());
  CHECK_FALSE(ParseCommand("USERS x").ok());
  CHECK_FALSE(ParseCommand("US3R x").ok());
  CHECK_FALSE(ParseCommand(std::string("USER a\0b", 8)).ok());
  CHECK_FALSE(ParseCommand("USER a\tb").ok());
  CHECK_FALSE(ParseCommand("LIST 1 2 3 4 5 6 7 8 9").ok());
  CHECK(ParseCommand("PASS p\xc3\xa4ss").ok());  // UTF-8 passwords are fine
}

TEST_CASE("pop3 command: numbers are plain decimal within 32 bits") {
  uint32_t n = 0;
  CHECK(ParseNumber("0", &n));
  CHECK(n == 0);
  CHECK(ParseNumber("4294967295", &n));
  CHECK(n == 4294967295u);
  CHECK_FALSE(ParseNumber("4294967296", &n));
  CHECK_FALSE(ParseNumber("", &n));
  CHECK_FALSE(ParseNumber("+1", &n));
  CHECK_FALSE(ParseNumber("-1", &n));
  CHECK_FALSE(ParseNumber("1a", &n));
  CHECK_FALSE(ParseNumber("99999999999", &n));
}

}  // namespace
}  // namespace mail::pop3
