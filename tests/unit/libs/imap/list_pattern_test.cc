// Tests for LIST pattern matching (services/libs/imap/list_pattern.h).
#include "services/libs/imap/list_pattern.h"

#include <catch2/catch.hpp>
#include <string>

namespace mail::imap {
namespace {

TEST_CASE("imap list pattern: star and percent") {
  CHECK(ListPatternMatches("*", "INBOX"));
  CHECK(ListPatternMatches("*", "Archive/2024/May"));
  CHECK(ListPatternMatches("%", "Sent"));
  CHECK_FALSE(ListPatternMatches("%", "Archive/2024"));
  CHECK(ListPatternMatches("Archive/%", "Archive/2024"));
  CHECK_FALSE(ListPatternMatches("Archive/%", "Archive/2024/May"));
  CHECK(ListPatternMatches("Archive/*", "Archive/2024/May"));
  CHECK(ListPatternMatches("S*t", "Sent"));
  CHECK_FALSE(ListPatternMatches("S*t", "Sent Items"));
  CHECK(ListPatternMatches("Sent", "Sent"));
  CHECK_FALSE(ListPatternMatches("sent", "Sent"));
  CHECK_FALSE(ListPatternMatches("", "Sent"));
}

TEST_CASE("imap list pattern: INBOX is case-insensitive") {
  CHECK(ListPatternMatches("inbox", "INBOX"));
  CHECK(ListPatternMatches("InBox/%", "INBOX/child"));
  CHECK(CanonicalMailboxName("inBOX") == "INBOX");
  CHECK(CanonicalMailboxName("inbox/Sub") == "INBOX/Sub");
  CHECK(CanonicalMailboxName("inboxes") == "inboxes");
}

TEST_CASE("imap list pattern: many wildcards stay cheap") {
  std::string pattern(2000, '*');
  std::string name(2000, 'a');
  CHECK(ListPatternMatches(pattern + "b", name + "b"));
  CHECK_FALSE(ListPatternMatches(pattern + "b", name));
}

TEST_CASE("imap list pattern: reference and pattern combine") {
  CHECK(CombineListPattern("", "*") == "*");
  CHECK(CombineListPattern("Archive/", "%") == "Archive/%");
  CHECK(CombineListPattern("Archive/", "/x") == "Archive/x");
}

}  // namespace
}  // namespace mail::imap
