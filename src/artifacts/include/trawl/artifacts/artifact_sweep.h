// The artifact sweeps (modules "evtx", "journal", "browser") on the sweep
// seam: one Sweeper for those requested, claiming the walked files Detect
// recognises; every hit to machine sinks, one aggregate per indicator to
// people, contact times to the timeline. Summary fields as
// SweepStats::SummaryFields. Not made when no network or keyword indicator
// is loaded. The browser sweep's private copies are pruned from the walk.
#pragma once

#include "trawl/sweep/sweep.h"

namespace trawl::artifacts {

sweep::Registration ArtifactSweepRegistration();

}  // namespace trawl::artifacts
