#include "signals.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "trawl/core/stop.h"

namespace trawl::app {
namespace {

void Say(const char* msg) {
  // write(2) is async-signal-safe; stdio is not. A short write is let go.
  ssize_t r = ::write(STDERR_FILENO, msg, std::strlen(msg));
  (void)r;
}

extern "C" void OnStopSignal(int signo) {
  StopToken& stop = ProcessStop();
  if (stop.stopped()) {
    Say("\ntrawl: second signal: ending now (the summary is not written)\n");
    ::_exit(2);
  }
  stop.Request(signo);
  Say("\ntrawl: stopping: finishing the objects in flight, then writing every report with "
      "\"interrupted\": true (send the signal again to end at once)\n");
}

}  // namespace

void InstallStopSignals() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

int ScanExitCode(const Summary& summary) {
  if (summary.alerts || summary.warnings) return 1;
  return summary.interrupted ? 2 : 0;
}

}  // namespace trawl::app
