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

}  // namespace mail::base

#endif  // MAILSUITE_SERVICES_LIBS_BASE_SIGNALS_H_
