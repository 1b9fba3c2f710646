// Tests for header fields prepared for SEARCH (services/libs/mail/search_headers.h).
#include "services/libs/mail/search_headers.h"

#include <catch2/catch.hpp>

namespace mail::mime {
namespace {

TEST_CASE("search headers: folding lowers ASCII and blanks control characters") {
  CHECK(FoldForSearch("Hello WORLD") == "hello world");
  CHECK(FoldForSearch(std::string("a\r\nb\tc\0d", 8)) == "a  b c d");
  // Unicode letters fold too (simple case mapping), final sigma and long s as well.
  CHECK(FoldForSearch("ÄRGER Ärger") == "ärger ärger");
  CHECK(FoldForSearch("ΣΟΦΟΣ σοφος") == "σοφοσ σοφοσ");
  CHECK(FoldForSearch("ПРИВЕТ") == "привет");
  CHECK(FoldForSearch("ＡＢＣ") == "ａｂｃ");                  // fullwidth
  CHECK(FoldForSearch("ſ \u212a") == "s k");                   // long s, Kelvin sign
  CHECK(FoldForSearch("日本語のメール") == "日本語のメール");  // no case: unchanged
  CHECK(FoldForSearch("\U0001F600") == "\U0001F600");
  CHECK(ContainsFolded("Grüße aus MÜNCHEN", "münchen"));
  CHECK(ContainsFolded("Grüße aus München", "GRÜSSE") == false);  // no full folding
  CHECK(FoldForSearch("\xff") == "\xef\xbf\xbd");                 // invalid UTF-8: U+FFFD
}

TEST_CASE("search headers: decoded, unfolded, one key per field name") {
  const std::string header =
      "Subject: =?UTF-8?B?R3LDvMOfZQ==?= from\r\n"
      " Berlin\r\n"
      "Received: by a\r\n"
      "RECEIVED: by \"b\"\\\r\n"
      "To: Bob <bob@example.com>\r\n"
      "\r\n";
  CHECK(SearchHeaderJson(header) ==
        "{\"received\":\"by a\\nby \\\"b\\\"\\\\\",\"subject\":\"grüße from berlin\","
        "\"to\":\"bob <bob@example.com>\"}");
}

TEST_CASE("search headers: no fields, no keys, a huge header is cut off") {
  CHECK(SearchHeaderJson("\r\nbody") == "{}");
  std::string header = "X-Long: " + std::string(200 * 1024, 'a') + "\r\nSubject: late\r\n\r\n";
  std::string json = SearchHeaderJson(header);
  CHECK(json.size() < kMaxSearchHeaderBytes + 64);
  CHECK(json.find("late") == std::string::npos);
}

}  // namespace
}  // namespace mail::mime
