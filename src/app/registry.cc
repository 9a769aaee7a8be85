#include "trawl/app/registry.h"

#include "trawl/artifacts/artifact_sweep.h"
#include "trawl/files/files.h"
#include "trawl/inventory/inventory_sweep.h"
#include "trawl/live/live_sweep.h"
#include "trawl/logs/log_sweep.h"
#include "trawl/sigma/sigma_sweep.h"

namespace trawl::app {

const sweep::Registry& Sweeps() {
  static const sweep::Registry kRegistry = [] {
    sweep::Registry r;
    // One line per sweep, in run order (a walked entry meets them in this order).
    r.Add(files::FileSweepRegistration());
    r.Add(logs::LogSweepRegistration());
    r.Add(artifacts::ArtifactSweepRegistration());
    r.Add(inventory::InventorySweepRegistration());
    r.Add(live::LiveSweepRegistration());
    r.Add(sigma::SigmaSweepRegistration());
    return r;
  }();
  return kRegistry;
}

}  // namespace trawl::app
