// Signal mask helpers; see signals.h.
#include "services/libs/base/signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "services/libs/base/log.h"

namespace mail::base {
namespace {

sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSet();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) == 0 && sig != SIGHUP) return sig;
  }
}

void ExitAfterDrain() {
  LogInfo("stopped");
  _exit(0);
}

void UnblockTerminationSignals() {
  sigset_t set = TerminationSet();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace mail::base
