#include <catch2/catch.hpp>

#include "services/libs/mail/envelope.h"

namespace mail::mime {
namespace {

std::string Env(const std::string& header) {
  return FormatEnvelope(ParseEnvelope(ParseHeader(header)));
}

std::string List(const std::string& value) {
  Envelope e;
  e.to = ParseAddressList(value);
  std::string s = FormatEnvelope(e);
  // Just the "to" list: the 6th field.
  const std::string prefix = "(NIL NIL NIL NIL NIL ";
  REQUIRE(s.rfind(prefix, 0) == 0);
  return s.substr(prefix.size(),
                  s.size() - prefix.size() - std::string(" NIL NIL NIL NIL)").size());
}

TEST_CASE("mime envelope: sender and reply-to default to from") {
  CHECK(Env("From: a@b.example\r\nSubject: hi\r\nDate: x\r\n\r\n") ==
        "(\"x\" \"hi\" ((NIL NIL \"a\" \"b.example\")) ((NIL NIL \"a\" \"b.example\")) "
        "((NIL NIL \"a\" \"b.example\")) NIL NIL NIL NIL NIL)");
  CHECK(Env("\r\n") == "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST_CASE("mime envelope: address forms") {
  CHECK(List("\"Doe, John\" <john@example.com>") ==
        "((\"Doe, John\" NIL \"john\" \"example.com\"))");
  CHECK(List("John   Q. Public <jqp@example.com>") ==
        "((\"John Q. Public\" NIL \"jqp\" \"example.com\"))");
  CHECK(List("root@localhost (Cron Daemon)") == "((\"Cron Daemon\" NIL \"root\" \"localhost\"))");
  CHECK(List("<@r1.example,@r2.example:u@example.com>") ==
        "((NIL \"@r1.example,@r2.example\" \"u\" \"example.com\"))");
  CHECK(List("bare") == "((NIL NIL \"bare\" \"MISSING_DOMAIN\"))");
  CHECK(List("\"quoted local\"@example.com") == "((NIL NIL \"quoted local\" \"example.com\"))");
  CHECK(List("undisclosed-recipients:;") ==
        "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))");
  CHECK(List("g: a@x, B <b@y>; c@z") ==
        "((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"x\")(\"B\" NIL \"b\" \"y\")(NIL NIL NIL NIL)"
        "(NIL NIL \"c\" \"z\"))");
  CHECK(List("a@[192.0.2.1]") == "((NIL NIL \"a\" \"[192.0.2.1]\"))");
  CHECK(List("=?utf-8?q?J=C3=B6rg?= <j@x>") == "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x\"))");
  CHECK(List("") == "NIL");
  CHECK(List(",,,") == "NIL");
}

TEST_CASE("mime envelope: 8-bit and quote-heavy strings become literals") {
  CHECK(Env("Subject: Gr\xC3\xBC\xC3\x9F"
            "e\r\n\r\n") ==
        "(NIL {7}\r\nGr\xC3\xBC\xC3\x9F"
        "e NIL NIL NIL NIL NIL NIL NIL NIL)");
  CHECK(Env("Subject: a\"b\\c\r\n\r\n") == "(NIL \"a\\\"b\\\\c\" NIL NIL NIL NIL NIL NIL NIL NIL)");
  CHECK(Env("Subject: \"\"\"\"\"\r\n\r\n") ==
        "(NIL {5}\r\n\"\"\"\"\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST_CASE("mime envelope: the last of repeated fields wins, as in Dovecot") {
  CHECK(Env("Subject: one\r\nSubject: two\r\n\r\n") ==
        "(NIL \"two\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

}  // namespace
}  // namespace mail::mime
