#include "services/libs/smtp/sasl.h"

#include <catch2/catch.hpp>

namespace mail::smtp {
namespace {

TEST_CASE("sasl: PLAIN with and without authzid") {
  auto p = DecodeSaslPlain(EncodeBase64(std::string("\0alice@example.test\0secret", 26)));
  REQUIRE(p.ok());
  CHECK(p->authzid.empty());
  CHECK(p->authcid == "alice@example.test");
  CHECK(p->password == "secret");
  auto q = DecodeSaslPlain(EncodeBase64(std::string("admin\0bob\0pw", 12)));
  REQUIRE(q.ok());
  CHECK(q->authzid == "admin");
  CHECK(q->authcid == "bob");
}

TEST_CASE("sasl: malformed PLAIN and base64 are errors") {
  CHECK_FALSE(DecodeSaslPlain("!!!!").ok());
  CHECK_FALSE(DecodeSaslPlain(EncodeBase64("no-nuls")).ok());
  CHECK_FALSE(DecodeSaslPlain(EncodeBase64(std::string("\0\0pw", 4))).ok());
  CHECK_FALSE(DecodeBase64("YWJj=").ok());
  CHECK(DecodeBase64("YWJj").value() == "abc");
  CHECK(DecodeBase64("").value().empty());
}

}  // namespace
}  // namespace mail::smtp
