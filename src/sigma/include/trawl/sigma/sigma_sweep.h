// The Sigma sweep behind the pipeline's seam (trawl/sweep/sweep.h): module
// "sigma". It loads the rules once (the built-in 3CX pack unless
// --no-builtin, every --sigma PATH, --sigma-mapping, --sigma-level,
// --placeholder), claims the walked files that hold events (EVTX by name,
// the text logs the log sweep reads whose header makes them W3C/IIS, Zeek or
// Squid, and every file an --events GLOB names: JSON, JSON Lines or any of
// those), streams each through the engine (trawl/sigma/sweep.h), and after
// the walk matches the live process list as linux process_creation events
// when the live system is scanned. Rules that do not load are load problems
// (file:line, rule id, reason) in every sink; rules for logsources trawl has
// no input for are counted, not listed.
#pragma once

#include "trawl/sweep/sweep.h"

namespace trawl::sigma {

sweep::Registration SigmaSweepRegistration();

}  // namespace trawl::sigma
