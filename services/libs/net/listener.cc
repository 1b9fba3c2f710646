// TCP acceptor with connection limits; see listener.h.
#include "services/libs/net/listener.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>

#include "services/libs/base/flags.h"
#include "services/libs/base/log.h"

namespace mail::net {

Listener::Listener(asio::io_context& io, ListenerLimits limits, Handler handler, Reject reject)
    : io_(io),
      acceptor_(asio::make_strand(io)),
      limits_(limits),
      handler_(std::move(handler)),
      reject_(std::move(reject)) {}

absl::StatusOr<std::unique_ptr<Listener>> Listener::Bind(asio::io_context& io,
                                                         const std::string& address,
                                                         ListenerLimits limits, Handler handler,
                                                         Reject reject) {
  std::string host;
  int port = 0;
  if (!base::SplitHostPort(address, &host, &port)) {
    return absl::InvalidArgumentError("bad listen address '" + address + "' (want HOST:PORT)");
  }
  std::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError("bad listen address '" + address + "'");
  std::unique_ptr<Listener> l(new Listener(io, limits, std::move(handler), std::move(reject)));
  asio::ip::tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  l->acceptor_.open(endpoint.protocol(), ec);
  if (!ec) l->acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) l->acceptor_.bind(endpoint, ec);
  if (!ec) l->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError("cannot listen on " + address + ": " + ec.message());
  l->port_ = l->acceptor_.local_endpoint().port();
  return l;
}

void Listener::Start() { asio::co_spawn(acceptor_.get_executor(), AcceptLoop(), asio::detached); }

void Listener::Stop() {
  asio::post(acceptor_.get_executor(), [this] {
    std::error_code ec;
    acceptor_.close(ec);
  });
}

asio::awaitable<void> Listener::AcceptLoop() {
  for (;;) {
    std::error_code ec;
    asio::ip::tcp::socket socket = co_await acceptor_.async_accept(
        asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!acceptor_.is_open()) co_return;
      // EMFILE and friends: back off briefly instead of spinning.
      base::LogWarning("accept failed", {{"error", ec.message()}});
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    std::string ip;
    auto peer = socket.remote_endpoint(ec);
    if (ec) continue;  // the peer is already gone
    ip = peer.address().to_string();
    bool over_limit = active_.load() >= limits_.max_connections;
    {
      absl::MutexLock lock(&mu_);
      int& count = per_ip_[ip];
      if (count >= limits_.max_connections_per_ip) over_limit = true;
      if (!over_limit) ++count;
      if (count == 0) per_ip_.erase(ip);
    }
    if (over_limit) {
      if (reject_) {
        auto executor = socket.get_executor();
        asio::co_spawn(executor, reject_(std::move(socket)), asio::detached);
      }
      continue;
    }
    ++active_;
    auto executor = socket.get_executor();
    asio::co_spawn(executor, RunOne(std::move(socket), std::move(ip)), asio::detached);
  }
}

asio::awaitable<void> Listener::RunOne(asio::ip::tcp::socket socket, std::string ip) {
  try {
    co_await handler_(std::move(socket));
  } catch (const std::exception& e) {
    // A bug, not bad input: input errors are handled inside the session.
    base::LogError("session ended by exception", {{"error", e.what()}, {"client_ip", ip}});
  }
  {
    absl::MutexLock lock(&mu_);
    auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && --it->second <= 0) per_ip_.erase(it);
  }
  --active_;
}

}  // namespace mail::net
