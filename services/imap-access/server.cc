// IMAP listeners and session registry; see server.h.
#include "services/imap-access/server.h"

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "services/libs/imap/response.h"
#include "services/libs/net/stream.h"

namespace mail::imap_access {

Server::Server(asio::io_context& io, const Config& config, clients::MailboxClient& mailbox,
               std::shared_ptr<net::TlsContext> tls, Metrics* metrics, net::ListenerLimits limits)
    : io_(io),
      config_(config),
      mailbox_(mailbox),
      tls_(std::move(tls)),
      metrics_(metrics),
      limits_(limits) {}

Server::~Server() = default;

absl::StatusOr<int> Server::Listen(const std::string& address, bool implicit_tls) {
  if (implicit_tls && tls_ == nullptr) {
    return absl::FailedPreconditionError("IMAPS on " + address + " needs --tls_cert and --tls_key");
  }
  auto handler = [this, implicit_tls](asio::ip::tcp::socket socket) {
    return Handle(std::move(socket), implicit_tls);
  };
  net::Listener::Reject reject;
  if (!implicit_tls) {
    reject = [](asio::ip::tcp::socket socket) -> asio::awaitable<void> {
      std::string reply =
          imap::UntaggedStatus("BYE", "UNAVAILABLE", "Too many connections, try again later");
      std::error_code ec;
      co_await asio::async_write(socket, asio::buffer(reply),
                                 asio::redirect_error(asio::use_awaitable, ec));
      socket.close(ec);
    };
  }
  absl::StatusOr<std::unique_ptr<net::Listener>> listener =
      net::Listener::Bind(io_, address, limits_, std::move(handler), std::move(reject));
  if (!listener.ok()) return listener.status();
  int port = (*listener)->port();
  (*listener)->Start();
  listeners_.push_back(*std::move(listener));
  return port;
}

void Server::StopAccepting() {
  for (auto& l : listeners_) l->Stop();
}

void Server::AskSessionsToStop() {
  stopping_ = true;
  absl::MutexLock lock(&mu_);
  for (auto& [key, entry] : sessions_) {
    asio::post(entry.executor, [weak = entry.session] {
      if (auto session = weak.lock()) session->WakeForShutdown();
    });
  }
}

int Server::active_sessions() const {
  int n = 0;
  for (const auto& l : listeners_) n += l->active();
  return n;
}

asio::awaitable<void> Server::Handle(asio::ip::tcp::socket socket, bool implicit_tls) {
  std::shared_ptr<asio::ssl::context> ctx = tls_ ? tls_->Current() : nullptr;
  auto session = std::make_shared<Session>(config_, implicit_tls,
                                           net::Stream::Create(std::move(socket), std::move(ctx)),
                                           mailbox_, metrics_, &stopping_);
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  {
    absl::MutexLock lock(&mu_);
    sessions_[session.get()] = Entry{executor, session};
  }
  if (metrics_ != nullptr) metrics_->SessionStarted(implicit_tls ? "imaps" : "imap");
  co_await session->Run();
  if (metrics_ != nullptr) metrics_->SessionEnded();
  absl::MutexLock lock(&mu_);
  sessions_.erase(session.get());
}

}  // namespace mail::imap_access
