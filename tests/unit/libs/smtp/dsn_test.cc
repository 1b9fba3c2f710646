#include "services/libs/smtp/dsn.h"

#include <catch2/catch.hpp>

#include "services/libs/smtp/command.h"

namespace mail::smtp {
namespace {

TEST_CASE("dsn: NOTIFY lists") {
  auto n = ParseDsnNotify("success,Failure");
  REQUIRE(n.ok());
  CHECK(n->success);
  CHECK(n->failure);
  CHECK_FALSE(n->delay);
  CHECK(ParseDsnNotify("NEVER")->never);
  CHECK_FALSE(ParseDsnNotify("NEVER,SUCCESS").ok());
  CHECK_FALSE(ParseDsnNotify("SUCCESS,SUCCESS").ok());
  CHECK_FALSE(ParseDsnNotify("SOMETIMES").ok());
  CHECK_FALSE(ParseDsnNotify("").ok());
  CHECK_FALSE(ParseDsnNotify("SUCCESS,").ok());
}

TEST_CASE("dsn: ORCPT, ENVID, RET") {
  CHECK(ParseDsnOrcpt("rfc822;bob+2Bx@example.test").value() == "rfc822;bob+2Bx@example.test");
  CHECK_FALSE(ParseDsnOrcpt("rfc822").ok());
  CHECK_FALSE(ParseDsnOrcpt(";a@b").ok());
  CHECK_FALSE(ParseDsnOrcpt("rfc822;").ok());
  CHECK_FALSE(ParseDsnOrcpt("rfc822;a+zz").ok());
  CHECK(ParseDsnEnvid("QQ+2B1").value() == "QQ+1");
  CHECK_FALSE(ParseDsnEnvid(std::string(101, 'a')).ok());
  CHECK(ParseDsnRet("hdrs").value() == DsnRet::kHeaders);
  CHECK(ParseDsnRet("FULL").value() == DsnRet::kFull);
  CHECK_FALSE(ParseDsnRet("BODY").ok());
}

TEST_CASE("dsn: xtext round trip") {
  std::string raw = "a+b=c d\x01";
  std::string enc = EncodeXtext(raw);
  CHECK(enc == "a+2Bb+3Dc+20d+01");
  std::string back;
  REQUIRE(DecodeXtext(enc, &back));
  CHECK(back == raw);
}

}  // namespace
}  // namespace mail::smtp
