// Plain/TLS connection with buffered, limited reads; see stream.h.
#include "services/libs/net/stream.h"

#include <openssl/ssl.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace mail::net {
namespace {

constexpr size_t kReadChunk = 4096;
constexpr auto kNever = std::chrono::steady_clock::time_point::max();

}  // namespace

std::shared_ptr<Stream> Stream::Create(asio::ip::tcp::socket socket,
                                       std::shared_ptr<asio::ssl::context> tls) {
  std::shared_ptr<Stream> stream(new Stream(std::move(socket), std::move(tls)));
  stream->StartWatchdog();
  return stream;
}

Stream::Stream(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls)
    : tls_ctx_(std::move(tls)),
      socket_(std::move(socket)),
      watchdog_(socket_.get_executor()),
      deadline_(kNever) {
  std::error_code ec;
  auto peer = socket_.remote_endpoint(ec);
  if (!ec) {
    peer_ip_ = peer.address().to_string();
    peer_port_ = peer.port();
  }
  auto local = socket_.local_endpoint(ec);
  if (!ec) {
    local_ip_ = local.address().to_string();
    local_port_ = local.port();
  }
  // Write() tries a plain write_some first; it must not block.
  socket_.non_blocking(true, ec);
}

Stream::~Stream() { Close(); }

void Stream::BeginTls() {
  ssl_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(std::move(socket_), *tls_ctx_);
}

void Stream::StartWatchdog() {
  // The watchdog holds only a weak reference, so a session that drops its Stream
  // frees it; destroying the timer wakes the watchdog, which then finds it gone.
  std::weak_ptr<Stream> weak = shared_from_this();
  asio::co_spawn(
      watchdog_.get_executor(),
      [weak]() -> asio::awaitable<void> {
        for (;;) {
          auto self = weak.lock();
          if (!self || self->closed_) co_return;
          if (std::chrono::steady_clock::now() >= self->deadline_) {
            self->timed_out_ = true;
            if (!self->reading_) {
              self->Close();
              co_return;
            }
            // A read past its deadline is only cancelled, so the protocol can still
            // send its goodbye; a write past its deadline closes (above).
            std::error_code cancel_ec;
            self->socket().cancel(cancel_ec);
            self->deadline_ = kNever;
          }
          asio::steady_timer& timer = self->watchdog_;
          timer.expires_at(self->deadline_);
          self.reset();
          std::error_code ec;
          co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
      },
      asio::detached);
}

void Stream::Arm(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  deadline_ = std::chrono::steady_clock::now() + timeout;
  // Wake the watchdog if it sleeps past the new deadline.
  if (watchdog_.expiry() > deadline_) watchdog_.cancel();
}

asio::awaitable<size_t> Stream::ReadSome() {
  if (closed_) co_return 0;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
    if (buf_.capacity() > 64 * 1024) buf_.shrink_to_fit();  // idle sessions stay small
  } else if (pos_ > 64 * 1024) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  size_t old = buf_.size();
  buf_.resize(old + kReadChunk);
  std::error_code ec;
  size_t n;
  auto buffer = asio::buffer(buf_.data() + old, kReadChunk);
  reading_ = true;
  if (tls_active_) {
    n = co_await ssl_->async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    n = co_await socket_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  }
  reading_ = false;
  buf_.resize(old + n);
  if (ec || n == 0) {
    // A read cancelled by the deadline leaves the connection open (stream.h kTimeout).
    if (!(timed_out_ && ec == asio::error::operation_aborted)) Close();
    co_return 0;
  }
  co_return n;
}

asio::awaitable<ReadResult> Stream::ReadLine(std::string* line, size_t max_len,
                                             std::chrono::milliseconds timeout, bool* crlf) {
  line->clear();
  bool too_long = false;
  size_t scanned = 0;  // unconsumed bytes already searched for LF
  Arm(timeout);
  for (;;) {
    size_t lf = buf_.find('\n', pos_ + scanned);
    if (lf != std::string::npos) {
      size_t end = lf;
      bool cr = end > pos_ && buf_[end - 1] == '\r';
      if (cr) --end;
      if (!too_long && end - pos_ > max_len) too_long = true;
      if (!too_long) line->assign(buf_, pos_, end - pos_);
      pos_ = lf + 1;
      if (crlf != nullptr) *crlf = cr;
      deadline_ = kNever;
      co_return too_long ? ReadResult::kTooLong : ReadResult::kOk;
    }
    // No line end yet. Past the limit, drop what we have and keep looking for the
    // end of the line, so memory stays bounded whatever the peer sends.
    if (buf_.size() - pos_ > max_len + 1) {
      too_long = true;
      pos_ = buf_.size();
    }
    scanned = buf_.size() - pos_;  // ReadSome keeps unconsumed bytes from pos_ on
    size_t n = co_await ReadSome();
    if (n == 0) {
      deadline_ = kNever;
      co_return timed_out_ ? ReadResult::kTimeout : ReadResult::kClosed;
    }
  }
}

asio::awaitable<ReadResult> Stream::ReadExactly(size_t n, std::string* out,
                                                std::chrono::milliseconds timeout) {
  Arm(timeout);
  while (n > 0) {
    if (pos_ < buf_.size()) {
      size_t take = std::min(n, buf_.size() - pos_);
      out->append(buf_, pos_, take);
      pos_ += take;
      n -= take;
      continue;
    }
    size_t got = co_await ReadSome();  // not in the condition: GCC 12 miscompiles that
    if (got == 0) {
      deadline_ = kNever;
      co_return timed_out_ ? ReadResult::kTimeout : ReadResult::kClosed;
    }
  }
  deadline_ = kNever;
  co_return ReadResult::kOk;
}

size_t Stream::WriteNow(std::string_view data) {
  if (closed_ || tls_active_ || ssl_ != nullptr || data.empty()) return 0;
  std::error_code ec;
  const size_t n = socket_.write_some(asio::buffer(data), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    Close();
    return 0;
  }
  return n;
}

asio::awaitable<bool> Stream::Write(std::string_view data, std::chrono::milliseconds timeout) {
  if (closed_) co_return false;
  // Most replies fit the socket's send buffer: write them now (the socket is in
  // non-blocking mode) rather than through the reactor, which costs a trip through
  // the scheduler per write.
  data.remove_prefix(WriteNow(data));
  if (data.empty()) co_return true;
  if (closed_) co_return false;
  Arm(timeout);
  std::error_code ec;
  if (tls_active_) {
    co_await asio::async_write(*ssl_, asio::buffer(data),
                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, asio::buffer(data),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  deadline_ = kNever;
  if (ec) {
    Close();
    co_return false;
  }
  co_return true;
}

asio::awaitable<absl::Status> Stream::StartServerTls(std::chrono::milliseconds timeout) {
  if (tls_ctx_ == nullptr) co_return absl::FailedPreconditionError("TLS not configured");
  if (tls_active_) co_return absl::FailedPreconditionError("TLS already active");
  if (closed_) co_return absl::UnavailableError("connection closed");
  BeginTls();
  Arm(timeout);
  std::error_code ec;
  co_await ssl_->async_handshake(asio::ssl::stream_base::server,
                                 asio::redirect_error(asio::use_awaitable, ec));
  deadline_ = kNever;
  if (ec) {
    Close();
    co_return absl::UnavailableError("TLS handshake failed: " + ec.message());
  }
  tls_active_ = true;
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> Stream::StartClientTls(const std::string& sni,
                                                     std::chrono::milliseconds timeout) {
  if (tls_ctx_ == nullptr) co_return absl::FailedPreconditionError("TLS not configured");
  if (tls_active_) co_return absl::FailedPreconditionError("TLS already active");
  if (closed_) co_return absl::UnavailableError("connection closed");
  BeginTls();
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl_->native_handle(), sni.c_str());
  DiscardBuffered();
  Arm(timeout);
  std::error_code ec;
  co_await ssl_->async_handshake(asio::ssl::stream_base::client,
                                 asio::redirect_error(asio::use_awaitable, ec));
  deadline_ = kNever;
  if (ec) {
    Close();
    co_return absl::UnavailableError("TLS handshake failed: " + ec.message());
  }
  tls_active_ = true;
  co_return absl::OkStatus();
}

std::string Stream::tls_version() const {
  if (!tls_active_) return "";
  return SSL_get_version(ssl_->native_handle());
}

std::string Stream::tls_cipher() const {
  if (!tls_active_) return "";
  const char* name = SSL_get_cipher_name(ssl_->native_handle());
  return name ? name : "";
}

void Stream::Interrupt() {
  if (closed_ || !reading_) return;
  timed_out_ = true;
  std::error_code ec;
  socket().cancel(ec);
}

void Stream::Close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ec;
  socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket().close(ec);
  watchdog_.cancel();
}

}  // namespace mail::net
