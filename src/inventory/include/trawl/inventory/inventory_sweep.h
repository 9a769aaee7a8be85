// The inventory sweep (module "inventory") on the sweep seam: every walked
// regular file goes to inventory::Sweep::OnFile; affected installations are
// findings. Summary: the installations list, installations,
// installations_affected.
#pragma once

#include "trawl/sweep/sweep.h"

namespace trawl::inventory {

sweep::Registration InventorySweepRegistration();

}  // namespace trawl::inventory
