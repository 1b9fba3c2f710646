// Plain/TLS connection with buffered, limited reads; see stream.h.
#include "services/libs/net/stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace mail::net {
namespace {

constexpr size_t kReadChunk = 4096;
constexpr auto kNever = std::chrono::steady_clock::time_point::max();

// OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE when the peer has
// gone; this one uses send(2) with MSG_NOSIGNAL, as Asio does, so a TLS stream needs
// no process-wide signal setting. The descriptor is the BIO's data; socket_ owns it.
int BioFd(BIO* bio) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio))); }

int BioWrite(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::send(BioFd(bio), data, static_cast<size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(bio);
  }
  return static_cast<int>(n);
}

int BioRead(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::recv(BioFd(bio), data, static_cast<size_t>(size), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(bio);
  } else if (n == 0) {
    BIO_set_flags(bio, BIO_FLAGS_IN_EOF);  // OpenSSL tells a truncated stream from this
  }
  return static_cast<int>(n);
}

long BioCtrl(BIO* bio, int cmd, long, void*) {  // NOLINT(runtime/int): OpenSSL's type
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    default:
      return 0;
  }
}

int BioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* SocketBioMethod() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mailsuite socket");
    BIO_meth_set_write(m, BioWrite);
    BIO_meth_set_read(m, BioRead);
    BIO_meth_set_ctrl(m, BioCtrl);
    BIO_meth_set_create(m, BioCreate);
    return m;
  }();
  return method;
}

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
      deadline_(kNever),
      flushed_(socket_.get_executor(), kNever) {
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

bool Stream::BeginTls(bool server) {
  ssl_.reset(SSL_new(tls_ctx_->native_handle()));
  if (ssl_ == nullptr) return false;
  // The socket is non-blocking (constructor): OpenSSL says what it waits for, asio's
  // reactor tells when (WaitFor). The BIO leaves the descriptor to socket_.
  BIO* bio = BIO_new(SocketBioMethod());
  if (bio == nullptr) return false;
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(socket_.native_handle())));
  SSL_set_bio(ssl_.get(), bio, bio);  // one reference, taken by the SSL object
  // RELEASE_BUFFERS: an idle connection holds no record buffers. The other two let a
  // write that waited be retried from another buffer holding the same bytes (out_).
  SSL_set_mode(ssl_.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (server) {
    SSL_set_accept_state(ssl_.get());
  } else {
    SSL_set_connect_state(ssl_.get());
  }
  return true;
}

asio::awaitable<bool> Stream::WaitFor(int ssl_error, std::error_code* ec, bool for_read) {
  if (ssl_error != SSL_ERROR_WANT_READ && ssl_error != SSL_ERROR_WANT_WRITE) co_return false;
  const auto what = ssl_error == SSL_ERROR_WANT_READ ? asio::socket_base::wait_read
                                                     : asio::socket_base::wait_write;
  if (for_read) {
    co_await socket_.async_wait(
        what, asio::bind_cancellation_slot(read_cancel_.slot(),
                                           asio::redirect_error(asio::use_awaitable, *ec)));
  } else {
    co_await socket_.async_wait(what, asio::redirect_error(asio::use_awaitable, *ec));
  }
  co_return !*ec;
}

asio::awaitable<absl::Status> Stream::Handshake(std::chrono::milliseconds timeout) {
  Arm(timeout);
  std::error_code ec;
  for (;;) {
    if (closed_) co_return absl::UnavailableError("TLS handshake failed: connection closed");
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_.get());
    if (r == 1) break;
    const int err = SSL_get_error(ssl_.get(), r);
    const unsigned long reason = ERR_peek_last_error();
    const bool ready = co_await WaitFor(err, &ec);
    if (!ready) {
      deadline_ = kNever;
      Close();
      const char* text = reason != 0 ? ERR_reason_error_string(reason) : nullptr;
      ERR_clear_error();
      co_return absl::UnavailableError(absl::StrCat(
          "TLS handshake failed: ", ec ? ec.message() : (text != nullptr ? text : "closed")));
    }
  }
  deadline_ = kNever;
  tls_active_ = true;
  co_return absl::OkStatus();
}

asio::awaitable<size_t> Stream::TlsRead(char* data, size_t size, std::error_code* ec) {
  for (;;) {
    if (closed_) co_return 0;
    size_t got = 0;
    ERR_clear_error();
    const int r = SSL_read_ex(ssl_.get(), data, size, &got);
    if (r == 1) co_return got;
    // WANT_READ (or WANT_WRITE: a post-handshake message to send first) waits; the
    // peer's close_notify, EOF or an error end the read.
    const int err = SSL_get_error(ssl_.get(), r);
    ERR_clear_error();
    if (timed_out_) {
      // Interrupted (or past the deadline) after the socket's wake-up was queued (a
      // partial record): Interrupt's cancel found no wait to abort.
      *ec = asio::error::operation_aborted;
      co_return 0;
    }
    const bool ready = co_await WaitFor(err, ec, /*for_read=*/true);
    if (!ready) co_return 0;
  }
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
            if (!self->reading_ || self->writing_) {
              self->Close();
              co_return;
            }
            // A read past its deadline is only cancelled, so the protocol can still
            // send its goodbye; a write past its deadline closes (above). A write queued
            // in the background (WriteNow) goes on.
            self->read_cancel_.emit(asio::cancellation_type::all);
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
  // Interrupted (or past the deadline) between two reads of one ReadLine: the cancel
  // found no read to abort.
  if (timed_out_) co_return 0;
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
    n = co_await TlsRead(buf_.data() + old, kReadChunk, &ec);
  } else {
    n = co_await socket_.async_read_some(
        buffer, asio::bind_cancellation_slot(read_cancel_.slot(),
                                             asio::redirect_error(asio::use_awaitable, ec)));
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

size_t Stream::WriteSome(std::string_view data) {
  if (closed_ || data.empty()) return 0;
  if (tls_active_) {
    size_t total = 0;
    while (total < data.size()) {
      size_t wrote = 0;
      ERR_clear_error();
      const int r = SSL_write_ex(ssl_.get(), data.data() + total, data.size() - total, &wrote);
      if (r == 1) {
        total += wrote;
        continue;
      }
      const int err = SSL_get_error(ssl_.get(), r);
      ERR_clear_error();
      if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
        want_ = err;  // data[total..] must be offered again, first (pending_)
        break;
      }
      Close();
      return 0;
    }
    return total;
  }
  std::error_code ec;
  const size_t n = socket_.write_some(asio::buffer(data), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    Close();
    return 0;
  }
  want_ = SSL_ERROR_WANT_WRITE;
  return n;
}

asio::awaitable<bool> Stream::Drain(std::string_view data) {
  for (;;) {
    size_t off = 0;
    while (off < data.size() && !closed_) {
      off += WriteSome(data.substr(off));
      if (off == data.size() || closed_) break;
      std::error_code ec;
      const bool ready = co_await WaitFor(want_, &ec);
      if (!ready) Close();
    }
    if (closed_ || pending_.empty()) break;
    // What was queued meanwhile, in order; held_ keeps it still while it is written
    // (later writes queue in pending_ again).
    held_ = std::move(pending_);
    pending_.clear();
    data = held_;
  }
  pending_.clear();
  held_.clear();
  held_.shrink_to_fit();
  flushing_ = false;
  flushed_.cancel();  // the Write()s queued behind this one
  co_return !closed_;
}

bool Stream::WriteNow(std::string_view data) {
  if (closed_ || (ssl_ != nullptr && !tls_active_)) return false;
  if (data.empty()) return true;
  if (flushing_) {
    pending_.append(data);
    return true;
  }
  const size_t n = WriteSome(data);
  if (closed_) return false;
  if (n == data.size()) return true;
  // The rest is written in the background; under TLS it starts with the bytes of the
  // record OpenSSL left half-sent, as its retry rule wants.
  held_.assign(data.substr(n));
  flushing_ = true;
  asio::co_spawn(
      socket_.get_executor(),
      [self = shared_from_this()]() -> asio::awaitable<void> {
        const bool drained = co_await self->Drain(self->held_);
        (void)drained;
      },
      asio::detached);
  return true;
}

asio::awaitable<bool> Stream::Write(std::string_view data, std::chrono::milliseconds timeout) {
  if (closed_ || (ssl_ != nullptr && !tls_active_)) co_return false;
  if (flushing_) {
    // Behind another write: queue, and wait until that one has written this too.
    pending_.append(data);
    Arm(timeout);
    writing_ = true;
    while (flushing_ && !closed_) {
      std::error_code ec;
      co_await flushed_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    writing_ = false;
    deadline_ = kNever;
    co_return !closed_;
  }
  // Most replies fit the socket's send buffer: written now, without a trip through the
  // scheduler; the rest is written from the caller's buffer as the socket drains.
  const size_t n = WriteSome(data);
  if (closed_) co_return false;
  if (n == data.size()) co_return true;
  flushing_ = true;
  Arm(timeout);
  writing_ = true;
  const bool ok = co_await Drain(data.substr(n));
  writing_ = false;
  deadline_ = kNever;
  co_return ok;
}

asio::awaitable<absl::Status> Stream::StartServerTls(std::chrono::milliseconds timeout) {
  if (tls_ctx_ == nullptr) co_return absl::FailedPreconditionError("TLS not configured");
  if (tls_active_ || ssl_ != nullptr) co_return absl::FailedPreconditionError("TLS already active");
  if (closed_) co_return absl::UnavailableError("connection closed");
  if (!BeginTls(/*server=*/true)) {
    Close();
    co_return absl::InternalError("cannot create a TLS session");
  }
  co_return co_await Handshake(timeout);
}

asio::awaitable<absl::Status> Stream::StartClientTls(const std::string& sni,
                                                     std::chrono::milliseconds timeout) {
  if (tls_ctx_ == nullptr) co_return absl::FailedPreconditionError("TLS not configured");
  if (tls_active_ || ssl_ != nullptr) co_return absl::FailedPreconditionError("TLS already active");
  if (closed_) co_return absl::UnavailableError("connection closed");
  if (!BeginTls(/*server=*/false)) {
    Close();
    co_return absl::InternalError("cannot create a TLS session");
  }
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl_.get(), sni.c_str());
  DiscardBuffered();
  co_return co_await Handshake(timeout);
}

std::string Stream::tls_version() const {
  if (!tls_active_) return "";
  return SSL_get_version(ssl_.get());
}

std::string Stream::tls_cipher() const {
  if (!tls_active_) return "";
  const char* name = SSL_get_cipher_name(ssl_.get());
  return name ? name : "";
}

void Stream::Interrupt() {
  if (closed_ || !reading_) return;
  timed_out_ = true;
  read_cancel_.emit(asio::cancellation_type::all);  // the read only: a write goes on
}

void Stream::Close() {
  if (closed_) return;
  closed_ = true;
  if (ssl_ != nullptr) {
    // The descriptor number is about to be free for the next connection: no OpenSSL
    // call may reach it through the BIO afterwards.
    BIO* bio = SSL_get_rbio(ssl_.get());
    if (bio != nullptr) BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(-1)));
  }
  std::error_code ec;
  socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket().close(ec);
  watchdog_.cancel();
}

}  // namespace mail::net
