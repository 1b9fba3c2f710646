// Front-end main loop with drain on SIGTERM; see server_loop.h.
#include "services/libs/net/server_loop.h"

#include <signal.h>

#include <asio/executor_work_guard.hpp>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "services/libs/base/log.h"

namespace mail::net {

void RunServerLoop(asio::io_context& io, int threads, const ServerLoopHooks& hooks,
                   absl::Duration grace) {
  auto work = asio::make_work_guard(io);
  std::vector<std::thread> pool;
  for (int i = 0; i < std::max(1, threads); ++i) pool.emplace_back([&io] { io.run(); });

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      base::LogInfo("SIGHUP: reloading");
      if (hooks.reload) hooks.reload();
      continue;
    }
    base::LogInfo("shutting down", {{"signal", std::to_string(sig)}});
    break;
  }
  if (hooks.stop_accepting) hooks.stop_accepting();
  if (hooks.ask_sessions_to_stop) hooks.ask_sessions_to_stop();
  absl::Time give_up = absl::Now() + grace;
  while (hooks.active_sessions && hooks.active_sessions() > 0 && absl::Now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (hooks.active_sessions && hooks.active_sessions() > 0) {
    base::LogWarning("closing sessions still open after the grace period",
                     {{"sessions", std::to_string(hooks.active_sessions())}});
  }
  work.reset();
  io.stop();
  for (auto& t : pool) t.join();
}

}  // namespace mail::net
