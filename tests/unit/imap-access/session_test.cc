// imap-access sessions over a loopback socket against the in-memory mailbox store:
// the golden transcripts of tests/data/imap/ and the shutdown drain.
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

#include "services/imap-access/account_sessions.h"
#include "services/imap-access/server.h"
#include "services/libs/net/auth_limiter.h"
#include "tests/fakes/fake_mailbox_client.h"
#include "tests/unit/common/transcript.h"

namespace mail::imap_access {
namespace {

const char kMessage1[] =
    "Received: from client.example.test\r\n"
    "\tby mx.example.test\r\n"
    "From: bob@example.test\r\n"
    "To: alice@example.test\r\n"
    "Subject: Hello\r\n"
    "\r\n"
    "Hi Alice,\r\n"
    ".this line starts with a dot\r\n"
    "Bye\r\n";
const char kMessage2[] =
    "From: carol@example.test\r\n"
    "Subject: Second\r\n"
    "\r\n"
    "line 1\r\n";
// Delivered during a transcript by @deliver.
const char kMessage3[] = "From: dave@example.test\r\nSubject: Third\r\n\r\nthird\r\n";
// Delivered by @deliver_multipart: text, a base64 attachment and a message/rfc822.
const char kMultipart[] =
    "From: Bob <bob@example.test>\r\n"
    "To: alice@example.test\r\n"
    "Subject: Parts\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "Hello text\r\n"
    "--XX\r\n"
    "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "aGkgdGhlcmU=\r\n"
    "--XX\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: carol@example.test\r\n"
    "Subject: Inner\r\n"
    "X-Extra: y\r\n"
    "\r\n"
    "inner body\r\n"
    "--XX--\r\n";

absl::Status ParseCode(const std::string& name) {
  if (name == "unavailable") return absl::UnavailableError("store down");
  if (name == "not_found") return absl::NotFoundError("gone");
  if (name == "internal") return absl::InternalError("bug");
  return absl::UnknownError("unknown code " + name);
}

class ImapHarness {
 public:
  explicit ImapHarness(const Config& config) : config_(config), work_(asio::make_work_guard(io_)) {
    store_.AddAccount("alice@example.test", "pw");
    store_.AddAccount("bob@example.test", "secret");
    server_ = std::make_unique<Server>(io_, config_, store_, nullptr, nullptr);
    port_ = *server_->Listen("127.0.0.1:0", false);
    thread_ = std::thread([this] { io_.run(); });
    Deliver("alice@example.test", kMessage1);
    Deliver("alice@example.test", kMessage2);
  }
  ~ImapHarness() {
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
    if (name == "plaintext") return "";  // read before the server started
    if (name == "error") {
      store_.SetError(a, ParseCode(b));
      return "";
    }
    if (name == "clear") {
      store_.ClearError(a);
      return "";
    }
    if (name == "deliver") {
      Deliver(a, kMessage3);
      return "";
    }
    if (name == "deliver_multipart") {
      Deliver(a, kMultipart);
      return "";
    }
    if (name == "expunge") {
      v1::ExpungeMessagesRequest request;
      request.set_account(a);
      request.set_mailbox("INBOX");
      request.add_uids(static_cast<uint32_t>(std::stoul(b)));
      auto result = asio::co_spawn(io_, store_.ExpungeMessages(request), asio::use_future).get();
      return result.ok() ? "" : result.status().ToString();
    }
    if (name == "flags") return SetFlags(text);
    if (name == "select_elsewhere") {
      // Another session (on any replica) SELECTs INBOX: it claims the \Recent messages.
      v1::ListMessagesRequest request;
      request.set_account(a);
      request.set_mailbox("INBOX");
      request.set_claim_recent(true);
      auto result = asio::co_spawn(io_, store_.ListMessages(request), asio::use_future).get();
      return result.ok() ? "" : result.status().ToString();
    }
    if (name == "messages") {
      size_t n = store_.messages(a).size();
      return std::to_string(n) == b ? ""
                                    : "expected " + b + " messages, found " + std::to_string(n);
    }
    if (name == "disconnect") {
      client->Close();
      return WaitIdle() ? "" : "the session did not end";
    }
    return "unknown directive @" + text;
  }

  int port() const { return port_; }
  Server& server() { return *server_; }

 private:
  // "@flags account uid flag..." replaces the flags of one INBOX message.
  std::string SetFlags(const std::string& text) {
    std::istringstream in(text);
    std::string name, account, uid;
    in >> name >> account >> uid;
    std::vector<std::string> flags;
    for (std::string f; in >> f;) flags.push_back(f);
    return store_.SetFlags(account, "INBOX", static_cast<uint32_t>(std::stoul(uid)), flags)
               ? ""
               : "no such message";
  }

  asio::io_context io_;
  Config config_;
  fakes::FakeMailboxClient store_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<Server> server_;
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

TEST_CASE("imap-access session: golden transcripts in tests/data/imap") {
  auto files = testing::TranscriptFiles("tests/data/imap");
  REQUIRE(files.size() >= 5);
  for (const std::string& file : files) {
    DYNAMIC_SECTION(file) {
      auto steps = testing::LoadTranscript(file);
      Config config = TestConfig();
      for (const auto& step : steps) {
        if (step.kind == testing::TranscriptStep::Kind::kDirective && step.text == "plaintext on") {
          config.allow_plaintext_auth = true;
        }
      }
      ImapHarness harness(config);
      testing::TranscriptClient client;
      std::string error = testing::PlayTranscript(
          steps, harness.port(),
          [&](const std::string& text) { return harness.Directive(text, &client); }, &client);
      INFO(file);
      CHECK(error == "");
    }
  }
}

TEST_CASE("imap-access session: shutdown says BYE to idle sessions") {
  Config config = TestConfig();
  config.allow_plaintext_auth = true;
  ImapHarness harness(config);
  testing::TranscriptClient client;
  using Kind = testing::TranscriptStep::Kind;
  std::vector<testing::TranscriptStep> steps = {
      {Kind::kExpect,
       "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR CHILDREN SPECIAL-USE UNSELECT "
       "LIST-EXTENDED LIST-STATUS AUTH=PLAIN] "
       "mailsuite IMAP ready",
       1},
      {Kind::kSend, "a LOGIN alice@example.test pw", 2},
      {Kind::kExpect,
       "a OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR CHILDREN SPECIAL-USE UNSELECT "
       "LIST-EXTENDED LIST-STATUS ID ENABLE IDLE "
       "NAMESPACE UIDPLUS MOVE QUOTA QUOTA=RES-STORAGE STATUS=SIZE ESEARCH SEARCHRES BINARY "
       "UTF8=ACCEPT APPENDLIMIT=67108864] Logged in",
       3},
  };
  REQUIRE(testing::PlayTranscript(steps, harness.port(), nullptr, &client) == "");
  harness.server().AskSessionsToStop();
  std::string line;
  bool crlf, timed_out;
  REQUIRE(client.ReadLine(&line, &crlf, &timed_out));
  CHECK(line == "* BYE Server shutting down, try again later");
  CHECK(client.WaitClosed());
}

// Sends `command` ("tag ...") and returns every line up to and including the tagged one.
std::vector<std::string> Exchange(testing::TranscriptClient& client, const std::string& command) {
  std::vector<std::string> lines;
  REQUIRE(client.Send(command + "\r\n"));
  const std::string tag = command.substr(0, command.find(' ') + 1);
  std::string line;
  bool crlf, timed_out;
  while (client.ReadLine(&line, &crlf, &timed_out)) {
    lines.push_back(line);
    if (line.rfind(tag, 0) == 0) break;
  }
  return lines;
}

// Connects and reads the greeting.
void Connect(testing::TranscriptClient& client, int port) {
  REQUIRE(client.Connect(port));
  std::string line;
  bool crlf, timed_out;
  REQUIRE(client.ReadLine(&line, &crlf, &timed_out));
  REQUIRE(line.rfind("* OK ", 0) == 0);
}

TEST_CASE("imap-access session: sessions per account are limited") {
  AccountSessions slots(2);
  Config config = TestConfig();
  config.allow_plaintext_auth = true;
  config.account_sessions = &slots;
  ImapHarness harness(config);
  testing::TranscriptClient a, b, c, d;
  for (auto* client : {&a, &b, &c, &d}) Connect(*client, harness.port());
  CHECK(Exchange(a, "a1 LOGIN alice@example.test pw").back().rfind("a1 OK ", 0) == 0);
  CHECK(Exchange(b, "b1 LOGIN alice@example.test pw").back().rfind("b1 OK ", 0) == 0);
  // The third is refused with a clear reason and may try again later.
  CHECK(Exchange(c, "c1 LOGIN alice@example.test pw").back() ==
        "c1 NO [LIMIT] Too many sessions for this account (2); log out of another one first");
  CHECK(slots.sessions("alice@example.test") == 2);
  // Other accounts are not affected.
  CHECK(Exchange(d, "d1 LOGIN bob@example.test secret").back().rfind("d1 OK ", 0) == 0);
  // A session that ends gives its slot back.
  CHECK(Exchange(a, "a2 LOGOUT").back() == "a2 OK LOGOUT completed");
  CHECK(a.WaitClosed());
  for (int i = 0; i < 200 && slots.sessions("alice@example.test") != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(slots.sessions("alice@example.test") == 1);
  CHECK(Exchange(c, "c2 LOGIN alice@example.test pw").back().rfind("c2 OK ", 0) == 0);
}

TEST_CASE("imap-access session: failed logins across sessions refuse the IP") {
  net::AuthLimiter::Options options;
  options.max_ip_failures = 3;
  options.free_account_failures = 100;  // no slowdown: keep the test fast
  net::AuthLimiter limiter(options);
  Config config = TestConfig();
  config.allow_plaintext_auth = true;
  config.auth_limiter = &limiter;
  ImapHarness harness(config);
  // Three failures spread over two sessions (each session alone stays under its own
  // limit of three)...
  testing::TranscriptClient a, b, c;
  Connect(a, harness.port());
  Connect(b, harness.port());
  CHECK(Exchange(a, "a1 LOGIN alice@example.test nope").back() ==
        "a1 NO [AUTHENTICATIONFAILED] Authentication failed");
  CHECK(Exchange(a, "a2 LOGIN alice@example.test nope").back() ==
        "a2 NO [AUTHENTICATIONFAILED] Authentication failed");
  CHECK(Exchange(b, "b1 LOGIN bob@example.test nope").back() ==
        "b1 NO [AUTHENTICATIONFAILED] Authentication failed");
  // ... and the address is refused, even with the right password, in a new session.
  Connect(c, harness.port());
  std::vector<std::string> lines = Exchange(c, "c1 LOGIN alice@example.test pw");
  CHECK(lines.back() ==
        "c1 NO [UNAVAILABLE] Too many failed logins from your address, try again later");
  std::string line;
  bool crlf, timed_out;
  REQUIRE(c.ReadLine(&line, &crlf, &timed_out));
  CHECK(line == "* BYE Too many failed logins");
  CHECK(c.WaitClosed());
}

TEST_CASE("imap-access account sessions: counting") {
  AccountSessions slots(1);
  CHECK(slots.TryAcquire("a"));
  CHECK_FALSE(slots.TryAcquire("a"));
  CHECK(slots.TryAcquire("b"));
  slots.Release("a");
  slots.Release("a");  // more releases than slots: harmless
  CHECK(slots.sessions("a") == 0);
  CHECK(slots.TryAcquire("a"));
  AccountSessions unlimited(0);
  for (int i = 0; i < 100; ++i) CHECK(unlimited.TryAcquire("a"));
  CHECK(unlimited.sessions("a") == 100);
}

}  // namespace
}  // namespace mail::imap_access
