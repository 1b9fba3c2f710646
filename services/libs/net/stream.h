// One TCP connection that may start in plaintext and switch to TLS (STARTTLS, STLS)
// or start in TLS (ports 465, 993, 995), with a read buffer, line and exact-length
// reads under limits, and an idle deadline that closes the connection when it passes.
// Used from the one coroutine that owns the connection (its strand).
//
// TLS is OpenSSL on the socket itself (SSL_set_fd, non-blocking, readiness from asio's
// reactor), not asio::ssl::stream: that one keeps four 17 KiB buffers (its own and a
// BIO pair) for the connection's life, ~70 KiB per idle IMAPS connection; here an
// idle connection keeps only the SSL object (SSL_MODE_RELEASE_BUFFERS).
#ifndef MAILSUITE_SERVICES_LIBS_NET_STREAM_H_
#define MAILSUITE_SERVICES_LIBS_NET_STREAM_H_

#include <openssl/ssl.h>

#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace mail::net {

enum class ReadResult {
  kOk,
  kTooLong,  // the line exceeded the limit; it was consumed up to its end
  kClosed,   // the peer closed or the connection failed
  kTimeout,  // the idle deadline passed; the read was cancelled but the connection is
             // still open for one last reply ("421 4.4.2 timeout"): Close() it after
};

class Stream : public std::enable_shared_from_this<Stream> {
 public:
  // `tls` may be null when the listener offers no TLS.
  static std::shared_ptr<Stream> Create(asio::ip::tcp::socket socket,
                                        std::shared_ptr<asio::ssl::context> tls);
  ~Stream();

  // Server-side TLS handshake (implicit TLS, or after a STARTTLS reply). The read
  // buffer must be empty (RFC 3207 §4.2: nothing pipelined after STARTTLS counts).
  asio::awaitable<absl::Status> StartServerTls(std::chrono::milliseconds timeout);
  // Client-side handshake for outbound STARTTLS; `sni` may be empty.
  asio::awaitable<absl::Status> StartClientTls(const std::string& sni,
                                               std::chrono::milliseconds timeout);
  bool tls_available() const { return tls_ctx_ != nullptr; }
  bool is_tls() const { return tls_active_; }
  std::string tls_version() const;  // "TLSv1.3"
  std::string tls_cipher() const;

  // Reads one line ending in LF. `line` receives it without the line ending; `crlf`
  // (optional) tells whether the ending was CRLF rather than a bare LF. Lines longer
  // than `max_len` (ending excluded) give kTooLong after being skipped to their end.
  asio::awaitable<ReadResult> ReadLine(std::string* line, size_t max_len,
                                       std::chrono::milliseconds timeout, bool* crlf = nullptr);
  // Reads exactly `n` bytes (IMAP literals, BDAT chunks) and appends them to `out`.
  asio::awaitable<ReadResult> ReadExactly(size_t n, std::string* out,
                                          std::chrono::milliseconds timeout);
  // Bytes already received but not yet consumed.
  size_t buffered() const { return buf_.size() - pos_; }
  void DiscardBuffered() { buf_.clear(), pos_ = 0; }

  // Writes all of `data` (after anything queued before it); false when the connection
  // failed.
  asio::awaitable<bool> Write(std::string_view data,
                              std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Writes `data` without waiting, for news pushed while a read is pending (IMAP IDLE):
  // what the socket takes now goes now, the rest is queued and written in the
  // background ahead of any later write. False when the connection is closed. Writes
  // never interleave, and a TLS record OpenSSL had to leave half-sent is finished from
  // the queue, which starts with its bytes (OpenSSL's retry rule).
  bool WriteNow(std::string_view data);
  void Close();
  bool closed() const { return closed_; }
  // Cancels a read in progress as if its deadline had passed: ReadLine returns
  // kTimeout and the connection stays open for a last reply (draining on shutdown).
  // Call on the stream's executor; no effect when no read is pending.
  void Interrupt();

  std::string peer_ip() const { return peer_ip_; }
  int peer_port() const { return peer_port_; }
  std::string local_ip() const { return local_ip_; }
  int local_port() const { return local_port_; }

 private:
  Stream(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls);
  asio::awaitable<size_t> ReadSome();  // appends to buf_; 0 on close/error
  void Arm(std::chrono::milliseconds timeout);
  void StartWatchdog();

  asio::ip::tcp::socket& socket() { return socket_; }
  // Creates the SSL object on the socket for a handshake.
  bool BeginTls(bool server);
  asio::awaitable<absl::Status> Handshake(std::chrono::milliseconds timeout);
  // Waits until the socket is ready for what OpenSSL asked (SSL_ERROR_WANT_READ or
  // _WRITE); false when the wait failed or was cancelled (`ec` says which). `for_read`:
  // part of a read, which Interrupt and the deadline cancel (read_cancel_).
  asio::awaitable<bool> WaitFor(int ssl_error, std::error_code* ec, bool for_read = false);
  // TLS counterparts of a read and a write: bytes moved, 0 when closed or failed.
  asio::awaitable<size_t> TlsRead(char* data, size_t size, std::error_code* ec);
  // Writes a prefix of `data` without waiting and returns its length; closes the
  // connection on a hard error. Under TLS, want_ says what OpenSSL waits for.
  size_t WriteSome(std::string_view data);
  // Writes `data` (it stays valid and unchanged meanwhile), then whatever was queued in
  // pending_ in the meantime; flushing_ is set by the caller and cleared here, waking
  // the Write()s queued behind. False when the connection failed.
  asio::awaitable<bool> Drain(std::string_view data);

  struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };

  std::shared_ptr<asio::ssl::context> tls_ctx_;
  asio::ip::tcp::socket socket_;
  // Created only when TLS starts (a plaintext session pays nothing for it).
  std::unique_ptr<SSL, SslFree> ssl_;
  asio::steady_timer watchdog_;
  // A write is under way (Drain): later writes queue their bytes in pending_, and a
  // Write() among them waits on flushed_ (never expires, cancelled when all is out).
  // held_: bytes Drain writes that no caller keeps (WriteNow's rest, then pending_).
  std::string pending_;
  std::string held_;
  bool flushing_ = false;
  asio::steady_timer flushed_;
  int want_ = 0;  // SSL_ERROR_WANT_READ / _WRITE of the last TLS write that waited
  std::chrono::steady_clock::time_point deadline_;
  bool tls_active_ = false;
  bool closed_ = false;
  bool timed_out_ = false;
  bool reading_ = false;  // a ReadSome is in flight
  bool writing_ = false;  // a Write() waits for the socket, under its deadline
  // Cancels the read in flight, and only it (Interrupt, the deadline): a write queued
  // in the background (WriteNow) must not be aborted with it.
  asio::cancellation_signal read_cancel_;
  std::string buf_;
  size_t pos_ = 0;
  std::string peer_ip_, local_ip_;
  int peer_port_ = 0, local_port_ = 0;
};

}  // namespace mail::net

#endif  // MAILSUITE_SERVICES_LIBS_NET_STREAM_H_
