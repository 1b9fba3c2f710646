// Tests of local delivery through mailbox-store (DeliveryAgent::DeliverLocal) and of
// the cause given to replies, with the fake mailbox client.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>

#include "services/outbound-relay/delivery_agent.h"
#include "tests/fakes/fake_mailbox_client.h"

namespace mail::outbound_relay {
namespace {

JobOutcome RunLocal(fakes::FakeMailboxClient* mailbox, const Job& job,
                    const StoredMessage& message) {
  asio::io_context io;
  asio::thread_pool db(1);
  DeliveryAgent agent(io, db, nullptr, nullptr, mailbox, AgentOptions(), nullptr);
  auto future = asio::co_spawn(io, agent.DeliverLocal(job, message), asio::use_future);
  io.run();
  db.join();
  return future.get();
}

Job LocalJob(std::vector<std::string> addresses) {
  Job job;
  job.message_id = "6f1c2a9e-0d6b-4c55-9d5a-1d2f3e4a5b6c";
  job.domain = "example.test";
  job.local = true;
  int64_t id = 1;
  for (auto& a : addresses) job.recipients.push_back({id++, a, 0});
  return job;
}

TEST_CASE("local delivery: delivers with the message id, idempotently") {
  fakes::FakeMailboxClient mailbox;
  mailbox.AddAccount("bob@example.test", "pw");
  StoredMessage message;
  message.sender = "alice@remote.test";
  message.body = "Subject: hi\r\n\r\nhello\r\n";
  Job job = LocalJob({"bob@example.test", "nobody@example.test"});
  JobOutcome out = RunLocal(&mailbox, job, message);
  REQUIRE(out.replies.size() == 2);
  CHECK(out.replies[0].code == 250);
  CHECK(out.replies[1].code == 550);
  CHECK(CauseOf(out.replies[1]) == "mailbox_unknown");
  CHECK(DispositionOf(out.replies[1]) == Disposition::kFailed);
  REQUIRE(mailbox.deliveries().size() == 1);
  CHECK(mailbox.deliveries()[0].envelope.transaction_id() == job.message_id);
  // A repeated attempt (the relay died after Deliver committed) stores nothing twice.
  out = RunLocal(&mailbox, job, message);
  CHECK(out.replies[0].code == 250);
  CHECK(mailbox.messages("bob@example.test").size() == 1);
}

TEST_CASE("local delivery: unavailable store and full mailbox are temporary") {
  fakes::FakeMailboxClient mailbox;
  mailbox.AddAccount("bob@example.test", "pw");
  StoredMessage message;
  message.body = "Subject: hi\r\n\r\nhello\r\n";
  mailbox.SetError("Deliver", absl::UnavailableError("down"), 1);
  JobOutcome out = RunLocal(&mailbox, LocalJob({"bob@example.test"}), message);
  REQUIRE(out.replies.size() == 1);
  CHECK(DispositionOf(out.replies[0]) == Disposition::kDeferred);
  CHECK(CauseOf(out.replies[0]) == "mailbox_store_unavailable");
  mailbox.SetOverQuota("bob@example.test", true);
  out = RunLocal(&mailbox, LocalJob({"bob@example.test"}), message);
  CHECK(DispositionOf(out.replies[0]) == Disposition::kDeferred);
  CHECK(CauseOf(out.replies[0]) == "mailbox_full");
}

TEST_CASE("local delivery: causes of synthesized replies") {
  CHECK(CauseOf(LocalReply("4.4.1", "x", "connection_refused")) == "connection_refused");
  CHECK(CauseOf(LocalReply("5.1.10", "x")) == "null_mx");
  SmtpReply r;
  r.code = 552;
  r.enhanced = "5.2.2";
  r.lines = {"5.2.2 mailbox full"};
  CHECK(CauseOf(r) == "mailbox_full");
}

}  // namespace
}  // namespace mail::outbound_relay
