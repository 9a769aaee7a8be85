// One read of a walked event log for every sweep that reads its records
// (the evtx indicator sweep, the Sigma sweep): the pipeline collects their
// EvtxSinks (Sweep::EvtxSinkFor) and calls ReadEvtxOnce once per entry.
//
// The file is opened through the reader stage relative to the walked
// directory (OpenEntry: the very entry walked, at any path length), read
// once with the union of the sinks' reader settings, and each record handed
// to every sink in registry order. The first sink reports the read's error
// and problems (one error record per damaged chunk, not one per sweep).
#pragma once

#include <memory>
#include <vector>

#include "trawl/sweep/sweep.h"

namespace trawl::sweep {

// REQUIRES: item.regular. Calls every sink's OnDone exactly once.
void ReadEvtxOnce(const Item& item, const std::vector<std::unique_ptr<EvtxSink>>& sinks,
                  Context& ctx);

}  // namespace trawl::sweep
