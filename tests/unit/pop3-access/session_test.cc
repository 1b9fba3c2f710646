// pop3-access sessions over a loopback socket against the in-memory mailbox store:
// the golden transcripts of tests/data/pop3/ and the shutdown drain.
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <thread>

#include "services/libs/net/auth_limiter.h"
#include "services/pop3-access/server.h"
#include "tests/fakes/fake_mailbox_client.h"
#include "tests/unit/common/transcript.h"

namespace mail::pop3_access {
namespace {

// Message 1: CRLF, lines starting with dots (byte-stuffing). Message 2: bare LFs, as
// a message imported from an mbox might be stored.
const char kMessage1[] =
    "Received: from client.example.test\r\n"
    "\tby mx.example.test\r\n"
    "From: bob@example.test\r\n"
    "To: alice@example.test\r\n"
    "Subject: Hello\r\n"
    "\r\n"
    "Hi Alice,\r\n"
    ".this line starts with a dot\r\n"
    "..and this one with two\r\n"
    ".\r\n"
    "Bye\r\n";
const char kMessage2[] =
    "From: carol@example.test\n"
    "Subject: Bare LF\n"
    "\n"
    "line 1\n"
    "line 2\n"
    "line 3\n";

absl::Status ParseCode(const std::string& name) {
  if (name == "unavailable") return absl::UnavailableError("store down");
  if (name == "not_found") return absl::NotFoundError("gone");
  if (name == "internal") return absl::InternalError("bug");
  return absl::UnknownError("unknown code " + name);
}

class Pop3Harness {
 public:
  explicit Pop3Harness(const Config& config) : config_(config), work_(asio::make_work_guard(io_)) {
    store_.AddAccount("alice@example.test", "pw");
    store_.AddAccount("bob@example.test", "secret");
    server_ = std::make_unique<Server>(io_, config_, store_, nullptr, nullptr);
    port_ = *server_->Listen("127.0.0.1:0", false);
    thread_ = std::thread([this] { io_.run(); });
    Deliver("alice@example.test", kMessage1);
    Deliver("alice@example.test", kMessage2);
  }
  ~Pop3Harness() {
    server_->StopAccepting();
    WaitIdle();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  void Deliver(const std::string& to, const std::string& body) {
    v1::Envelope envelope;
    envelope.set_transaction_id("tx-" + std::to_string(++deliveries_));
    envelope.set_sender("bob@example.test");
    envelope.add_recipients()->set_address(to);
    auto result = asio::co_spawn(io_, store_.Deliver(envelope, body), asio::use_future).get();
    REQUIRE(result.ok());
  }

  bool WaitIdle() {
    for (int i = 0; i < 200 && server_->active_sessions() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return server_->active_sessions() == 0;
  }

  std::string Directive(const std::string& text, testing::TranscriptClient* client) {
    std::istringstream in(text);
    std::string name, a, b;
    in >> name >> a >> b;
    if (name == "plaintext" || name == "idle_ms" || name == "ip_failures") {
      return "";  // read before the start
    }
    if (name == "error") {
      store_.SetError(a, ParseCode(b));
      return "";
    }
    if (name == "clear") {
      store_.ClearError(a);
      return "";
    }
    if (name == "disconnect") {
      client->Close();
      return WaitIdle() ? "" : "the session did not end";
    }
    if (name == "lock") {  // another session (maybe on another replica) holds it
      auto lock = asio::co_spawn(io_, store_.HoldMaildropLock(a), asio::use_future).get();
      if (!lock.ok()) return "cannot lock " + a + ": " + lock.status().ToString();
      held_[a] = *std::move(lock);
      return "";
    }
    if (name == "unlock") {
      held_.erase(a);
      return "";
    }
    if (name == "lose-lock") {
      store_.LoseMaildropLock(a);
      return "";
    }
    if (name == "locked") {
      for (int i = 0; i < 200 && store_.maildrop_locked(a) != (b == "yes"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      return store_.maildrop_locked(a) == (b == "yes") ? ""
                                                       : "maildrop of " + a + " locked != " + b;
    }
    if (name == "messages") {
      if (!WaitIdle()) return "the session did not end";
      size_t n = store_.messages(a).size();
      return std::to_string(n) == b ? ""
                                    : "expected " + b + " messages, found " + std::to_string(n);
    }
    return "unknown directive @" + text;
  }

  int port() const { return port_; }
  Server& server() { return *server_; }

 private:
  asio::io_context io_;
  Config config_;
  fakes::FakeMailboxClient store_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<Server> server_;
  std::map<std::string, std::unique_ptr<clients::MaildropLock>> held_;  // by @lock
  std::thread thread_;
  int port_ = 0;
  int deliveries_ = 0;
};

Config TestConfig() {
  Config config;
  config.auth_failure_delay = std::chrono::milliseconds(0);
  config.idle_timeout = std::chrono::seconds(10);
  return config;
}

TEST_CASE("pop3-access session: golden transcripts in tests/data/pop3") {
  auto files = testing::TranscriptFiles("tests/data/pop3");
  REQUIRE(files.size() >= 5);
  for (const std::string& file : files) {
    DYNAMIC_SECTION(file) {
      auto steps = testing::LoadTranscript(file);
      Config config = TestConfig();
      std::unique_ptr<net::AuthLimiter> limiter;
      for (const auto& step : steps) {
        if (step.kind != testing::TranscriptStep::Kind::kDirective) continue;
        if (step.text == "plaintext on") config.allow_plaintext_auth = true;
        if (step.text.rfind("ip_failures ", 0) == 0) {
          net::AuthLimiter::Options options;
          options.max_ip_failures = std::stoi(step.text.substr(12));
          options.max_account_delay = absl::Milliseconds(300);
          limiter = std::make_unique<net::AuthLimiter>(options);
          config.auth_limiter = limiter.get();
        }
        if (step.text.rfind("idle_ms ", 0) == 0) {
          config.idle_timeout = std::chrono::milliseconds(std::stoi(step.text.substr(8)));
        }
      }
      Pop3Harness harness(config);
      testing::TranscriptClient client;
      std::string error = testing::PlayTranscript(
          steps, harness.port(),
          [&](const std::string& text) { return harness.Directive(text, &client); }, &client);
      INFO(file);
      CHECK(error == "");
    }
  }
}

TEST_CASE("pop3-access session: shutdown closes idle sessions and deletes nothing") {
  Config config = TestConfig();
  config.allow_plaintext_auth = true;
  Pop3Harness harness(config);
  testing::TranscriptClient client;
  std::vector<testing::TranscriptStep> steps = {
      {testing::TranscriptStep::Kind::kExpect, "+OK mailsuite POP3 server ready", 1},
      {testing::TranscriptStep::Kind::kSend, "USER alice@example.test", 2},
      {testing::TranscriptStep::Kind::kExpect, "+OK Send PASS", 3},
      {testing::TranscriptStep::Kind::kSend, "PASS pw", 4},
      {testing::TranscriptStep::Kind::kExpect, "+OK Logged in, 2 messages (261 octets)", 5},
      {testing::TranscriptStep::Kind::kSend, "DELE 1", 6},
      {testing::TranscriptStep::Kind::kExpect, "+OK Message 1 deleted", 7},
  };
  REQUIRE(testing::PlayTranscript(steps, harness.port(), nullptr, &client) == "");
  harness.server().AskSessionsToStop();
  CHECK(client.WaitClosed());
  CHECK(harness.Directive("messages alice@example.test 2", &client) == "");
}

}  // namespace
}  // namespace mail::pop3_access
