// Tests for the shared SASL decoder (services/libs/mail/sasl.h) used by SMTP AUTH,
// IMAP AUTHENTICATE and POP3 AUTH.
#include "services/libs/mail/sasl.h"

#include <catch2/catch.hpp>
#include <string>

namespace mail {
namespace {

std::string Plain(std::string_view raw) { return EncodeBase64(raw); }

TEST_CASE("sasl: base64 must be canonical") {
  CHECK(DecodeBase64("YWJj").value() == "abc");
  CHECK(DecodeBase64("YWI=").value() == "ab");
  CHECK(DecodeBase64("").value().empty());
  CHECK_FALSE(DecodeBase64("YWI").ok());  // padding missing
  CHECK_FALSE(DecodeBase64("YWJj=").ok());
  CHECK_FALSE(DecodeBase64("=").ok());
  CHECK_FALSE(DecodeBase64("YW J").ok());
  CHECK(DecodeBase64("!!!!").status().message() == "Invalid base64 data");
}

TEST_CASE("sasl: PLAIN with and without authzid (RFC 4616)") {
  auto p = DecodeSaslPlain(Plain(std::string("\0alice@example.test\0secret", 26)));
  REQUIRE(p.ok());
  CHECK(p->authzid.empty());
  CHECK(p->authcid == "alice@example.test");
  CHECK(p->password == "secret");
  auto q = DecodeSaslPlain(Plain(std::string("admin\0bob\0pw", 12)));
  REQUIRE(q.ok());
  CHECK(q->authzid == "admin");
  CHECK(q->authcid == "bob");
  CHECK(q->password == "pw");
}

TEST_CASE("sasl: malformed PLAIN responses are refused") {
  CHECK_FALSE(DecodeSaslPlain("not base64!").ok());
  CHECK_FALSE(DecodeSaslPlain("=").ok());
  CHECK_FALSE(DecodeSaslPlain(Plain("no-nuls")).ok());
  CHECK_FALSE(DecodeSaslPlain(Plain(std::string("a\0b", 3))).ok());
  CHECK_FALSE(DecodeSaslPlain(Plain(std::string("\0\0pw", 4))).ok());       // empty user
  CHECK_FALSE(DecodeSaslPlain(Plain(std::string("\0bob\0", 5))).ok());      // empty password
  CHECK_FALSE(DecodeSaslPlain(Plain(std::string("\0bob\0p\0w", 8))).ok());  // NUL in passwd
  CHECK_FALSE(DecodeSaslPlain(Plain(std::string("a\0\0bob\0pw", 9))).ok());
}

TEST_CASE("sasl: PLAIN fields have a size limit above RFC 4616's 255 octets") {
  std::string ok_user(255, 'u'), ok_pass(255, 'p');
  const std::string nul(1, '\0');
  CHECK(DecodeSaslPlain(Plain(nul + ok_user + nul + ok_pass)).ok());
  std::string long_pass(kMaxSaslPlainField + 1, 'p');
  auto r = DecodeSaslPlain(Plain(std::string("\0bob\0", 5) + long_pass));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "SASL PLAIN field too long");
}

}  // namespace
}  // namespace mail
