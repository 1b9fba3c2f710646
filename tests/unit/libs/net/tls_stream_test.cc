// Stream over TLS between two Streams on loopback: OpenSSL on the socket itself
// (stream.h), with a throwaway self-signed certificate made here.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>
#include <future>
#include <string>

#include "services/libs/net/stream.h"
#include "services/libs/net/tls.h"

namespace mail::net {
namespace {

using namespace std::chrono_literals;

// A server context with a fresh P-256 key and a self-signed certificate.
std::shared_ptr<asio::ssl::context> ServerContext() {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mail.example.test"), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX_use_certificate(ctx->native_handle(), cert);
  SSL_CTX_use_PrivateKey(ctx->native_handle(), key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

struct TlsPair {
  asio::io_context io;
  std::shared_ptr<Stream> server, client;

  explicit TlsPair(bool tls = true) {
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket peer(io);
    peer.connect(acceptor.local_endpoint());
    server = Stream::Create(acceptor.accept(), tls ? ServerContext() : nullptr);
    client = Stream::Create(std::move(peer), tls ? NewClientTlsContext() : nullptr);
  }
  // Runs the two operations at once until both are done.
  template <typename A, typename B>
  std::pair<A, B> Both(asio::awaitable<A> a, asio::awaitable<B> b) {
    auto fa = asio::co_spawn(io, std::move(a), asio::use_future);
    auto fb = asio::co_spawn(io, std::move(b), asio::use_future);
    io.restart();
    while (fa.wait_for(0s) != std::future_status::ready ||
           fb.wait_for(0s) != std::future_status::ready) {
      io.run_one_for(5ms);
    }
    return {fa.get(), fb.get()};
  }
  template <typename T>
  T Run(asio::awaitable<T> op) {
    auto f = asio::co_spawn(io, std::move(op), asio::use_future);
    io.restart();
    while (f.wait_for(0s) != std::future_status::ready) io.run_one_for(5ms);
    return f.get();
  }
  void Handshake() {
    auto [s, c] = Both(server->StartServerTls(5s), client->StartClientTls("mail.example.test", 5s));
    REQUIRE(s.ok());
    REQUIRE(c.ok());
  }
};

TEST_CASE("tls stream: handshake, lines both ways, a write that must wait for the reader") {
  TlsPair p;
  p.Handshake();
  CHECK(p.server->is_tls());
  CHECK(p.client->is_tls());
  CHECK(p.server->tls_version() == "TLSv1.3");
  CHECK_FALSE(p.server->tls_cipher().empty());
  std::string line;
  auto [wrote, read] =
      p.Both(p.client->Write("a LOGIN x y\r\n"), p.server->ReadLine(&line, 512, 5s));
  CHECK(wrote);
  CHECK(read == ReadResult::kOk);
  CHECK(line == "a LOGIN x y");
  // 4 MiB: far more than the socket buffers hold, so the writer waits (WANT_WRITE)
  // until the reader has taken some, several times over.
  std::string big(4 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  std::string got;
  auto [sent, received] =
      p.Both(p.server->Write(big), p.client->ReadExactly(big.size(), &got, 10s));
  CHECK(sent);
  CHECK(received == ReadResult::kOk);
  CHECK(got == big);
}

TEST_CASE("tls stream: news written now while a read waits, and an interrupted read") {
  TlsPair p;
  p.Handshake();
  // The server waits for a line (IMAP IDLE waiting for DONE); meanwhile it writes news
  // without waiting, and the read is then interrupted: kTimeout, connection open.
  std::string line, news;
  auto interrupt = [&]() -> asio::awaitable<bool> {
    asio::steady_timer timer(p.io, 20ms);
    co_await timer.async_wait(asio::use_awaitable);
    const bool queued = p.server->WriteNow("* 2 EXISTS\r\n");
    p.server->Interrupt();
    co_return queued;
  };
  auto [read, wrote_now] = p.Both(p.server->ReadLine(&line, 512, 5s), interrupt());
  CHECK(wrote_now);
  CHECK(read == ReadResult::kTimeout);
  CHECK_FALSE(p.server->closed());
  CHECK(p.Run(p.client->ReadLine(&news, 512, 5s)) == ReadResult::kOk);
  CHECK(news == "* 2 EXISTS");
  // Both directions still work after the interrupted read.
  auto [ok, done] = p.Both(p.client->Write("DONE\r\n"), p.server->ReadLine(&line, 512, 5s));
  CHECK(ok);
  CHECK(done == ReadResult::kOk);
  CHECK(line == "DONE");
}

TEST_CASE("tls stream: news too big for the socket is queued, and later writes follow it") {
  for (const bool tls : {true, false}) {
    TlsPair p(tls);
    if (tls) p.Handshake();
    // 4 MiB pushed without waiting: the socket takes part, the stream queues the rest
    // (under TLS starting with the record OpenSSL left half-sent) and writes it in the
    // background; a Write() after it waits its turn, so nothing interleaves.
    std::string news(4 << 20, 'n');
    for (size_t i = 0; i < news.size(); i += 1013) news[i] = static_cast<char>('a' + i % 26);
    REQUIRE(p.server->WriteNow(news));
    std::string got;
    auto [wrote, read] = p.Both(p.server->Write("c OK IDLE terminated\r\n"),
                                p.client->ReadExactly(news.size() + 22, &got, 10s));
    CHECK(wrote);
    CHECK(read == ReadResult::kOk);
    CHECK(got.size() == news.size() + 22);
    CHECK(got.compare(0, news.size(), news) == 0);
    CHECK(got.substr(news.size()) == "c OK IDLE terminated\r\n");
  }
}

TEST_CASE("tls stream: interrupting a read leaves a background write going") {
  for (const bool tls : {true, false}) {
    TlsPair p(tls);
    if (tls) p.Handshake();
    // IDLE: the server waits for DONE, news too big for the socket goes out in the
    // background, then another change interrupts the read. Only the read ends.
    std::string news(4 << 20, 'n');
    std::string line;
    auto push_then_interrupt = [&]() -> asio::awaitable<bool> {
      asio::steady_timer timer(p.io, 20ms);
      co_await timer.async_wait(asio::use_awaitable);
      const bool queued = p.server->WriteNow(news);
      p.server->Interrupt();
      co_return queued;
    };
    auto [read, queued] = p.Both(p.server->ReadLine(&line, 512, 5s), push_then_interrupt());
    CHECK(queued);
    CHECK(read == ReadResult::kTimeout);
    CHECK_FALSE(p.server->closed());
    std::string got;
    CHECK(p.Run(p.client->ReadExactly(news.size(), &got, 10s)) == ReadResult::kOk);
    CHECK(got == news);
    CHECK_FALSE(p.server->closed());
  }
}

TEST_CASE("tls stream: a peer that closes gives kClosed, garbage fails the handshake") {
  {
    TlsPair p;
    p.Handshake();
    p.client->Close();
    std::string line;
    CHECK(p.Run(p.server->ReadLine(&line, 512, 5s)) == ReadResult::kClosed);
  }
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket peer(io);
  peer.connect(acceptor.local_endpoint());
  auto server = Stream::Create(acceptor.accept(), ServerContext());
  asio::write(peer, asio::buffer(std::string("GET / HTTP/1.0\r\n\r\n")));
  auto f = asio::co_spawn(io, server->StartServerTls(5s), asio::use_future);
  while (f.wait_for(0s) != std::future_status::ready) io.run_one_for(5ms);
  absl::Status status = f.get();
  CHECK_FALSE(status.ok());
  CHECK(server->closed());
}

}  // namespace
}  // namespace mail::net
