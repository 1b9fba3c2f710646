// Tests of RFC 3464 DSN construction (services/outbound-relay/dsn.h).
#include "services/outbound-relay/dsn.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"

namespace mail::outbound_relay {
namespace {

DsnWork FailedWork() {
  DsnWork w;
  w.message_id = "6f1c2a9e-0d6b-4c55-9d5a-1d2f3e4a5b6c";
  w.sender = "alice@example.test";
  w.envelope_id = "env-1";
  w.created_at = absl::FromUnixSeconds(1700000000);
  w.body = "From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: hi\r\n\r\nsecret body\r\n";
  DsnRecipient r;
  r.id = 1;
  r.address = "bob@remote.test";
  r.orcpt = "rfc822;bob+2Bx@remote.test";
  r.state = "failed";
  r.cause = "mailbox_unknown";
  r.last_reply = "550 5.1.1 <bob@remote.test>: no such user here";
  r.last_mta = "mx.remote.test[127.0.0.2]";
  r.attempts = 1;
  r.updated_at = absl::FromUnixSeconds(1700000100);
  w.recipients.push_back(r);
  DsnRecipient d;
  d.id = 2;
  d.address = "nobody@nxdomain.test";
  d.state = "failed";
  d.cause = "domain_not_found";
  d.last_reply = "5.1.2 the domain nxdomain.test does not exist (NXDOMAIN)";
  d.updated_at = absl::FromUnixSeconds(1700000100);
  w.recipients.push_back(d);
  return w;
}

DsnOptions Options() {
  DsnOptions o;
  o.hostname = "mx.example.test";
  o.message_id = "11111111-2222-3333-4444-555555555555";
  o.now = absl::FromUnixSeconds(1700000200);
  return o;
}

// The decoded text/plain part.
std::string HumanPart(const std::string& dsn) {
  size_t start = dsn.find("Content-Transfer-Encoding: base64\r\n");
  REQUIRE(start != std::string::npos);
  start = dsn.find("\r\n\r\n", start) + 4;
  size_t end = dsn.find("\r\n\r\n--", start);
  std::string b64 = dsn.substr(start, end - start);
  b64.erase(std::remove(b64.begin(), b64.end(), '\r'), b64.end());
  b64.erase(std::remove(b64.begin(), b64.end(), '\n'), b64.end());
  std::string text;
  REQUIRE(absl::Base64Unescape(b64, &text));
  return text;
}

TEST_CASE("dsn: failure report has the RFC 3464 structure") {
  std::string dsn = BuildDsn(FailedWork(), Options());
  CHECK(dsn.find("From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\n") == 0);
  CHECK(dsn.find("To: <alice@example.test>\r\n") != std::string::npos);
  CHECK(dsn.find("Auto-Submitted: auto-replied\r\n") != std::string::npos);
  CHECK(dsn.find("Content-Type: multipart/report; report-type=delivery-status;") !=
        std::string::npos);
  CHECK(dsn.find("Content-Type: message/delivery-status\r\n") != std::string::npos);
  CHECK(dsn.find("Reporting-MTA: dns; mx.example.test\r\n") != std::string::npos);
  CHECK(dsn.find("Original-Envelope-Id: env-1\r\n") != std::string::npos);
  CHECK(dsn.find("Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n") != std::string::npos);
  CHECK(dsn.find("Final-Recipient: rfc822; bob@remote.test\r\n") != std::string::npos);
  CHECK(dsn.find("Original-Recipient: rfc822; bob+x@remote.test\r\n") != std::string::npos);
  CHECK(dsn.find("Action: failed\r\nStatus: 5.1.1\r\n") != std::string::npos);
  CHECK(dsn.find("Remote-MTA: dns; mx.remote.test\r\n") != std::string::npos);
  CHECK(dsn.find("Diagnostic-Code: smtp; 550 5.1.1 <bob@remote.test>: no such user here\r\n") !=
        std::string::npos);
  CHECK(dsn.find("Final-Recipient: rfc822; nobody@nxdomain.test\r\nAction: failed\r\n"
                 "Status: 5.1.2\r\n") != std::string::npos);
  // RET=HDRS (default): headers only, never the body.
  CHECK(dsn.find("Content-Type: text/rfc822-headers\r\n") != std::string::npos);
  CHECK(dsn.find("Subject: hi\r\n") != std::string::npos);
  CHECK(dsn.find("secret body") == std::string::npos);
  CHECK(dsn.find("--=_dsn_11111111-2222-3333-4444-555555555555--\r\n") != std::string::npos);
  // No bare LF anywhere.
  for (size_t i = 0; i < dsn.size(); ++i) {
    if (dsn[i] == '\n') REQUIRE((i > 0 && dsn[i - 1] == '\r'));
  }
}

TEST_CASE("dsn: the human-readable part explains each recipient in English and Japanese") {
  std::string text = HumanPart(BuildDsn(FailedWork(), Options()));
  CHECK(text.find("<bob@remote.test>") != std::string::npos);
  CHECK(text.find("The address does not exist at the receiving server.") != std::string::npos);
  CHECK(text.find("Check the part before the @ for typos") != std::string::npos);
  CHECK(text.find("permanent; the message will not be retried") != std::string::npos);
  CHECK(text.find("mx.remote.test[127.0.0.2] said: 550 5.1.1") != std::string::npos);
  CHECK(text.find("The domain after the @ does not exist.") != std::string::npos);
  CHECK(text.find("受信側のサーバーにこのアドレスは存在しません。") != std::string::npos);
  CHECK(text.find("@より後ろのドメインが存在しません。") != std::string::npos);
  CHECK(text.find("恒久的なエラーです。") != std::string::npos);
}

TEST_CASE("dsn: RET=FULL returns the whole message") {
  DsnWork w = FailedWork();
  w.ret = "FULL";
  std::string dsn = BuildDsn(w, Options());
  CHECK(dsn.find("Content-Type: message/rfc822\r\n") != std::string::npos);
  CHECK(dsn.find("secret body") != std::string::npos);
}

TEST_CASE("dsn: delay warnings and success reports") {
  DsnWork w = FailedWork();
  w.delay = true;
  w.recipients.resize(1);
  w.recipients[0].state = "queued";
  w.recipients[0].cause = "greylisted";
  w.recipients[0].last_reply = "451 4.7.1 greylisted";
  std::string dsn = BuildDsn(w, Options());
  CHECK(dsn.find("Action: delayed\r\nStatus: 4.7.1\r\n") != std::string::npos);
  CHECK(dsn.find("Will-Retry-Until: ") != std::string::npos);
  CHECK(dsn.find("Subject: Delayed Mail") != std::string::npos);
  CHECK(HumanPart(dsn).find("temporary; delivery is retried until") != std::string::npos);

  DsnWork s = FailedWork();
  s.recipients.resize(1);
  s.recipients[0].state = "delivered";
  s.recipients[0].cause = "delivered";
  s.recipients[0].last_reply = "250 2.0.0 Ok: queued";
  dsn = BuildDsn(s, Options());
  CHECK(dsn.find("Action: delivered\r\nStatus: 2.0.0\r\n") != std::string::npos);
  CHECK(dsn.find("Subject: Successful Mail Delivery Report") != std::string::npos);
}

TEST_CASE("dsn: status of a temporary failure that ran out of time stays 4.x.x") {
  DsnRecipient r;
  r.state = "failed";
  r.last_reply = "451 4.3.0 try again later";
  CHECK(DsnStatus(r) == "4.3.0");
  r.last_reply = "421 service not available";
  r.cause = "service_unavailable";
  CHECK(DsnStatus(r) == "4.3.2");
  r.last_reply = "554 no";
  r.cause = "policy_rejection";
  CHECK(DsnStatus(r) == "5.7.1");
  r.last_reply = "";
  r.cause = "suppressed";
  CHECK(DsnStatus(r) == "5.1.1");
}

TEST_CASE("dsn: stored replies and ORCPT parse defensively") {
  ParsedReply p = ParseStoredReply("550 5.1.1 no such user");
  CHECK(p.code == 550);
  CHECK(p.status == "5.1.1");
  CHECK(p.text == "no such user");
  p = ParseStoredReply("5.1.10 null MX");
  CHECK(p.code == 0);
  CHECK(p.status == "5.1.10");
  p = ParseStoredReply("garbage");
  CHECK(p.code == 0);
  CHECK(p.status.empty());
  CHECK(ParseStoredReply("").code == 0);
  CHECK(DecodeOrcpt("rfc822;a+2Bb@x").second == "a+b@x");
  CHECK(DecodeOrcpt("bad").first.empty());
  CHECK(DecodeOrcpt("rfc822;a+0D+0Ab@x").second == "a  b@x");  // no header injection
}

TEST_CASE("dsn: an untrusted reply cannot inject fields") {
  DsnWork w = FailedWork();
  w.recipients[0].last_reply = "550 5.1.1 x\r\nAction: delivered";
  std::string dsn = BuildDsn(w, Options());
  CHECK(dsn.find("\r\nAction: delivered") == std::string::npos);
}

}  // namespace
}  // namespace mail::outbound_relay
