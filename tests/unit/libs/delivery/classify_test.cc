// Tests of the delivery-failure classification table (services/libs/delivery).
#include "services/libs/delivery/classify.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>

namespace mail::delivery {
namespace {

std::string IdOf(int code, std::string_view enhanced, std::string_view text = "") {
  Outcome o;
  o.code = code;
  o.enhanced = enhanced;
  o.text = text;
  return std::string(Classify(o).cause->id);
}

Permanence PermOf(int code, std::string_view enhanced) {
  Outcome o;
  o.code = code;
  o.enhanced = enhanced;
  return Classify(o).permanence;
}

TEST_CASE("classify: common SMTP replies with enhanced codes") {
  CHECK(IdOf(550, "5.1.1") == "mailbox_unknown");
  CHECK(IdOf(550, "5.1.2") == "domain_not_found");
  CHECK(IdOf(553, "5.1.3") == "address_invalid");
  CHECK(IdOf(551, "5.1.6") == "mailbox_moved");
  CHECK(IdOf(550, "5.2.1") == "mailbox_disabled");
  CHECK(IdOf(552, "5.2.2") == "mailbox_full");
  CHECK(IdOf(452, "4.2.2") == "mailbox_full");
  CHECK(IdOf(552, "5.3.4") == "message_too_large");
  CHECK(IdOf(552, "5.2.3") == "message_too_large");
  CHECK(IdOf(452, "4.3.1") == "system_full");
  CHECK(IdOf(452, "4.5.3") == "too_many_recipients");
  CHECK(IdOf(421, "4.3.2") == "service_unavailable");
  CHECK(IdOf(451, "4.3.0") == "remote_server_error");
  CHECK(IdOf(451, "4.7.1", "Greylisted, please try again later") == "greylisted");
  CHECK(IdOf(450, "4.2.0", "greylisting in action") == "greylisted");
  CHECK(IdOf(421, "4.7.0", "too many connections") == "rate_limited");
  CHECK(IdOf(421, "4.7.28", "rate limited") == "rate_limited");
  CHECK(IdOf(550, "5.7.1", "relaying denied") == "policy_rejection");
  CHECK(IdOf(554, "5.7.1", "message looks like spam") == "spam_rejection");
  CHECK(IdOf(550, "5.7.26", "DMARC policy") == "sender_authentication");
  CHECK(IdOf(553, "5.1.8", "sender domain does not exist") == "sender_rejected");
  CHECK(IdOf(550, "5.6.7") == "smtputf8_unsupported");
  CHECK(IdOf(554, "5.6.0") == "content_rejected");
  CHECK(IdOf(500, "5.5.2") == "protocol_error");
  CHECK(IdOf(554, "5.4.6") == "routing_loop");
}

TEST_CASE("classify: basic codes without an enhanced code") {
  CHECK(IdOf(421, "") == "service_unavailable");
  CHECK(IdOf(450, "") == "mailbox_busy");
  CHECK(IdOf(451, "") == "remote_server_error");
  CHECK(IdOf(452, "") == "system_full");
  CHECK(IdOf(550, "") == "mailbox_unavailable");
  CHECK(IdOf(550, "", "User unknown") == "mailbox_unknown");
  CHECK(IdOf(551, "") == "mailbox_moved");
  CHECK(IdOf(552, "") == "mailbox_full");
  CHECK(IdOf(553, "") == "address_invalid");
  CHECK(IdOf(554, "") == "policy_rejection");
  CHECK(IdOf(503, "") == "protocol_error");
  CHECK(IdOf(250, "2.0.0") == "delivered");
  CHECK(IdOf(499, "") == "other_temporary");
  CHECK(IdOf(599, "") == "other_permanent");
  // An unspecific enhanced code falls back to the basic code.
  CHECK(IdOf(550, "5.0.0") == "mailbox_unavailable");
  CHECK(IdOf(421, "4.0.0") == "service_unavailable");
}

TEST_CASE("classify: permanence follows the reply class, not the cause") {
  CHECK(PermOf(552, "5.2.2") == Permanence::kPermanent);
  CHECK(PermOf(452, "4.2.2") == Permanence::kTemporary);
  CHECK(PermOf(250, "") == Permanence::kSuccess);
  // A synthesized reply (no code) is classed by its enhanced code.
  CHECK(PermOf(0, "5.1.10") == Permanence::kPermanent);
  CHECK(PermOf(0, "4.4.3") == Permanence::kTemporary);
  CHECK(IdOf(0, "5.1.10") == "null_mx");
  CHECK(IdOf(0, "4.4.3") == "dns_timeout");
  CHECK(IdOf(0, "5.4.4") == "domain_no_mail");
  CHECK(IdOf(0, "4.4.2") == "connection_lost");
  CHECK(IdOf(0, "4.4.7") == "message_expired");
  CHECK(IdOf(0, "") == "other_temporary");
  CHECK(IdOf(0, "garbage") == "other_temporary");
  CHECK(IdOf(550, "5.1.1.1") == "mailbox_unavailable");
}

TEST_CASE("classify: DNS outcomes and connection failures") {
  auto dns = [](DnsOutcome d) {
    Outcome o;
    o.dns = d;
    return Classify(o);
  };
  CHECK(dns(DnsOutcome::kNxdomain).cause->id == "domain_not_found");
  CHECK(dns(DnsOutcome::kNxdomain).permanence == Permanence::kPermanent);
  CHECK(dns(DnsOutcome::kNoData).cause->id == "domain_no_mail");
  CHECK(dns(DnsOutcome::kNullMx).cause->id == "null_mx");
  CHECK(dns(DnsOutcome::kTemporary).cause->id == "dns_timeout");
  CHECK(dns(DnsOutcome::kTemporary).permanence == Permanence::kTemporary);
  CHECK(dns(DnsOutcome::kInvalidName).cause->id == "domain_invalid");
  auto conn = [](ConnectionFailure c) {
    Outcome o;
    o.connection = c;
    return Classify(o);
  };
  CHECK(conn(ConnectionFailure::kRefused).cause->id == "connection_refused");
  CHECK(conn(ConnectionFailure::kTimeout).cause->id == "connection_timeout");
  CHECK(conn(ConnectionFailure::kUnreachable).cause->id == "host_unreachable");
  CHECK(conn(ConnectionFailure::kLost).cause->id == "connection_lost");
  CHECK(conn(ConnectionFailure::kTls).cause->id == "tls_failure");
  CHECK(conn(ConnectionFailure::kTls).permanence == Permanence::kTemporary);
}

TEST_CASE("classify: every cause is complete, unique and has valid text") {
  std::set<std::string_view> ids;
  for (const Cause& c : AllCauses()) {
    INFO(std::string(c.id));
    CHECK(ids.insert(c.id).second);
    CHECK(!c.english.empty());
    CHECK(!c.japanese.empty());
    CHECK(!c.advice_en.empty());
    CHECK(!c.advice_ja.empty());
    CHECK(c.status.size() >= 5);
    // Japanese text really is Japanese (multi-byte UTF-8) and ends like a sentence.
    CHECK(std::any_of(c.japanese.begin(), c.japanese.end(),
                      [](char ch) { return static_cast<unsigned char>(ch) >= 0x80; }));
    CHECK(c.japanese.substr(c.japanese.size() - 3) == "。");
    CHECK(c.english.back() == '.');
    CHECK(FindCause(c.id) == &c);
  }
  for (const char* id : {"mailbox_unknown", "mailbox_full", "domain_not_found", "null_mx",
                         "dns_timeout", "connection_refused", "tls_failure", "policy_rejection",
                         "message_too_large", "greylisted", "suppressed"}) {
    CHECK(FindCause(id) != nullptr);
  }
  CHECK(FindCause("nope") == nullptr);
}

TEST_CASE("classify: the explanations the issue asks for") {
  CHECK(FindCause("mailbox_unknown")->advice_en.find("before the @") != std::string_view::npos);
  CHECK(FindCause("domain_not_found")->english.find("after the @ does not exist") !=
        std::string_view::npos);
  CHECK(FindCause("mailbox_full")->english.find("mailbox is full") != std::string_view::npos);
  CHECK(FindCause("dns_timeout")->english.find("retried") != std::string_view::npos);
}

}  // namespace
}  // namespace mail::delivery
