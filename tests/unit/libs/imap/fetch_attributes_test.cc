// Tests for FETCH data item parsing (services/libs/imap/fetch_attributes.h).
#include "services/libs/imap/fetch_attributes.h"

#include <catch2/catch.hpp>

namespace mail::imap {
namespace {

using Kind = FetchAttribute::Kind;

Arg Atom(std::string v) {
  Arg a;
  a.value = std::move(v);
  return a;
}

TEST_CASE("imap fetch: simple items and macros") {
  auto fast = ParseFetchAttributes(Atom("fast"));
  REQUIRE(fast.ok());
  REQUIRE(fast->size() == 3);
  CHECK((*fast)[0].kind == Kind::kFlags);
  CHECK((*fast)[2].kind == Kind::kRfc822Size);

  Arg list;
  list.type = Arg::Type::kList;
  list.list = {Atom("UID"), Atom("rfc822.size"), Atom("INTERNALDATE"), Atom("RFC822")};
  auto items = ParseFetchAttributes(list);
  REQUIRE(items.ok());
  REQUIRE(items->size() == 4);
  CHECK((*items)[3].kind == Kind::kRfc822);
  CHECK((*items)[3].SetsSeen());
  CHECK((*items)[3].NeedsBody());
  CHECK_FALSE((*items)[0].NeedsBody());
}

TEST_CASE("imap fetch: BODY sections and their response names") {
  auto body = ParseFetchAttribute("BODY[]");
  REQUIRE(body.ok());
  CHECK(body->kind == Kind::kBodySection);
  CHECK_FALSE(body->peek);
  CHECK(body->SetsSeen());
  CHECK(body->ResponseName() == "BODY[]");

  auto peek = ParseFetchAttribute("body.peek[header]<0.100>");
  REQUIRE(peek.ok());
  CHECK(peek->peek);
  CHECK_FALSE(peek->SetsSeen());
  CHECK(peek->section.text == Section::Text::kHeader);
  CHECK(*peek->partial_offset == 0);
  CHECK(peek->partial_count == 100);
  CHECK(peek->ResponseName() == "BODY[HEADER]<0>");

  auto fields = ParseFetchAttribute("BODY.PEEK[HEADER.FIELDS (From to \"Subject\")]");
  REQUIRE(fields.ok());
  CHECK(fields->section.text == Section::Text::kHeaderFields);
  CHECK(fields->section.fields == std::vector<std::string>{"FROM", "TO", "SUBJECT"});
  CHECK(fields->ResponseName() == "BODY[HEADER.FIELDS (FROM TO SUBJECT)]");

  auto part = ParseFetchAttribute("BODY[1.2.MIME]");
  REQUIRE(part.ok());
  CHECK(part->section.part == std::vector<uint32_t>{1, 2});
  CHECK(part->section.text == Section::Text::kMime);
  CHECK(part->ResponseName() == "BODY[1.2.MIME]");

  auto text = ParseFetchAttribute("BODY[TEXT]<10.5>");
  REQUIRE(text.ok());
  CHECK(text->ResponseName() == "BODY[TEXT]<10>");
}

TEST_CASE("imap fetch: malformed items are refused") {
  for (const char* bad :
       {"BODY[", "BODY[HEAD]", "BODY[MIME]", "BODY[0]", "BODY[1.]", "BODY[01]",
        "BODY[HEADER.FIELDS]", "BODY[HEADER.FIELDS ()]", "BODY[HEADER.FIELDS (a:b)]", "BODY[]<1>",
        "BODY[]<1.0>", "BODY[]<a.1>", "BODY[]x", "BODY.PEK[]", "X-UNKNOWN", "BODY[TEXT ]"}) {
    INFO(bad);
    CHECK_FALSE(ParseFetchAttribute(bad).ok());
  }
  Arg list;
  list.type = Arg::Type::kList;
  list.list = {Atom("ALL")};  // macros only stand alone
  CHECK_FALSE(ParseFetchAttributes(list).ok());
  Arg empty;
  empty.type = Arg::Type::kList;
  CHECK_FALSE(ParseFetchAttributes(empty).ok());
  Arg quoted;
  quoted.type = Arg::Type::kQuoted;
  quoted.value = "FLAGS";
  CHECK_FALSE(ParseFetchAttributes(quoted).ok());
}

}  // namespace
}  // namespace mail::imap

namespace mail::imap {
namespace {

TEST_CASE("imap fetch: BINARY, BINARY.PEEK and BINARY.SIZE (RFC 3516)") {
  auto binary = ParseFetchAttribute("BINARY[1.2]<0.10>");
  REQUIRE(binary.ok());
  CHECK(binary->kind == FetchAttribute::Kind::kBinary);
  CHECK(binary->ResponseName() == "BINARY[1.2]<0>");
  CHECK(binary->SetsSeen());
  CHECK(binary->NeedsBody());
  auto peek = ParseFetchAttribute("binary.peek[2]");
  REQUIRE(peek.ok());
  CHECK_FALSE(peek->SetsSeen());
  CHECK(peek->ResponseName() == "BINARY[2]");
  auto size = ParseFetchAttribute("BINARY.SIZE[3]");
  REQUIRE(size.ok());
  CHECK(size->kind == FetchAttribute::Kind::kBinarySize);
  CHECK(size->ResponseName() == "BINARY.SIZE[3]");
  CHECK_FALSE(size->SetsSeen());
  for (const char* bad :
       {"BINARY[1.TEXT]", "BINARY[HEADER]", "BINARY.SIZE[1]<0.5>", "BINARY.X[1]"}) {
    INFO(bad);
    CHECK_FALSE(ParseFetchAttribute(bad).ok());
  }
}

}  // namespace
}  // namespace mail::imap
