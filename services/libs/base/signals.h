// Termination signals for clean shutdown. Call BlockTerminationSignals() in main()
// before starting any thread (threads inherit the mask), then wait for SIGTERM or
// SIGINT in one place: WaitForTerminationSignal() for thread-based servers, or an
// asio::signal_set for Asio-based ones.
#ifndef MAILSUITE_SERVICES_LIBS_BASE_SIGNALS_H_
#define MAILSUITE_SERVICES_LIBS_BASE_SIGNALS_H_

namespace mail::base {

void BlockTerminationSignals();
// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();
// Restores the default mask on the calling thread (for Asio's signal_set thread).
void UnblockTerminationSignals();

// Ends the process with status 0 once it has drained: logs "stopped" and exits without
// running destructors. Everything durable is in PostgreSQL by then, and tearing down
// gRPC channels, the metrics HTTP server and idle I/O threads can wait on peers (a
// keep-alive scrape, a half-closed stream) for longer than an orchestrator's grace.
[[noreturn]] void ExitAfterDrain();

}  // namespace mail::base

#endif  // MAILSUITE_SERVICES_LIBS_BASE_SIGNALS_H_
