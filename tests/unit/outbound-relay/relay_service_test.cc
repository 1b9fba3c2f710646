// Tests for Enqueue's envelope checks and the stored forms of domains and NOTIFY.
#include "services/outbound-relay/relay_service.h"

#include <catch2/catch.hpp>

namespace mail::outbound_relay {
namespace {

v1::Envelope Valid() {
  v1::Envelope e;
  e.set_transaction_id("5fae0d9e-aab4-4dc2-8c9a-3a311012bf2e");
  e.set_sender("alice@example.test");
  e.add_recipients()->set_address("bob@remote.test");
  return e;
}

TEST_CASE("relay_service: a well-formed envelope passes") {
  CHECK(ValidateEnvelope(Valid()).ok());
  v1::Envelope null_sender = Valid();
  null_sender.set_sender("");  // bounces have the null reverse-path
  CHECK(ValidateEnvelope(null_sender).ok());
}

TEST_CASE("relay_service: bad envelopes are INVALID_ARGUMENT") {
  v1::Envelope e = Valid();
  e.set_transaction_id("not-a-uuid");
  CHECK(ValidateEnvelope(e).code() == absl::StatusCode::kInvalidArgument);
  e = Valid();
  e.clear_recipients();
  CHECK(ValidateEnvelope(e).code() == absl::StatusCode::kInvalidArgument);
  for (const char* bad : {"nodomain", "@remote.test", "bob@", "bo b@remote.test",
                          "<bob@remote.test>", "bob@remote.test\r\nRCPT TO:<x@y>"}) {
    e = Valid();
    e.mutable_recipients(0)->set_address(bad);
    CHECK(ValidateEnvelope(e).code() == absl::StatusCode::kInvalidArgument);
  }
  e = Valid();
  e.set_sender(std::string(300, 'a'));
  CHECK(ValidateEnvelope(e).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("relay_service: domains are lower-cased, NOTIFY stored as RFC 3461 keywords") {
  CHECK(DomainOf("Bob@Remote.TEST") == "remote.test");
  CHECK(DomainOf("\"a@b\"@c.test") == "c.test");
  CHECK(DomainOf("nodomain").empty());
  v1::EnvelopeRecipient r;
  CHECK(NotifyText(r).empty());
  r.add_notify(v1::DSN_NOTIFY_FAILURE);
  r.add_notify(v1::DSN_NOTIFY_DELAY);
  CHECK(NotifyText(r) == "FAILURE,DELAY");
  r.add_notify(v1::DSN_NOTIFY_NEVER);
  CHECK(NotifyText(r) == "NEVER");
}

}  // namespace
}  // namespace mail::outbound_relay
