#include "services/smtp-ingress/server.h"

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"

namespace mail::smtp_ingress {

Server::Server(asio::io_context& io, const Config& config, std::shared_ptr<net::TlsContext> tls,
               Backends backends, Metrics* metrics, net::ListenerLimits limits,
               net::AuthLimiter* auth_limiter)
    : io_(io),
      config_(config),
      tls_(std::move(tls)),
      backends_(backends),
      metrics_(metrics),
      limits_(limits),
      auth_limiter_(auth_limiter) {}

absl::Status Server::Start(const ListenAddresses& addresses) {
  std::vector<std::pair<Role, std::string>> wanted = {{Role::kMx, addresses.smtp},
                                                      {Role::kSubmission, addresses.submission},
                                                      {Role::kSubmissions, addresses.submissions}};
  for (const auto& [role, address] : wanted) {
    if (address.empty()) continue;
    if (role == Role::kSubmissions && tls_ == nullptr) {
      base::LogWarning("no TLS certificate: the submissions (implicit TLS) listener is off",
                       {{"address", address}});
      continue;
    }
    Role r = role;
    auto listener = net::Listener::Bind(
        io_, address, limits_,
        [this, r](asio::ip::tcp::socket socket) { return Handle(r, std::move(socket)); },
        [this](asio::ip::tcp::socket socket) { return RejectBusy(std::move(socket)); });
    if (!listener.ok()) return listener.status();
    base::LogInfo("listening", {{"listener", std::string(RoleName(role))},
                                {"address", address},
                                {"port", absl::StrCat((*listener)->port())}});
    listeners_[role] = *std::move(listener);
  }
  for (auto& [role, listener] : listeners_) listener->Start();
  return absl::OkStatus();
}

void Server::StopAccepting() {
  for (auto& [role, listener] : listeners_) listener->Stop();
}

void Server::AskSessionsToStop() {
  stopping_ = true;
  absl::MutexLock lock(&mu_);
  for (auto& [id, live] : live_) {
    // Wakes sessions idle in a read; the stopping flag makes them say 421 4.3.2.
    asio::post(live.executor, [weak = live.stream] {
      if (auto stream = weak.lock()) stream->Interrupt();
    });
  }
}

int Server::ActiveSessions() const {
  int n = 0;
  for (const auto& [role, listener] : listeners_) n += listener->active();
  return n;
}

int Server::port(Role role) const {
  auto it = listeners_.find(role);
  return it == listeners_.end() ? 0 : it->second->port();
}

asio::awaitable<void> Server::Handle(Role role, asio::ip::tcp::socket socket) {
  auto executor = socket.get_executor();
  std::shared_ptr<asio::ssl::context> ctx = tls_ ? tls_->Current() : nullptr;
  auto stream = net::Stream::Create(std::move(socket), std::move(ctx));
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    id = next_id_++;
    live_[id] = Live{stream, executor};
  }
  Session session(config_, role, stream, backends_, metrics_, &stopping_, auth_limiter_);
  co_await session.Run();
  absl::MutexLock lock(&mu_);
  live_.erase(id);
}

asio::awaitable<void> Server::RejectBusy(asio::ip::tcp::socket socket) {
  if (metrics_ != nullptr) metrics_->Rejection("too_many_connections");
  std::string reply =
      absl::StrCat("421 4.7.0 ", config_.hostname, " Error: too many connections\r\n");
  std::error_code ec;
  co_await asio::async_write(socket, asio::buffer(reply),
                             asio::redirect_error(asio::use_awaitable, ec));
  socket.close(ec);
}

}  // namespace mail::smtp_ingress
