// SEARCH criteria parsing (RFC 3501 §6.4.4, ESEARCH RETURN of RFC 4731).
#include "services/libs/imap/search.h"

#include <catch2/catch.hpp>

#include "services/libs/imap/parser.h"

namespace mail::imap {
namespace {

std::vector<Arg> Args(const std::string& line) {
  CommandParser parser;
  REQUIRE(parser.AddLine("t SEARCH " + line) == ParseStatus::kComplete);
  return parser.TakeCommand().args;
}

using Kind = SearchKey::Kind;

TEST_CASE("imap search: keys, OR, NOT, parentheses and sets") {
  auto program = ParseSearch(Args("OR (FROM bob SEEN) NOT LARGER 100 1:5 UID 3:* UNSEEN"));
  REQUIRE(program.ok());
  const SearchKey& root = program->root;
  REQUIRE(root.children.size() == 4);
  CHECK(root.children[0].kind == Kind::kOr);
  CHECK(root.children[0].children[0].kind == Kind::kAnd);
  CHECK(root.children[0].children[0].children[0].kind == Kind::kHeader);
  CHECK(root.children[0].children[0].children[0].field == "FROM");
  CHECK(root.children[0].children[1].kind == Kind::kNot);
  CHECK(root.children[0].children[1].children[0].number == 100);
  CHECK(root.children[1].kind == Kind::kSequence);
  CHECK(root.children[2].kind == Kind::kUid);
  CHECK(root.children[3].kind == Kind::kNoFlag);
  CHECK(root.children[3].text == "\\Seen");
  CHECK(root.NeedsBody());
  CHECK_FALSE(program->esearch);
}

TEST_CASE("imap search: RECENT, NEW and OLD for IMAP4rev1") {
  auto program = ParseSearch(Args("RECENT NEW OLD"));
  REQUIRE(program.ok());
  const SearchKey& root = program->root;
  REQUIRE(root.children.size() == 3);
  CHECK(root.children[0].kind == Kind::kFlag);
  CHECK(root.children[0].text == "\\Recent");
  CHECK(root.children[1].kind == Kind::kAnd);  // \Recent and not \Seen
  CHECK(root.children[2].kind == Kind::kNoFlag);
  CHECK(root.children[2].text == "\\Recent");
}

TEST_CASE("imap search: IMAP4rev2 answers with ESEARCH and has no RECENT keys") {
  auto program = ParseSearch(Args("UNSEEN"), true);
  REQUIRE(program.ok());
  CHECK(program->esearch);
  CHECK(program->return_all);
  CHECK_FALSE(program->return_count);
  program = ParseSearch(Args("RETURN (COUNT) UNSEEN"), true);
  REQUIRE(program.ok());
  CHECK(program->return_count);
  CHECK_FALSE(program->return_all);
  for (const char* key : {"RECENT", "NEW", "OLD", "NOT OLD", "OR SEEN RECENT"}) {
    INFO(key);
    auto bad = ParseSearch(Args(key), true);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK(ParseSearch(Args("RECENT"), false).ok());
}

TEST_CASE("imap search: RETURN options and CHARSET") {
  auto program = ParseSearch(Args("RETURN (MIN COUNT) CHARSET UTF-8 SINCE 1-Feb-1994"));
  REQUIRE(program.ok());
  CHECK(program->esearch);
  CHECK(program->return_min);
  CHECK(program->return_count);
  CHECK_FALSE(program->return_all);
  CHECK(program->root.children[0].kind == Kind::kSince);
  CHECK_FALSE(program->root.NeedsBody());
  auto all = ParseSearch(Args("RETURN () ALL"));
  REQUIRE(all.ok());
  CHECK(all->return_all);
  CHECK(ParseSearch(Args("CHARSET KOI8-R ALL")).status().message() == "BADCHARSET");
}

TEST_CASE("imap search: RETURN (SAVE) and \"$\" (RFC 5182)") {
  auto program = ParseSearch(Args("RETURN (SAVE) $ UID $ SEEN"));
  REQUIRE(program.ok());
  CHECK(program->return_save);
  CHECK(program->SaveOnly());
  CHECK_FALSE(program->return_all);  // RETURN (SAVE) is not RETURN ()
  REQUIRE(program->root.children.size() == 3);
  CHECK(program->root.children[0].kind == Kind::kSequence);
  CHECK(program->root.children[0].set.saved());
  CHECK(program->root.children[1].kind == Kind::kUid);
  CHECK(program->root.children[1].set.saved());
  CHECK(AsksToSave(Args("RETURN (MIN save) ALL")));
  CHECK(AsksToSave(Args("RETURN (SAVE) BOGUS")));
  CHECK_FALSE(AsksToSave(Args("RETURN (MIN) ALL")));
  CHECK_FALSE(AsksToSave(Args("SAVE")));
  // rev2: RETURN (SAVE) alone still sends nothing.
  auto rev2 = ParseSearch(Args("RETURN (SAVE) ALL"), true);
  REQUIRE(rev2.ok());
  CHECK(rev2->SaveOnly());
  CHECK_FALSE(ParseSearch(Args("1,$")).ok());
  CHECK_FALSE(ParseSearch(Args("UID $:4")).ok());
}

TEST_CASE("imap search: what SAVE keeps with MIN, MAX, COUNT and ALL") {
  const std::vector<uint32_t> hits = {2, 5, 9};
  auto saved = [&](const std::string& options) {
    auto program = ParseSearch(Args("RETURN (" + options + ") ALL"));
    REQUIRE(program.ok());
    return program->ResultToSave(hits);
  };
  // RFC 5182 §2.4.
  CHECK(saved("SAVE") == hits);
  CHECK(saved("SAVE MIN") == std::vector<uint32_t>{2});
  CHECK(saved("MAX SAVE") == std::vector<uint32_t>{9});
  CHECK(saved("SAVE MIN MAX") == std::vector<uint32_t>{2, 9});
  CHECK(saved("SAVE MIN COUNT") == hits);
  CHECK(saved("SAVE MAX ALL") == hits);
  auto one = ParseSearch(Args("RETURN (SAVE MIN MAX) ALL"));
  REQUIRE(one.ok());
  CHECK(one->ResultToSave({7}) == std::vector<uint32_t>{7});
  CHECK(one->ResultToSave({}).empty());
}

TEST_CASE("imap search: malformed criteria are rejected") {
  CHECK_FALSE(ParseSearch(Args("FROM")).ok());
  CHECK_FALSE(ParseSearch(Args("LARGER x")).ok());
  CHECK_FALSE(ParseSearch(Args("SINCE 1-Foo-1994")).ok());
  CHECK_FALSE(ParseSearch(Args("BOGUS")).ok());
  CHECK_FALSE(ParseSearch(Args("OR SEEN")).ok());
  CHECK_FALSE(ParseSearch(Args("()")).ok());
  CHECK_FALSE(ParseSearch(Args("RETURN (FOO) ALL")).ok());
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "NOT ";
  CHECK_FALSE(ParseSearch(Args(deep + "SEEN")).ok());
}

TEST_CASE("imap search: case-insensitive substring match") {
  CHECK(ContainsIgnoreCase("Subject: Lunch on Friday", "LUNCH ON"));
  CHECK_FALSE(ContainsIgnoreCase("abc", "abd"));
  CHECK(ContainsIgnoreCase("abc", ""));
  CHECK(ContainsIgnoreCase("Réunion ÉQUIPE", "équipe"));
}

}  // namespace
}  // namespace mail::imap
