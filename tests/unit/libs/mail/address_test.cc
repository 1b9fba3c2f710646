#include "services/libs/mail/address.h"

#include <catch2/catch.hpp>

namespace mail {
namespace {

Path MustParse(std::string_view text, ParseOptions options = {}, size_t* used = nullptr) {
  auto p = ParsePath(text, options, used);
  INFO(text << " -> " << p.status().ToString());
  REQUIRE(p.ok());
  return *p;
}

bool Fails(std::string_view text, ParseOptions options = {}) {
  return !ParsePath(text, options).ok();
}

TEST_CASE("address: parses a plain path and lowercases the domain only") {
  size_t used = 0;
  Path p = MustParse("<John.Doe@Example.TEST> SIZE=10", {}, &used);
  CHECK_FALSE(p.null);
  CHECK(p.mailbox.local_part == "John.Doe");
  CHECK(p.mailbox.domain == "example.test");
  CHECK(p.mailbox.ToString() == "John.Doe@example.test");
  CHECK(used == 23);
}

TEST_CASE("address: null path only where allowed") {
  ParseOptions o;
  CHECK(Fails("<>", o));
  o.allow_null = true;
  CHECK(MustParse("<>", o).null);
}

TEST_CASE("address: quoted local parts are kept quoted unless they are dot-strings") {
  CHECK(MustParse("<\"john..doe\"@example.test>").mailbox.local_part == "\"john..doe\"");
  CHECK(MustParse("<\"a b\"@example.test>").mailbox.ToString() == "\"a b\"@example.test");
  CHECK(MustParse("<\"plain\"@example.test>").mailbox.local_part == "plain");
  CHECK(MustParse("<\"a\\\"b\"@example.test>").mailbox.local_part == "\"a\\\"b\"");
  CHECK(MustParse("<\"odd@at>\"@example.test>").mailbox.domain == "example.test");
  CHECK(Fails("<\"unterminated@example.test>"));
}

TEST_CASE("address: source routes are accepted and dropped") {
  Path p = MustParse("<@relay.test,@other.test:user@example.test>");
  CHECK(p.mailbox.ToString() == "user@example.test");
  CHECK(Fails("<@relay.test user@example.test>"));
}

TEST_CASE("address: address literals") {
  CHECK(MustParse("<u@[192.0.2.1]>").mailbox.domain == "[192.0.2.1]");
  CHECK(MustParse("<u@[IPv6:2001:db8::1]>").mailbox.domain == "[ipv6:2001:db8::1]");
  CHECK(Fails("<u@[999.0.2.1]>"));
  CHECK(Fails("<u@[IPv6:zz]>"));
}

TEST_CASE("address: rejects malformed addresses") {
  for (const char* bad :
       {"", "<", "<u@example.test", "<@example.test>", "<u@>", "<u>", "<u@-bad.test>",
        "<u@bad-.test>", "<u@a..test>", "<.u@example.test>", "<u.@example.test>",
        "<u..v@example.test>", "<u v@example.test>", "<u@exa mple.test>", "u@example.test"}) {
    INFO(bad);
    CHECK(Fails(bad));
  }
}

TEST_CASE("address: bare addresses only when allowed") {
  ParseOptions o;
  o.allow_bare = true;
  size_t used = 0;
  Path p = MustParse("user@Example.test SIZE=1", o, &used);
  CHECK(p.mailbox.ToString() == "user@example.test");
  CHECK(used == 17);
}

TEST_CASE("address: Postmaster without domain for RCPT") {
  ParseOptions o;
  CHECK(Fails("<Postmaster>", o));
  o.allow_postmaster = true;
  Path p = MustParse("<Postmaster>", o);
  CHECK(p.mailbox.local_part == "postmaster");
  CHECK(p.mailbox.domain.empty());
}

TEST_CASE("address: UTF-8 needs SMTPUTF8") {
  const char* utf8 = "<j\xC3\xB6rg@\xC3\xA9xample.test>";
  CHECK(Fails(utf8));
  ParseOptions o;
  o.allow_utf8 = true;
  Path p = MustParse(utf8, o);
  CHECK(p.mailbox.utf8);
  CHECK(Fails("<j\xC3@example.test>", o));  // truncated sequence
}

TEST_CASE("address: length limits of RFC 5321 section 4.5.3.1") {
  std::string local(64, 'a');
  CHECK_FALSE(Fails("<" + local + "@example.test>"));
  CHECK(Fails("<" + local + "a@example.test>"));
  std::string label(63, 'b');
  CHECK(Fails("<a@" + label + "x.test>"));
  std::string longdom = label + "." + label + "." + label + "." + label + ".test";
  CHECK(Fails("<a@" + longdom + ">"));
}

TEST_CASE("address: SplitAddress splits at the last at-sign") {
  std::string l, d;
  REQUIRE(SplitAddress("\"a@b\"@example.test", &l, &d));
  CHECK(l == "\"a@b\"");
  CHECK(d == "example.test");
  CHECK_FALSE(SplitAddress("nodomain", &l, &d));
  CHECK_FALSE(SplitAddress("@example.test", &l, &d));
  CHECK_FALSE(SplitAddress("user@", &l, &d));
}

TEST_CASE("address: SameAddress ignores ASCII case and needless quotes") {
  CHECK(SameAddress("Alice@Example.Test", "alice@example.test"));
  CHECK(SameAddress("\"alice\"@example.test", "alice@example.test"));
  CHECK_FALSE(SameAddress("alice@example.test", "bob@example.test"));
}

TEST_CASE("address: ParseMailbox wants nothing after the address") {
  CHECK(ParseMailbox("a@example.test").ok());
  CHECK_FALSE(ParseMailbox("a@example.test x").ok());
}

TEST_CASE("address: IsValidUtf8") {
  CHECK(IsValidUtf8("plain"));
  CHECK(IsValidUtf8("\xE6\x97\xA5\xE6\x9C\xAC"));
  CHECK_FALSE(IsValidUtf8("\xC0\x80"));      // overlong
  CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  CHECK_FALSE(IsValidUtf8("\xE6\x97"));      // truncated
  CHECK(IsValidUtf8("\xF0\x9F\x98\x80"));    // emoji
}

}  // namespace
}  // namespace mail
