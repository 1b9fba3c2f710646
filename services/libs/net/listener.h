// Accepts TCP connections on one address and runs a coroutine per connection on its
// own strand. Limits concurrent connections in total and per client IP: over a limit
// the `reject` callback may write a short reply before the socket is closed.
// Start/Stop from any thread; Stop() closes the acceptor and leaves sessions running.
#ifndef MAILSUITE_SERVICES_LIBS_NET_LISTENER_H_
#define MAILSUITE_SERVICES_LIBS_NET_LISTENER_H_

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace mail::net {

struct ListenerLimits {
  int max_connections = 10000;
  int max_connections_per_ip = 50;
};

class Listener {
 public:
  using Handler = std::function<asio::awaitable<void>(asio::ip::tcp::socket)>;
  // Called instead of the handler when a limit is reached ("421 too many ...").
  using Reject = std::function<asio::awaitable<void>(asio::ip::tcp::socket)>;

  // Binds `address` ("0.0.0.0:2525"; port 0 picks one). The listener must outlive
  // the io_context's run.
  static absl::StatusOr<std::unique_ptr<Listener>> Bind(asio::io_context& io,
                                                        const std::string& address,
                                                        ListenerLimits limits, Handler handler,
                                                        Reject reject = nullptr);
  void Start();
  void Stop();
  int port() const { return port_; }
  // Connections whose handler is still running.
  int active() const { return active_.load(); }

 private:
  Listener(asio::io_context& io, ListenerLimits limits, Handler handler, Reject reject);
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> RunOne(asio::ip::tcp::socket socket, std::string ip);

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  ListenerLimits limits_;
  Handler handler_;
  Reject reject_;
  int port_ = 0;
  std::atomic<int> active_{0};
  absl::Mutex mu_;
  std::map<std::string, int> per_ip_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mail::net

#endif  // MAILSUITE_SERVICES_LIBS_NET_LISTENER_H_
