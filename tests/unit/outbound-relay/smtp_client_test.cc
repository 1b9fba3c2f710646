// Tests for the SMTP client's reply parser, EHLO parsing, commands and dot-stuffing.
#include "services/outbound-relay/smtp_client.h"

#include <catch2/catch.hpp>

namespace mail::outbound_relay {
namespace {

SmtpReply Parse(std::initializer_list<std::string_view> lines) {
  ReplyParser parser;
  int rc = 0;
  for (auto line : lines) {
    REQUIRE(rc == 0);
    rc = parser.Feed(line);
    REQUIRE(rc >= 0);
  }
  REQUIRE(rc == 1);
  return parser.reply();
}

TEST_CASE("smtp_client: single-line reply with an enhanced code") {
  SmtpReply r = Parse({"550 5.1.1 <bob@remote.test>: no such user"});
  CHECK(r.code == 550);
  CHECK(r.enhanced == "5.1.1");
  CHECK(r.permanent());
  CHECK(r.Text() == "<bob@remote.test>: no such user");
  CHECK(r.Summary() == "550 5.1.1 <bob@remote.test>: no such user");
}

TEST_CASE("smtp_client: multi-line reply, bare code, and no enhanced code") {
  SmtpReply r = Parse({"250-mx.remote.test", "250-PIPELINING", "250 SIZE 1000"});
  CHECK(r.code == 250);
  CHECK(r.lines.size() == 3);
  CHECK(r.enhanced.empty());
  CHECK(Parse({"354"}).code == 354);
  CHECK(Parse({"220 mx ESMTP"}).Summary() == "220 mx ESMTP");
}

TEST_CASE("smtp_client: the enhanced code must match the reply class") {
  CHECK(Parse({"451 5.1.1 odd"}).enhanced.empty());
  CHECK(Parse({"451 4.7.1 greylisted"}).enhanced == "4.7.1");
  CHECK(ExtractEnhancedCode("2.0.0", 2) == "2.0.0");
  CHECK(ExtractEnhancedCode("2.0.0x", 2).empty());
  CHECK(ExtractEnhancedCode("2.1234.0 x", 2).empty());
  CHECK(ExtractEnhancedCode("5.1.10 null MX", 5) == "5.1.10");
}

TEST_CASE("smtp_client: invalid reply lines are rejected") {
  ReplyParser p;
  CHECK(p.Feed("hello") == -1);
  p.Reset();
  CHECK(p.Feed("25") == -1);
  p.Reset();
  CHECK(p.Feed("199 too low") == -1);
  p.Reset();
  CHECK(p.Feed("250x") == -1);
  p.Reset();
  CHECK(p.Feed("250-first") == 0);
  CHECK(p.Feed("251 different code") == -1);
  p.Reset();
  for (size_t i = 0; i < ReplyParser::kMaxLines; ++i) REQUIRE(p.Feed("250-x") == 0);
  CHECK(p.Feed("250-x") == -1);
}

TEST_CASE("smtp_client: EHLO capabilities") {
  SmtpReply r = Parse({"250-mx.remote.test greets you", "250-STARTTLS", "250-size 35882577",
                       "250-8BITMIME", "250-PIPELINING", "250-DSN", "250 SMTPUTF8"});
  EhloCapabilities caps = ParseEhlo(r);
  CHECK(caps.starttls);
  CHECK(caps.size);
  CHECK(caps.max_size == 35882577);
  CHECK(caps.eight_bit_mime);
  CHECK(caps.pipelining);
  CHECK(caps.dsn);
  CHECK(caps.smtputf8);
  // The greeting line is not a keyword.
  EhloCapabilities none = ParseEhlo(Parse({"250 STARTTLS"}));
  CHECK_FALSE(none.starttls);
}

TEST_CASE("smtp_client: MAIL FROM parameters only when offered") {
  EhloCapabilities caps;
  CHECK(MailFromCommand("a@example.test", caps, 100, true, true) ==
        "MAIL FROM:<a@example.test>\r\n");
  caps.size = caps.eight_bit_mime = caps.smtputf8 = true;
  CHECK(MailFromCommand("", caps, 100, true, true) ==
        "MAIL FROM:<> SIZE=100 BODY=8BITMIME SMTPUTF8\r\n");
  CHECK(MailFromCommand("a@b", caps, 7, false, false) == "MAIL FROM:<a@b> SIZE=7\r\n");
  CHECK(RcptToCommand("bob@remote.test") == "RCPT TO:<bob@remote.test>\r\n");
}

TEST_CASE("smtp_client: dot-stuffing doubles leading dots and normalizes line ends") {
  CHECK(DotStuff("a\r\n.b\r\n..c\r\n") == "a\r\n..b\r\n...c\r\n.\r\n");
  CHECK(DotStuff(".\r\n") == "..\r\n.\r\n");
  CHECK(DotStuff("no final newline") == "no final newline\r\n.\r\n");
  CHECK(DotStuff("bare\nlf\n.x") == "bare\r\nlf\r\n..x\r\n.\r\n");
  CHECK(DotStuff("bare\rcr") == "bare\r\ncr\r\n.\r\n");
  CHECK(DotStuff("") == ".\r\n");
  CHECK(DotStuff("x.y\r\n") == "x.y\r\n.\r\n");
}

TEST_CASE("smtp_client: 8-bit detection") {
  CHECK_FALSE(HasEightBit("plain ascii\r\n"));
  CHECK(HasEightBit("caf\xc3\xa9"));
}

}  // namespace
}  // namespace mail::outbound_relay
