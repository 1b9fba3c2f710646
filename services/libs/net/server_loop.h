// The main loop of a protocol front-end: runs an io_context on several threads until
// SIGTERM or SIGINT, calls `reload` on SIGHUP (certificate reload), and on
// termination drains: `stop_accepting`, then waits until `active_sessions()` is 0 or
// `grace` passes, then stops the io_context and joins the threads. Call from main()
// after BlockTerminationSignals(); returns when everything has stopped.
#ifndef MAILSUITE_SERVICES_LIBS_NET_SERVER_LOOP_H_
#define MAILSUITE_SERVICES_LIBS_NET_SERVER_LOOP_H_

#include <asio/io_context.hpp>
#include <functional>

#include "absl/time/time.h"

namespace mail::net {

struct ServerLoopHooks {
  std::function<void()> reload;          // may be empty
  std::function<void()> stop_accepting;  // close listeners
  std::function<int()> active_sessions;  // sessions still running
  // Asks running sessions to finish (e.g. send "421 shutting down" at the next
  // command); may be empty.
  std::function<void()> ask_sessions_to_stop;
};

void RunServerLoop(asio::io_context& io, int threads, const ServerLoopHooks& hooks,
                   absl::Duration grace);

}  // namespace mail::net

#endif  // MAILSUITE_SERVICES_LIBS_NET_SERVER_LOOP_H_
