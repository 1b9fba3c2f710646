// Tests for FETCH message sections (services/libs/imap/message_sections.h).
#include "services/libs/imap/message_sections.h"

#include <catch2/catch.hpp>

namespace mail::imap {
namespace {

const char kMessage[] =
    "Received: from x\r\n"
    "  by y\r\n"
    "From: a@example.test\r\n"
    "Subject: hi\r\n"
    "To: b@example.test\r\n"
    "\r\n"
    "body\r\n";

TEST_CASE("imap sections: header includes the blank line, text follows") {
  MessageParts parts = SplitMessage(kMessage);
  CHECK(parts.header.size() + parts.text.size() == sizeof(kMessage) - 1);
  CHECK(parts.header.substr(parts.header.size() - 4) == "\r\n\r\n");
  CHECK(parts.text == "body\r\n");

  MessageParts no_body = SplitMessage("A: b\r\n");
  CHECK(no_body.header == "A: b\r\n");
  CHECK(no_body.text.empty());

  MessageParts lf = SplitMessage("A: b\n\nx\n");
  CHECK(lf.header == "A: b\n\n");
  CHECK(lf.text == "x\n");
}

TEST_CASE("imap sections: HEADER.FIELDS and HEADER.FIELDS.NOT keep folded lines") {
  std::string header(SplitMessage(kMessage).header);
  CHECK(FilterHeaderFields(header, {"SUBJECT", "FROM"}, false) ==
        "From: a@example.test\r\nSubject: hi\r\n\r\n");
  CHECK(FilterHeaderFields(header, {"FROM", "SUBJECT", "TO"}, true) ==
        "Received: from x\r\n  by y\r\n\r\n");
  CHECK(FilterHeaderFields(header, {"X-NONE"}, false) == "\r\n");
  CHECK(FilterHeaderFields("Subject : spaced\r\ngarbage line\r\n", {"SUBJECT"}, false) ==
        "Subject : spaced\r\n\r\n");
}

TEST_CASE("imap sections: partial ranges clamp to the data") {
  CHECK(PartialRange("abcdef", 0, 3) == "abc");
  CHECK(PartialRange("abcdef", 4, 100) == "ef");
  CHECK(PartialRange("abcdef", 6, 1).empty());
  CHECK(PartialRange("abcdef", 4000000000u, 1).empty());
}

}  // namespace
}  // namespace mail::imap
