// Tests for SASL PLAIN decoding in POP3 AUTH (services/libs/pop3/sasl.h).
#include "services/libs/pop3/sasl.h"

#include <catch2/catch.hpp>

namespace mail::pop3 {
namespace {

TEST_CASE("pop3 sasl: decodes authzid, user and password") {
  // "\0alice@example.test\0pw"
  auto creds = DecodeSaslPlain("AGFsaWNlQGV4YW1wbGUudGVzdABwdw==");
  REQUIRE(creds.ok());
  CHECK(creds->authzid.empty());
  CHECK(creds->authcid == "alice@example.test");
  CHECK(creds->password == "pw");
}

TEST_CASE("pop3 sasl: refuses bad base64 and incomplete responses") {
  CHECK_FALSE(DecodeSaslPlain("not base64!").ok());
  CHECK_FALSE(DecodeSaslPlain("=").ok());
  CHECK_FALSE(DecodeSaslPlain("YWxpY2U=").ok());      // "alice": no NULs
  CHECK_FALSE(DecodeSaslPlain("AGFsaWNlAA==").ok());  // empty password
}

}  // namespace
}  // namespace mail::pop3
