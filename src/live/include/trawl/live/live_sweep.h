// The live sweeps (modules "process" and "network") on the sweep seam:
// sweeps that claim no walked entry and run in Finish (PlanLive decides what
// runs: never processes or connections on a mounted image). Summary: the
// RunLive fields (live, processes, modules, ...) and each note as live_note.
#pragma once

#include "trawl/sweep/sweep.h"

namespace trawl::live {

sweep::Registration LiveSweepRegistration();

}  // namespace trawl::live
