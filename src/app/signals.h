// SIGINT/SIGTERM for `trawl scan`: the first asks the scan to stop, the
// second ends the process at once.
//
// The first signal only sets trawl::ProcessStop() (and says so on stderr):
// the walk stops handing out entries, readers end the object in flight at the
// next chunk, every sink gets what was found so far, and the summary says
// `"interrupted": true`. The second signal calls _exit(2) from the handler:
// JSON Lines and CSV are written per record, so what is on disk stays
// line-complete; only the summary (and the HTML report, written at the end)
// are missing then. Included by main.cc only.
#pragma once

#include "trawl/core/finding.h"

namespace trawl::app {

// Installs the handlers (sigaction, SA_RESTART). Call once, before the scan.
void InstallStopSignals();

// The exit code of a scan under the contract (0 clean, 1 a finding at warning
// or above, 2 could not run): an interrupted scan without such a finding is 2,
// never 0, since a scan that did not finish cannot call the host clean.
int ScanExitCode(const Summary& summary);

}  // namespace trawl::app
