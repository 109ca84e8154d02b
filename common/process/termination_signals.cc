#include "common/process/termination_signals.h"

#include <pthread.h>
#include <signal.h>

namespace dbdump {
namespace {
sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
sigset_t DaemonSet() {
  sigset_t set = TerminationSet();
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

void BlockTerminationSignals() {
  signal(SIGPIPE, SIG_IGN);
  sigset_t set = DaemonSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSet();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace dbdump

namespace dbdump {

int WaitForSignal() {
  sigset_t set = DaemonSet();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace dbdump
