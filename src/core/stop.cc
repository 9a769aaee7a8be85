#include "trawl/core/stop.h"

namespace trawl {
namespace {
constinit StopToken g_stop;  // constant-initialised: no guard, safe from a signal handler
}  // namespace

StopToken& ProcessStop() noexcept { return g_stop; }

}  // namespace trawl
