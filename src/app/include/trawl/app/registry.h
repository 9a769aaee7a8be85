// The registered sweeps, in run order: the one list --modules, its help
// text, the summary and the pipeline are built from. Adding a sweep is one
// line in registry.cc.
#pragma once

#include "trawl/sweep/sweep.h"

namespace trawl::app {

const sweep::Registry& Sweeps();

}  // namespace trawl::app
