// The listeners of a line-protocol front-end (IMAP, POP3): a plain port that offers
// STARTTLS/STLS when a certificate is loaded and an implicit-TLS port, one Session per
// connection, and the drain on shutdown. Listen/StopAccepting/AskSessionsToStop from any
// thread; the io_context, config, client, TLS context and metrics must outlive it.
// Session must have Session(const Config&, bool implicit_tls, std::shared_ptr<Stream>,
// Client&, Metrics*, const std::atomic<bool>* stopping), Run() and WakeForShutdown();
// Metrics must have SessionStarted(label) and SessionEnded().
#ifndef MAILSUITE_SERVICES_LIBS_NET_SESSION_SERVER_H_
#define MAILSUITE_SERVICES_LIBS_NET_SESSION_SERVER_H_

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/libs/net/listener.h"
#include "services/libs/net/stream.h"
#include "services/libs/net/tls.h"

namespace mail::net {

struct SessionServerNames {
  const char* plain_label;     // metrics label of the plain port ("imap")
  const char* tls_label;       // metrics label of the implicit-TLS port ("imaps")
  const char* tls_protocol;    // for errors ("IMAPS")
  std::string too_many_reply;  // written on the plain port when a limit is reached
};

template <typename Session, typename Config, typename Client, typename Metrics>
class SessionServer {
 public:
  // `tls` may be null: then STARTTLS is not offered and implicit TLS cannot listen.
  // `metrics` may be null (tests).
  SessionServer(asio::io_context& io, const Config& config, Client& client,
                std::shared_ptr<TlsContext> tls, Metrics* metrics, ListenerLimits limits,
                SessionServerNames names)
      : io_(io),
        config_(config),
        client_(client),
        tls_(std::move(tls)),
        metrics_(metrics),
        limits_(limits),
        names_(std::move(names)) {}

  // Binds `address` and starts accepting; returns the port (for "host:0").
  absl::StatusOr<int> Listen(const std::string& address, bool implicit_tls) {
    if (implicit_tls && tls_ == nullptr) {
      return absl::FailedPreconditionError(std::string(names_.tls_protocol) + " on " + address +
                                           " needs --tls_cert and --tls_key");
    }
    auto handler = [this, implicit_tls](asio::ip::tcp::socket socket) {
      return Handle(std::move(socket), implicit_tls);
    };
    // Over a limit: the reply on the plain port only (a TLS client could not read it),
    // and Metrics::ConnectionRefused() where the protocol's metrics have one.
    Listener::Reject reject =
        [this, implicit_tls](asio::ip::tcp::socket socket) -> asio::awaitable<void> {
      if constexpr (requires(Metrics & m) { m.ConnectionRefused(); }) {
        if (metrics_ != nullptr) metrics_->ConnectionRefused();
      }
      std::error_code ec;
      if (!implicit_tls) {
        co_await asio::async_write(socket, asio::buffer(names_.too_many_reply),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      socket.close(ec);
    };
    absl::StatusOr<std::unique_ptr<Listener>> listener =
        Listener::Bind(io_, address, limits_, std::move(handler), std::move(reject));
    if (!listener.ok()) return listener.status();
    int port = (*listener)->port();
    (*listener)->Start();
    listeners_.push_back(*std::move(listener));
    return port;
  }

  void StopAccepting() {
    for (auto& l : listeners_) l->Stop();
  }

  // Sets the stopping flag and wakes the sessions that wait for a command.
  void AskSessionsToStop() {
    stopping_ = true;
    absl::MutexLock lock(&mu_);
    for (auto& [key, entry] : sessions_) {
      asio::post(entry.executor, [weak = entry.session] {
        if (auto session = weak.lock()) session->WakeForShutdown();
      });
    }
  }

  int active_sessions() const {
    int n = 0;
    for (const auto& l : listeners_) n += l->active();
    return n;
  }

 private:
  asio::awaitable<void> Handle(asio::ip::tcp::socket socket, bool implicit_tls) {
    std::shared_ptr<asio::ssl::context> ctx = tls_ ? tls_->Current() : nullptr;
    auto session = std::make_shared<Session>(config_, implicit_tls,
                                             Stream::Create(std::move(socket), std::move(ctx)),
                                             client_, metrics_, &stopping_);
    asio::any_io_executor executor = co_await asio::this_coro::executor;
    {
      absl::MutexLock lock(&mu_);
      sessions_[session.get()] = Entry{executor, session};
    }
    if (metrics_ != nullptr) {
      metrics_->SessionStarted(implicit_tls ? names_.tls_label : names_.plain_label);
    }
    co_await session->Run();
    if (metrics_ != nullptr) metrics_->SessionEnded();
    absl::MutexLock lock(&mu_);
    sessions_.erase(session.get());
  }

  struct Entry {
    asio::any_io_executor executor;
    std::weak_ptr<Session> session;
  };

  asio::io_context& io_;
  const Config& config_;
  Client& client_;
  std::shared_ptr<TlsContext> tls_;
  Metrics* metrics_;
  ListenerLimits limits_;
  const SessionServerNames names_;
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<Listener>> listeners_;
  mutable absl::Mutex mu_;
  std::map<const Session*, Entry> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mail::net

#endif  // MAILSUITE_SERVICES_LIBS_NET_SESSION_SERVER_H_
