// BodyReader (session.h): FETCH and SEARCH read bodies in FetchBodies batches, and
// anything a batch leaves out with FetchBody, against the in-memory mailbox store.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "services/imap-access/session.h"
#include "tests/fakes/fake_mailbox_client.h"

namespace mail::imap_access {
namespace {

constexpr char kAccount[] = "alice@example.test";

std::string Body(uint32_t n, size_t size) {
  std::string body = "Subject: m" + std::to_string(n) + "\r\n\r\n";
  body.resize(std::max(size, body.size()), 'x');
  return body;
}

class Fixture {
 public:
  Fixture() { store.AddAccount(kAccount, "pw"); }
  // Delivers messages of the given sizes (UIDs 1, 2, ...).
  void Deliver(const std::vector<size_t>& sizes) {
    for (size_t size : sizes) {
      ++n_;
      v1::Envelope envelope;
      envelope.set_transaction_id("tx-" + std::to_string(n_));
      envelope.set_sender("bob@example.test");
      envelope.add_recipients()->set_address(kAccount);
      auto done = Run(store.Deliver(envelope, Body(n_, size)));
      REQUIRE(done.ok());
    }
  }
  std::vector<BodyReader::Wanted> All() {
    std::vector<BodyReader::Wanted> wanted;
    for (const auto& m : store.messages(kAccount)) {
      wanted.push_back({m.uid, static_cast<uint64_t>(m.body.size())});
    }
    return wanted;
  }
  // Reads every wanted message through a reader: the results in order.
  std::vector<absl::StatusOr<std::string>> ReadAll(BodyReader& reader, size_t n) {
    return Run([&]() -> asio::awaitable<std::vector<absl::StatusOr<std::string>>> {
      std::vector<absl::StatusOr<std::string>> out;
      for (size_t i = 0; i < n; ++i) {
        absl::StatusOr<std::string> body = co_await reader.Next();
        out.push_back(std::move(body));
      }
      co_return out;
    }());
  }
  template <typename T>
  T Run(asio::awaitable<T> a) {
    io_.restart();
    auto future = asio::co_spawn(io_, std::move(a), asio::use_future);
    io_.run();
    return future.get();
  }

  fakes::FakeMailboxClient store;

 private:
  asio::io_context io_;
  uint32_t n_ = 0;
};

TEST_CASE("imap-access body reader: batches of small messages, large ones alone") {
  Fixture f;
  std::vector<size_t> sizes(200, 1000);
  sizes[100] = 300 * 1024;  // over kMaxBatchedMessage: FetchBody
  f.Deliver(sizes);
  BodyReader reader(f.store, kAccount, "INBOX", f.All(), 64);
  auto bodies = f.ReadAll(reader, 200);
  for (uint32_t i = 0; i < 200; ++i) {
    REQUIRE(bodies[i].ok());
    CHECK(*bodies[i] == Body(i + 1, sizes[i]));
  }
  CHECK(f.store.calls("FetchBodies") == 4);  // 199 small ones, 64 a batch
  CHECK(f.store.calls("FetchBody") == 1);
  CHECK(reader.batch_calls() == 4);
}

TEST_CASE("imap-access body reader: headers only, large messages batched too") {
  Fixture f;
  std::vector<size_t> sizes(10, 1000);
  sizes[4] = 300 * 1024;  // whole, it would be read alone with FetchBody
  f.Deliver(sizes);
  BodyReader reader(f.store, kAccount, "INBOX", f.All(), 64, 1 << 20, /*headers_only=*/true);
  auto bodies = f.ReadAll(reader, 10);
  for (uint32_t i = 0; i < 10; ++i) {
    REQUIRE(bodies[i].ok());
    CHECK(*bodies[i] == "Subject: m" + std::to_string(i + 1) + "\r\n\r\n");
  }
  CHECK(f.store.calls("FetchBodies") == 1);
  CHECK(f.store.calls("FetchBody") == 0);
}

TEST_CASE("imap-access body reader: a batch stops at its byte budget") {
  Fixture f;
  f.Deliver(std::vector<size_t>(20, 200 * 1024));
  BodyReader reader(f.store, kAccount, "INBOX", f.All(), 64, 1 << 20);
  auto bodies = f.ReadAll(reader, 20);
  for (const auto& b : bodies) CHECK(b.ok());
  CHECK(f.store.calls("FetchBodies") == 4);  // 5 × 200 KiB per MiB
  CHECK(f.store.calls("FetchBody") == 0);
}

TEST_CASE("imap-access body reader: fewer than three messages use FetchBody") {
  Fixture f;
  f.Deliver({100, 100});
  BodyReader reader(f.store, kAccount, "INBOX", f.All());
  auto bodies = f.ReadAll(reader, 2);
  CHECK(bodies[0].ok());
  CHECK(bodies[1].ok());
  CHECK(f.store.calls("FetchBodies") == 0);
  CHECK(f.store.calls("FetchBody") == 2);
}

TEST_CASE("imap-access body reader: an expunged message is NOT_FOUND as with FetchBody") {
  Fixture f;
  f.Deliver({100, 100, 100, 100});
  std::vector<BodyReader::Wanted> wanted = f.All();
  v1::ExpungeMessagesRequest expunge;
  expunge.set_account(kAccount);
  expunge.set_mailbox("INBOX");
  expunge.add_uids(2);
  REQUIRE(f.Run(f.store.ExpungeMessages(expunge)).ok());
  BodyReader reader(f.store, kAccount, "INBOX", wanted);
  auto bodies = f.ReadAll(reader, 4);
  CHECK(bodies[0].ok());
  CHECK(bodies[1].status().code() == absl::StatusCode::kNotFound);
  CHECK(bodies[2].ok());
  CHECK(bodies[3].ok());
  CHECK(f.store.calls("FetchBodies") == 1);
  CHECK(f.store.calls("FetchBody") == 1);
}

TEST_CASE("imap-access body reader: a failed FetchBodies falls back to FetchBody") {
  Fixture f;
  f.Deliver(std::vector<size_t>(10, 100));
  f.store.SetError("FetchBodies", absl::UnavailableError("down"));
  BodyReader reader(f.store, kAccount, "INBOX", f.All(), 4);
  auto bodies = f.ReadAll(reader, 10);
  for (uint32_t i = 0; i < 10; ++i) {
    REQUIRE(bodies[i].ok());
    CHECK(*bodies[i] == Body(i + 1, 100));
  }
  CHECK(f.store.calls("FetchBodies") == 1);  // not asked again in this command
  CHECK(f.store.calls("FetchBody") == 10);
}

}  // namespace
}  // namespace mail::imap_access
