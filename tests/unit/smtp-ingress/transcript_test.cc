// Golden SMTP transcripts (tests/data/smtp/*.in → *.ref), Postfix style: the client
// lines of each .in file are sent over a loopback socket to a real Session backed by
// the fakes, and everything the server says, followed by what reached the fake
// mailbox-store and relay, must equal the .ref file. MAILSUITE_UPDATE_GOLDEN=1
// rewrites the .ref files (review the diff!).
//
// .in syntax: one client line per line, sent with CRLF, except:
//   "#! directive args"  set up the session (see ApplyDirective); "# text" a comment;
//   a trailing "<LF>" sends the line with a bare LF; "<NUL>" is a NUL octet;
//   "{x*600}" is 600 times the character x.
#include <prometheus/registry.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "services/libs/base/log.h"
#include "services/smtp-ingress/metrics.h"
#include "services/smtp-ingress/session.h"
#include "tests/fakes/fake_dns_client.h"
#include "tests/fakes/fake_mailbox_client.h"
#include "tests/fakes/fake_relay_client.h"

namespace mail::smtp_ingress {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

absl::Status StatusFromName(const std::string& name) {
  static const std::map<std::string, absl::StatusCode> kCodes = {
      {"UNAVAILABLE", absl::StatusCode::kUnavailable},
      {"DEADLINE_EXCEEDED", absl::StatusCode::kDeadlineExceeded},
      {"RESOURCE_EXHAUSTED", absl::StatusCode::kResourceExhausted},
      {"PERMISSION_DENIED", absl::StatusCode::kPermissionDenied},
      {"NOT_FOUND", absl::StatusCode::kNotFound},
      {"INTERNAL", absl::StatusCode::kInternal},
  };
  auto it = kCodes.find(name);
  REQUIRE(it != kCodes.end());
  return absl::Status(it->second, "injected by the transcript");
}

// The session's reverse DNS client: forwards to the fake, counts the PTR lookups (one
// per connection at most) and can make them slow.
class ReverseDns final : public clients::DnsClient {
 public:
  explicit ReverseDns(clients::DnsClient* dns) : dns_(dns) {}
  int ptr_calls = 0;
  std::chrono::milliseconds delay{0};

  asio::awaitable<absl::StatusOr<v1::ResolveMxResponse>> ResolveMx(
      const v1::ResolveMxRequest& request) override {
    co_return co_await dns_->ResolveMx(request);
  }
  asio::awaitable<absl::StatusOr<v1::ResolveAddressResponse>> ResolveAddress(
      const v1::ResolveAddressRequest& request) override {
    co_return co_await dns_->ResolveAddress(request);
  }
  asio::awaitable<absl::StatusOr<v1::ResolvePtrResponse>> ResolvePtr(
      const v1::ResolvePtrRequest& request) override {
    ++ptr_calls;
    if (delay.count() > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor, delay);
      std::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return co_await dns_->ResolvePtr(request);
  }

 private:
  clients::DnsClient* dns_;
};

struct Fixture {
  Config config;
  Role role = Role::kMx;
  int drain_after_ms = -1;  // simulate SIGTERM's drain this long after connecting
  std::unique_ptr<net::AuthLimiter> auth_limiter;
  fakes::FakeMailboxClient mailbox;
  fakes::FakeRelayClient relay;
  fakes::FakeDnsClient dns;
  ReverseDns reverse_dns{&dns};

  Fixture() {
    config.hostname = "mx.example.test";
    config.postmaster_address = "postmaster@example.test";
    config.auth_failure_delay = std::chrono::milliseconds(0);
    config.idle_timeout = std::chrono::seconds(5);
    config.backend_retry_window = std::chrono::milliseconds(30);  // one quick retry
    // Off unless a transcript asks (#! check_sender_domain): most use remote.test
    // senders without setting up DNS for them.
    config.check_sender_domain = false;
    mailbox.AddAccount("alice@example.test", "secret");
    mailbox.AddAccount("bob@example.test", "secret");
    mailbox.AddAlias("postmaster@example.test", {"alice@example.test"});
    mailbox.AddAlias("alice.smith@example.test", {"alice@example.test"});
    mailbox.AddAlias("sales@example.test", {"bob@example.test", "partner@remote.test"});
    dns.AddMx("remote.test", "mx.remote.test", "192.0.2.25");
  }

  void ApplyDirective(const std::string& line) {
    std::vector<std::string> w = absl::StrSplit(line.substr(2), ' ', absl::SkipEmpty());
    REQUIRE(!w.empty());
    auto num = [&](size_t i) {
      REQUIRE(w.size() > i);
      int64_t n = 0;
      REQUIRE(absl::SimpleAtoi(w[i], &n));
      return n;
    };
    if (w[0] == "role") {
      REQUIRE(w.size() == 2);
      REQUIRE((w[1] == "submission" || w[1] == "mx"));
      role = w[1] == "submission" ? Role::kSubmission : Role::kMx;
    } else if (w[0] == "auth_limit") {
      // auth_limit N: refuse the client IP after N failures; accounts never slowed.
      net::AuthLimiter::Options o;
      o.max_ip_failures = static_cast<int>(num(1));
      o.free_account_failures = 1000;
      auth_limiter = std::make_unique<net::AuthLimiter>(o);
    } else if (w[0] == "drain_after_ms") {
      drain_after_ms = static_cast<int>(num(1));
    } else if (w[0] == "plaintext_auth") {
      config.allow_plaintext_auth = true;
    } else if (w[0] == "check_sender_domain") {
      config.check_sender_domain = true;
    } else if (w[0] == "greet_pause_ms") {
      config.greet_pause = std::chrono::milliseconds(num(1));
    } else if (w[0] == "max_recipients") {
      config.max_recipients = static_cast<int>(num(1));
    } else if (w[0] == "max_message_size") {
      config.max_message_size = static_cast<size_t>(num(1));
    } else if (w[0] == "max_junk_commands") {
      config.max_junk_commands = static_cast<int>(num(1));
    } else if (w[0] == "max_errors") {
      config.max_errors = static_cast<int>(num(1));
    } else if (w[0] == "idle_timeout_ms") {
      config.idle_timeout = std::chrono::milliseconds(num(1));
    } else if (w[0] == "mailbox_error") {
      // mailbox_error METHOD CODE [TIMES]
      REQUIRE((w.size() == 3 || w.size() == 4));
      mailbox.SetError(w[1], StatusFromName(w[2]), w.size() == 4 ? static_cast<int>(num(3)) : -1);
    } else if (w[0] == "relay_error") {
      REQUIRE(w.size() == 2);
      relay.SetError(StatusFromName(w[1]));
    } else if (w[0] == "dns_error") {
      REQUIRE(w.size() == 2);
      dns.SetError(StatusFromName(w[1]));
    } else if (w[0] == "ptr") {
      // ptr IP NAME: a PTR record (the client connects from 127.0.0.1).
      REQUIRE(w.size() == 3);
      dns.AddPtr(w[1], w[2]);
    } else if (w[0] == "address") {
      // address NAME IP: an A/AAAA record, for the forward confirmation.
      REQUIRE(w.size() == 3);
      dns.AddAddress(w[1], w[2]);
    } else if (w[0] == "reverse_dns_delay_ms") {
      reverse_dns.delay = std::chrono::milliseconds(num(1));
    } else if (w[0] == "reverse_dns_timeout_ms") {
      config.reverse_dns_timeout = std::chrono::milliseconds(num(1));
    } else if (w[0] == "over_quota") {
      REQUIRE(w.size() == 2);
      mailbox.SetOverQuota(w[1], true);
    } else {
      FAIL("unknown directive: " << line);
    }
  }
};

// Turns the .in text into the octets the client sends, applying directives.
std::string BuildInput(const std::string& text, Fixture& fx) {
  std::string out;
  static const std::regex kRepeat(R"(\{(.)\*(\d+)\})");
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    std::string line(raw);
    if (line.rfind("#!", 0) == 0) {
      fx.ApplyDirective(line);
      continue;
    }
    if (line.rfind("#", 0) == 0) continue;
    std::smatch m;
    while (std::regex_search(line, m, kRepeat)) {
      line =
          m.prefix().str() + std::string(std::stoul(m[2].str()), m[1].str()[0]) + m.suffix().str();
    }
    for (size_t p; (p = line.find("<NUL>")) != std::string::npos;) line.replace(p, 5, 1, '\0');
    const std::string lf = "<LF>";
    if (line.size() >= lf.size() && line.compare(line.size() - lf.size(), lf.size(), lf) == 0) {
      out += line.substr(0, line.size() - lf.size()) + "\n";
    } else {
      out += line + "\r\n";
    }
  }
  // The split leaves one empty line after the final newline of the file.
  if (out.size() >= 2 && text.size() > 0 && text.back() == '\n') out.resize(out.size() - 2);
  return out;
}

std::string Normalize(std::string s) {
  static const std::regex kUuid(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  static const std::regex kDate(
      "[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [-+][0-9]{4}");
  s = std::regex_replace(s, kUuid, "<TXID>");
  s = std::regex_replace(s, kDate, "<DATE>");
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out += s[i];
  }
  return out;
}

std::string DumpEnvelope(const v1::Envelope& env) {
  std::string s = "sender=<" + env.sender() + "> rcpts=";
  for (int i = 0; i < env.recipients_size(); ++i) {
    const v1::EnvelopeRecipient& r = env.recipients(i);
    s += (i ? "," : "") + r.address();
    if (r.local()) s += "[local]";
    if (r.notify_size() > 0 || !r.orcpt().empty()) {
      s += "[notify=";
      for (int n = 0; n < r.notify_size(); ++n) {
        s += (n ? "|" : "") + v1::DsnNotify_Name(r.notify(n)).substr(11);  // "DSN_NOTIFY_"
      }
      s += " orcpt=" + r.orcpt() + "]";
    }
  }
  if (env.smtputf8()) s += " smtputf8";
  if (env.ret() != v1::DSN_RET_UNSPECIFIED) s += " ret=" + v1::DsnRet_Name(env.ret()).substr(8);
  if (!env.envelope_id().empty()) s += " envid=" + env.envelope_id();
  return s + "\n";
}

std::string RunTranscript(const fs::path& in_path) {
  Fixture fx;
  std::string input = BuildInput(ReadFile(in_path), fx);
  prometheus::Registry registry;
  Metrics metrics(registry);
  std::atomic<bool> stopping{false};

  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io,
                                   asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto socket = co_await acceptor.async_accept(asio::use_awaitable);
        auto stream = net::Stream::Create(std::move(socket), nullptr);
        if (fx.drain_after_ms >= 0) {
          // What Server::AskSessionsToStop does: set the flag, then wake idle reads.
          asio::co_spawn(
              io,
              [&, stream]() -> asio::awaitable<void> {
                asio::steady_timer t(io, std::chrono::milliseconds(fx.drain_after_ms));
                co_await t.async_wait(asio::use_awaitable);
                stopping = true;
                stream->Interrupt();
              },
              asio::detached);
        }
        Session session(fx.config, fx.role, stream,
                        Backends{fx.mailbox, fx.relay, fx.dns, &fx.reverse_dns}, &metrics,
                        &stopping, fx.auth_limiter.get());
        co_await session.Run();
      },
      asio::detached);
  std::string output;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::ip::tcp::socket sock(io);
        co_await sock.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
        std::error_code ec;
        co_await asio::async_write(sock, asio::buffer(input),
                                   asio::redirect_error(asio::use_awaitable, ec));
        char buf[4096];
        for (;;) {
          size_t n = co_await sock.async_read_some(asio::buffer(buf),
                                                   asio::redirect_error(asio::use_awaitable, ec));
          if (ec) break;
          output.append(buf, n);
        }
      },
      asio::detached);
  io.run_for(std::chrono::seconds(20));

  // Once per connection, never per message.
  CHECK(fx.reverse_dns.ptr_calls <= 1);
  std::string dump = output;
  for (const auto& d : fx.mailbox.deliveries()) {
    dump += "=== mailbox-store Deliver " + DumpEnvelope(d.envelope) + d.body;
  }
  for (const auto& q : fx.relay.queued()) {
    dump += "=== outbound-relay Enqueue " + DumpEnvelope(q.envelope) + q.body;
  }
  return Normalize(dump);
}

TEST_CASE("transcripts: every tests/data/smtp/*.in gives its .ref") {
  std::vector<fs::path> inputs;
  for (const auto& entry : fs::directory_iterator(MAILSUITE_SMTP_TESTDATA)) {
    if (entry.path().extension() == ".in") inputs.push_back(entry.path());
  }
  std::sort(inputs.begin(), inputs.end());
  REQUIRE(inputs.size() >= 10);
  base::InitLogging("smtp-ingress-test", base::LogLevel::kWarning);
  const bool update = std::getenv("MAILSUITE_UPDATE_GOLDEN") != nullptr;
  for (const fs::path& in : inputs) {
    DYNAMIC_SECTION(in.filename().string()) {
      std::string actual = RunTranscript(in);
      fs::path ref = in;
      ref.replace_extension(".ref");
      if (update) {
        std::ofstream(ref, std::ios::binary) << actual;
      }
      REQUIRE(fs::exists(ref));
      CHECK(actual == ReadFile(ref));
    }
  }
}

}  // namespace
}  // namespace mail::smtp_ingress
