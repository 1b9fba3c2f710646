// Tests for the IMAP response writer (services/libs/imap/response.h).
#include "services/libs/imap/response.h"

#include <catch2/catch.hpp>
#include <string>

namespace mail::imap {
namespace {

std::string Str(std::string_view s) {
  std::string out;
  AppendString(&out, s);
  return out;
}

std::string Astr(std::string_view s) {
  std::string out;
  AppendAstring(&out, s);
  return out;
}

TEST_CASE("imap response: tagged and untagged status lines") {
  CHECK(Tagged("a1", "OK", "", "LOGIN completed") == "a1 OK LOGIN completed\r\n");
  CHECK(Tagged("a1", "NO", "UNAVAILABLE", "Try later") == "a1 NO [UNAVAILABLE] Try later\r\n");
  CHECK(Tagged("a1", "BAD", "", "x\r\ny") == "a1 BAD x  y\r\n");
  CHECK(Untagged("3 EXISTS") == "* 3 EXISTS\r\n");
  CHECK(UntaggedStatus("OK", "UIDVALIDITY 7", "UIDs valid") ==
        "* OK [UIDVALIDITY 7] UIDs valid\r\n");
  CHECK(Continuation("") == "+ \r\n");
}

TEST_CASE("imap response: strings are quoted with escapes, or sent as literals") {
  CHECK(Str("abc") == "\"abc\"");
  CHECK(Str("") == "\"\"");
  CHECK(Str("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(Str("a\r\nb") == "{4}\r\na\r\nb");
  CHECK(Str("caf\xc3\xa9") == "{5}\r\ncaf\xc3\xa9");
  CHECK(Str(std::string("a\0b", 3)) == std::string("{3}\r\na\0b", 8));
  CHECK(Str(std::string(2000, 'x')).substr(0, 8) == "{2000}\r\n");
}

TEST_CASE("imap response: astrings are atoms when they can be") {
  CHECK(Astr("INBOX") == "INBOX");
  CHECK(Astr("Sent Items") == "\"Sent Items\"");
  CHECK(Astr("NIL") == "\"NIL\"");
  CHECK(Astr("") == "\"\"");
  CHECK(Astr("a*b") == "\"a*b\"");
  CHECK(Astr("Archive/2024") == "Archive/2024");
  std::string nil;
  AppendNString(&nil, nullptr);
  CHECK(nil == "NIL");
}

TEST_CASE("imap response: mailbox names quote UTF-8 only for UTF-8 clients") {
  auto name = [](std::string_view s, bool utf8) {
    std::string out;
    AppendMailboxName(&out, s, utf8);
    return out;
  };
  CHECK(name("Entw\xc3\xbcrfe", true) == "\"Entw\xc3\xbcrfe\"");
  CHECK(name("Entw\xc3\xbcrfe", false) == "{9}\r\nEntw\xc3\xbcrfe");
  CHECK(name("Sent", true) == "Sent");
  CHECK(name("NIL", true) == "\"NIL\"");
  CHECK(name("a \"b\" \\ \xe2\x82\xac", true) == "\"a \\\"b\\\" \\\\ \xe2\x82\xac\"");
  // Not UTF-8 (a lone continuation octet, an overlong "/", a surrogate): a literal.
  CHECK(name("a\x80", true) == "{2}\r\na\x80");
  CHECK(name("\xc0\xaf", true) == "{2}\r\n\xc0\xaf");
  CHECK(name("\xed\xa0\x80", true) == "{3}\r\n\xed\xa0\x80");
  CHECK(name("\xf0\x9f\x98", true) == "{3}\r\n\xf0\x9f\x98");
  CHECK(name("\xf0\x9f\x98\x80", true) == "\"\xf0\x9f\x98\x80\"");
}

TEST_CASE("imap response: INTERNALDATE is RFC 3501 date-time in UTC") {
  CHECK(FormatInternalDate(0) == "\" 1-Jan-1970 00:00:00 +0000\"");
  CHECK(FormatInternalDate(1700000000) == "\"14-Nov-2023 22:13:20 +0000\"");
}

}  // namespace
}  // namespace mail::imap
