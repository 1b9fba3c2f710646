// SharedReads: identical ListMessages requests of this process share one call, but never
// one that started before they were made; \Recent stays with the session that claimed it.
#include "services/imap-access/shared_reads.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/fakes/fake_mailbox_client.h"

namespace mail::imap_access {
namespace {

constexpr char kAccount[] = "alice@example.test";

// A store whose ListMessages takes 20 ms, so that requests overlap; it counts them.
class SlowStore : public fakes::FakeMailboxClient {
 public:
  explicit SlowStore(asio::io_context& io) : io_(io) {}
  asio::awaitable<absl::StatusOr<v1::ListMessagesResponse>> ListMessages(
      const v1::ListMessagesRequest& request) override {
    ++started;
    asio::steady_timer timer(io_, std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::use_awaitable);
    absl::StatusOr<v1::ListMessagesResponse> r =
        co_await fakes::FakeMailboxClient::ListMessages(request);
    co_return r;
  }
  int started = 0;

 private:
  asio::io_context& io_;
};

struct Fixture {
  Fixture() : store(io), reads(store) {
    store.AddAccount(kAccount, "pw");
    for (int i = 1; i <= 3; ++i) Deliver(i);
    io.run();
    io.restart();
  }
  // Delivers message `n` (the coroutine owns its arguments: it runs later).
  void Deliver(int n) {
    asio::co_spawn(
        io,
        [this, n]() -> asio::awaitable<void> {
          v1::Envelope envelope;
          envelope.set_transaction_id("tx-" + std::to_string(n));
          envelope.set_sender("bob@example.test");
          envelope.add_recipients()->set_address(kAccount);
          const std::string body = "Subject: x\r\n\r\nbody\r\n";
          absl::StatusOr<v1::DeliverResponse> done = co_await store.Deliver(envelope, body);
          (void)done;
        },
        asio::detached);
  }
  // Starts a List after `delay`; its answer lands in results[slot].
  void Start(int slot, std::chrono::milliseconds delay, bool claim = false) {
    asio::co_spawn(
        io,
        [this, slot, delay, claim]() -> asio::awaitable<void> {
          asio::steady_timer timer(io, delay);
          co_await timer.async_wait(asio::use_awaitable);
          v1::ListMessagesRequest request;
          request.set_account(kAccount);
          request.set_mailbox("INBOX");
          request.set_claim_recent(claim);
          absl::StatusOr<v1::ListMessagesResponse> r = co_await reads.List(request);
          results[slot] = std::move(r);
        },
        asio::detached);
  }
  asio::io_context io;
  SlowStore store;
  SharedReads reads;
  std::vector<absl::StatusOr<v1::ListMessagesResponse>> results =
      std::vector<absl::StatusOr<v1::ListMessagesResponse>>(5, absl::UnknownError("not run"));
};

TEST_CASE("imap-access shared reads: requests during a call share the next call") {
  Fixture f;
  f.Start(0, std::chrono::milliseconds(0));  // makes call 1
  f.Start(1, std::chrono::milliseconds(5));  // arrive during call 1: wait for call 2,
  f.Start(2, std::chrono::milliseconds(6));  // which one of them makes for both
  f.Start(3, std::chrono::milliseconds(7));
  f.io.run();
  for (int i = 0; i < 4; ++i) {
    REQUIRE(f.results[i].ok());
    CHECK(f.results[i]->messages_size() == 3);
  }
  CHECK(f.store.started == 2);
  CHECK(f.reads.calls() == 2);
  CHECK(f.reads.requests() == 4);
  // Nothing running: the next request calls at once, alone.
  f.io.restart();
  f.Start(4, std::chrono::milliseconds(0));
  f.io.run();
  CHECK(f.store.started == 3);
}

TEST_CASE("imap-access shared reads: a different request is not shared") {
  Fixture f;
  f.Start(0, std::chrono::milliseconds(0));
  f.Start(1, std::chrono::milliseconds(5), /*claim=*/true);
  f.io.run();
  CHECK(f.store.started == 2);
}

TEST_CASE("imap-access shared reads: only the claiming call's session sees the Recent flag") {
  Fixture f;
  f.Start(0, std::chrono::milliseconds(0), true);  // call 1 claims 1..3
  f.Start(1, std::chrono::milliseconds(5), true);  // call 2 claims 4 for slot 1 ...
  f.Start(2, std::chrono::milliseconds(6), true);  // ... and shares the answer
  // Message 4 arrives after call 1 read the store (the slow store reads after 20 ms),
  // before call 2 does (it starts when call 1 ends, and reads 20 ms later).
  asio::steady_timer later(f.io, std::chrono::milliseconds(30));
  later.async_wait([&](std::error_code) { f.Deliver(4); });
  f.io.run();
  for (int i = 0; i < 3; ++i) REQUIRE(f.results[i].ok());
  CHECK(f.results[0]->messages_size() == 3);
  CHECK(f.results[0]->first_recent_uid() == 1);
  CHECK(f.results[1]->messages_size() == 4);
  CHECK(f.results[1]->first_recent_uid() == 4);  // message 4 is recent for slot 1 only
  CHECK(f.results[2]->messages_size() == 4);
  CHECK(f.results[2]->first_recent_uid() == 5);
  CHECK(f.store.started == 2);
}

}  // namespace
}  // namespace mail::imap_access
