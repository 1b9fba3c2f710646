#include "services/libs/smtp/command.h"

#include <catch2/catch.hpp>

namespace mail::smtp {
namespace {

TEST_CASE("command: verb is case-insensitive and args are trimmed") {
  Command c = ParseCommand("ehlo  client.example  ");
  CHECK(c.verb == Verb::kEhlo);
  CHECK(c.name == "EHLO");
  CHECK(c.args == "client.example");
  CHECK(ParseCommand("QUIT").verb == Verb::kQuit);
  CHECK(ParseCommand("StartTLS").verb == Verb::kStarttls);
  CHECK(ParseCommand("QUITX").verb == Verb::kUnknown);
  CHECK(ParseCommand("").verb == Verb::kUnknown);
  CHECK(ParseCommand("GET / HTTP/1.0").verb == Verb::kUnknown);
}

TEST_CASE("command: line limits per RFC 5321 and RFC 4954") {
  CHECK(MaxLineLength(Verb::kNoop) == 510);
  CHECK(MaxLineLength(Verb::kMail) == 2046);
  CHECK(MaxLineLength(Verb::kAuth) == 12286);
  CHECK(kMaxReadLine >= MaxLineLength(Verb::kAuth));
}

TEST_CASE("command: MAIL FROM with parameters") {
  auto a = ParseMailArgs("FROM:<a@example.test> SIZE=1000 BODY=8BITMIME smtputf8", false);
  REQUIRE(a.ok());
  CHECK(a->path.mailbox.ToString() == "a@example.test");
  REQUIRE(a->params.size() == 3);
  CHECK(a->params[0].keyword == "SIZE");
  CHECK(a->params[0].value == "1000");
  CHECK(a->params[2].keyword == "SMTPUTF8");
  CHECK_FALSE(a->params[2].has_value);
}

TEST_CASE("command: MAIL FROM null sender, space after colon, lower case") {
  auto a = ParseMailArgs("from: <>", false);
  REQUIRE(a.ok());
  CHECK(a->path.null);
  CHECK(a->params.empty());
}

TEST_CASE("command: MAIL FROM syntax errors") {
  CHECK_FALSE(ParseMailArgs("", false).ok());
  CHECK_FALSE(ParseMailArgs("TO:<a@example.test>", false).ok());
  CHECK_FALSE(ParseMailArgs("FROM:<a@example.test>SIZE=1", false).ok());
  CHECK_FALSE(ParseMailArgs("FROM:<a@example.test> SIZE=", false).ok());
  CHECK_FALSE(ParseMailArgs("FROM:<a@example.test> =1", false).ok());
  CHECK_FALSE(ParseMailArgs("FROM:<a@example.test> SI_ZE=1", false).ok());
}

TEST_CASE("command: RCPT TO and Postmaster") {
  auto a = ParseRcptArgs("TO:<Bob@Example.test> NOTIFY=SUCCESS,FAILURE", false);
  REQUIRE(a.ok());
  CHECK(a->path.mailbox.ToString() == "Bob@example.test");
  CHECK(a->params[0].value == "SUCCESS,FAILURE");
  auto pm = ParseRcptArgs("TO:<postmaster>", false);
  REQUIRE(pm.ok());
  CHECK(pm->path.mailbox.domain.empty());
  CHECK_FALSE(ParseRcptArgs("TO:<>", false).ok());
}

TEST_CASE("command: UTF-8 paths only when SMTPUTF8 is offered") {
  CHECK_FALSE(ParseRcptArgs("TO:<\xC3\xA9@example.test>", false).ok());
  auto a = ParseRcptArgs("TO:<\xC3\xA9@example.test>", true);
  REQUIRE(a.ok());
  CHECK(a->path.mailbox.utf8);
}

TEST_CASE("command: xtext") {
  std::string out;
  CHECK(DecodeXtext("rfc822;a+2Bb@example.test", &out));
  CHECK(out == "rfc822;a+b@example.test");
  CHECK_FALSE(DecodeXtext("a+2", &out));
  CHECK_FALSE(DecodeXtext("a+zz", &out));
}

}  // namespace
}  // namespace mail::smtp
