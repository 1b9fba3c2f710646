// Tests for IMAP sequence sets (services/libs/imap/sequence_set.h).
#include "services/libs/imap/sequence_set.h"

#include <catch2/catch.hpp>

namespace mail::imap {
namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

TEST_CASE("imap sequence set: numbers, ranges and star") {
  auto set = SequenceSet::Parse("2,4:7,9,12:*");
  REQUIRE(set.ok());
  CHECK(set->Resolve(15) == Ranges{{2, 2}, {4, 7}, {9, 9}, {12, 15}});
  CHECK(set->Contains(5, 15));
  CHECK_FALSE(set->Contains(8, 15));
  CHECK(set->Contains(15, 15));
  CHECK_FALSE(set->Contains(16, 15));
  CHECK(set->max_explicit() == 12);
  CHECK(set->has_star());
}

TEST_CASE("imap sequence set: 1:* and reversed ranges") {
  auto all = SequenceSet::Parse("1:*");
  REQUIRE(all.ok());
  CHECK(all->Resolve(3) == Ranges{{1, 3}});
  auto reversed = SequenceSet::Parse("7:4");
  REQUIRE(reversed.ok());
  CHECK(reversed->Resolve(10) == Ranges{{4, 7}});
  // RFC 3501 §6.4.8: "559:*" includes the last UID even when it is below 559.
  auto past = SequenceSet::Parse("559:*");
  REQUIRE(past.ok());
  CHECK(past->Contains(100, 100));
  CHECK_FALSE(past->Contains(99, 100));
}

TEST_CASE("imap sequence set: overlapping ranges merge") {
  auto set = SequenceSet::Parse("5:9,1:3,4,8:12,*");
  REQUIRE(set.ok());
  CHECK(set->Resolve(20) == Ranges{{1, 12}, {20, 20}});
  auto top = SequenceSet::Parse("4294967295,1:4294967295");
  REQUIRE(top.ok());
  CHECK(top->Resolve(5) == Ranges{{1, 4294967295u}});
}

TEST_CASE("imap sequence set: star on an empty mailbox matches nothing") {
  auto set = SequenceSet::Parse("*");
  REQUIRE(set.ok());
  CHECK_FALSE(set->Contains(0, 0));
  CHECK_FALSE(set->Contains(1, 0));
}

TEST_CASE("imap sequence set: malformed sets are refused") {
  for (const char* bad : {"", "0", "01", "1:", ":2", "1,,2", "1,", "a", "1:2:3", "-1", "1 2",
                          "4294967296", "$", "1:0"}) {
    INFO(bad);
    CHECK_FALSE(SequenceSet::Parse(bad).ok());
  }
}

TEST_CASE("imap sequence set: \"$\" is the saved search result where allowed") {
  // RFC 5182 §3: seq-last-command = "$", only on its own.
  auto saved = SequenceSet::Parse("$", true);
  REQUIRE(saved.ok());
  CHECK(saved->saved());
  CHECK_FALSE(saved->has_star());
  CHECK(saved->max_explicit() == 0);
  CHECK(saved->Resolve(10).empty());
  CHECK_FALSE(saved->Contains(1, 10));
  CHECK_FALSE(SequenceSet::Parse("1:3", true)->saved());
  for (const char* bad : {"$,1", "1,$", "$:3", "$$", "$1", "1:$"}) {
    INFO(bad);
    CHECK_FALSE(SequenceSet::Parse(bad, true).ok());
  }
}

TEST_CASE("imap sequence set: the number of ranges is limited") {
  std::string many;
  for (size_t i = 0; i <= SequenceSet::kMaxRanges; ++i) many += "1,";
  many += "1";
  CHECK_FALSE(SequenceSet::Parse(many).ok());
}

TEST_CASE("imap sequence_set: numbers are written back in compact form") {
  CHECK(FormatSequenceSet({}) == "");
  CHECK(FormatSequenceSet({1, 2, 3, 5, 7, 8}) == "1:3,5,7:8");
  CHECK(FormatSequenceSet({4}) == "4");
}

}  // namespace
}  // namespace mail::imap
