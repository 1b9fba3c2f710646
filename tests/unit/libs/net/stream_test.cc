// Stream over a real loopback connection: the peer writes raw bytes, the test reads
// with the limits a session uses.
#include "services/libs/net/stream.h"

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

namespace mail::net {
namespace {

using namespace std::chrono_literals;

struct Pair {
  asio::io_context io;
  asio::ip::tcp::socket peer{io};
  std::shared_ptr<Stream> stream;

  Pair() {
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    peer.connect(acceptor.local_endpoint());
    stream = Stream::Create(acceptor.accept(), nullptr);
  }
  void Send(std::string_view bytes) { asio::write(peer, asio::buffer(bytes)); }
  template <typename T>
  T Run(asio::awaitable<T> op) {
    auto future = asio::co_spawn(io, std::move(op), asio::use_future);
    // The watchdog's timer is pending work for the stream's lifetime, so run only
    // until this operation finishes. The future is set from Asio's system thread, so
    // poll rather than block in run_one().
    io.restart();
    while (future.wait_for(0s) != std::future_status::ready) io.run_one_for(5ms);
    return future.get();
  }
};

TEST_CASE("stream: lines end at CRLF or bare LF, and the caller learns which") {
  Pair p;
  p.Send("EHLO a\r\nNOOP\nQUIT\r\n");
  std::string line;
  bool crlf = false;
  CHECK(p.Run(p.stream->ReadLine(&line, 512, 1s, &crlf)) == ReadResult::kOk);
  CHECK(line == "EHLO a");
  CHECK(crlf);
  CHECK(p.Run(p.stream->ReadLine(&line, 512, 1s, &crlf)) == ReadResult::kOk);
  CHECK(line == "NOOP");
  CHECK_FALSE(crlf);
  CHECK(p.Run(p.stream->ReadLine(&line, 512, 1s, &crlf)) == ReadResult::kOk);
  CHECK(line == "QUIT");
}

TEST_CASE("stream: a line over the limit is skipped whole and reported, the next one is read") {
  Pair p;
  p.Send(std::string(100000, 'x') + "\r\nNEXT\r\n");
  std::string line;
  CHECK(p.Run(p.stream->ReadLine(&line, 512, 1s)) == ReadResult::kTooLong);
  CHECK(line.empty());
  CHECK(p.Run(p.stream->ReadLine(&line, 512, 1s)) == ReadResult::kOk);
  CHECK(line == "NEXT");
}

TEST_CASE("stream: an idle peer times out, and the session can still say goodbye") {
  Pair p;
  std::string line;
  CHECK(p.Run(p.stream->ReadLine(&line, 512, 50ms)) == ReadResult::kTimeout);
  CHECK_FALSE(p.stream->closed());
  CHECK(p.Run(p.stream->Write("421 4.4.2 Idle timeout\r\n")));
  p.stream->Close();
  char buf[64];
  std::error_code ec;
  size_t n = p.peer.read_some(asio::buffer(buf), ec);
  CHECK(std::string(buf, n) == "421 4.4.2 Idle timeout\r\n");
}

TEST_CASE("stream: a peer that closes mid-line gives kClosed") {
  Pair p;
  p.Send("HALF");
  p.peer.close();
  std::string line;
  CHECK(p.Run(p.stream->ReadLine(&line, 512, 1s)) == ReadResult::kClosed);
}

TEST_CASE("stream: exact reads take buffered bytes first, then the socket") {
  Pair p;
  p.Send("A1 APPEND {5}\r\nhello world\r\n");
  std::string line, literal;
  CHECK(p.Run(p.stream->ReadLine(&line, 512, 1s)) == ReadResult::kOk);
  CHECK(p.Run(p.stream->ReadExactly(5, &literal, 1s)) == ReadResult::kOk);
  CHECK(literal == "hello");
  CHECK(p.Run(p.stream->ReadLine(&line, 512, 1s)) == ReadResult::kOk);
  CHECK(line == " world");
}

TEST_CASE("stream: writes reach the peer") {
  Pair p;
  CHECK(p.Run(p.stream->Write("220 ready\r\n")));
  char buf[32];
  size_t n = p.peer.read_some(asio::buffer(buf));
  CHECK(std::string(buf, n) == "220 ready\r\n");
}

}  // namespace
}  // namespace mail::net
