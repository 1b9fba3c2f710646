// Address and domain normalisation of mailbox-store.
#include "services/mailbox-store/address.h"

#include <catch2/catch.hpp>

namespace mail::mailbox_store {
namespace {

TEST_CASE("address: domains are lower-cased without a trailing dot") {
  auto d = NormalizeDomain("Example.TEST.");
  REQUIRE(d.ok());
  CHECK(*d == "example.test");
  CHECK(NormalizeDomain("xn--bcher-kva.example").ok());
  CHECK(NormalizeDomain("localhost").ok());
}

TEST_CASE("address: malformed domains are rejected") {
  for (const char* bad :
       {"", ".", "a..b", "-a.test", "a-.test", "under_score.test", "a b.test", "[127.0.0.1]",
        "b\xc3\xbc"
        "cher.test"}) {
    INFO(bad);
    CHECK(NormalizeDomain(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK_FALSE(NormalizeDomain(std::string(64, 'a') + ".test").ok());
  CHECK_FALSE(NormalizeDomain(std::string(250, 'a') + ".test").ok());
}

TEST_CASE("address: the local part keeps its case, the domain does not") {
  auto a = ParseAddress("Alice.Smith@Example.TEST");
  REQUIRE(a.ok());
  CHECK(a->local == "Alice.Smith");
  CHECK(a->domain == "example.test");
  CHECK(a->ToString() == "Alice.Smith@example.test");
}

TEST_CASE("address: dot-atom rules apply to account addresses") {
  CHECK(ParseAddress("a+b@x.test").ok());
  CHECK(ParseAddress("o'neil@x.test").ok());
  CHECK(ParseAddress("j\xc3\xb6rg@x.test").ok());  // RFC 6531 UTF-8 local part
  for (const char* bad : {"nobody", "@x.test", ".a@x.test", "a.@x.test", "a..b@x.test",
                          "a b@x.test", "\"a\"@x.test", "a@", "a@bad_domain", "a(b)@x.test"}) {
    INFO(bad);
    CHECK(ParseAddress(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK_FALSE(ParseAddress(std::string(65, 'a') + "@x.test").ok());
  CHECK(ParseAddress(std::string(64, 'a') + "@x.test").ok());
}

TEST_CASE("address: an alias address may be a catch-all") {
  auto a = ParseAliasAddress("@Example.test");
  REQUIRE(a.ok());
  CHECK(a->local.empty());
  CHECK(a->ToString() == "@example.test");
  CHECK_FALSE(ParseAliasAddress("@").ok());
  CHECK(ParseAliasAddress("x@example.test").ok());
}

TEST_CASE("address: envelope addresses are split leniently") {
  auto a = SplitEnvelopeAddress("\"john doe\"@Example.test");
  REQUIRE(a.ok());
  CHECK(a->local == "\"john doe\"");
  CHECK(a->domain == "example.test");
  // The last @ separates the domain.
  auto b = SplitEnvelopeAddress("a@b@x.test");
  REQUIRE(b.ok());
  CHECK(b->local == "a@b");
  CHECK_FALSE(SplitEnvelopeAddress("a\r\n@x.test").ok());
  CHECK_FALSE(SplitEnvelopeAddress("x.test").ok());
}

TEST_CASE("address: subaddress tags are stripped at the first plus") {
  CHECK(StripSubaddress("bob+lists") == "bob");
  CHECK(StripSubaddress("bob+a+b") == "bob");
  CHECK(StripSubaddress("bob").empty());
  CHECK(StripSubaddress("+bob").empty());
}

}  // namespace
}  // namespace mail::mailbox_store
