// The log sweep (module "log") on the sweep seam: claims the walked regular
// files IsLogPath names logs, scans each with one LogScanner, sends every
// hit (up to --max-hits-per-file) to machine sinks and one aggregate per
// indicator (hits, first_seen, last_seen) to people, and feeds the contact
// timeline. Summary fields: logs, log_bytes, log_lines, log_hits,
// log_hits_beyond_cap. Not made when no network or keyword indicator is loaded.
#pragma once

#include <map>

#include "trawl/logs/logs.h"
#include "trawl/sweep/sweep.h"

namespace trawl::logs {

sweep::Registration LogSweepRegistration();

// A source's per-indicator tallies as contacts for the timeline
// (sweep::Context::AddContacts); empty for a source with no hit. Every sweep
// that keeps a Tally (logs, evtx, journal, browser) feeds the timeline with it.
std::map<const ioc::Indicator*, sweep::Context::Contact> Contacts(
    const std::map<const ioc::Indicator*, Tally>& tally);

}  // namespace trawl::logs
