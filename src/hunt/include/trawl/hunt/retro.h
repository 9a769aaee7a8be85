// Retro-hunt: indicators checked against host inventories (inventory_db.h)
// instead of the hosts themselves (`trawl retro DB... --iocs FEED...`).
//
// Every decision is the scan's own, applied to the stored values:
//   - files: hash indicators (and trusted hashes, and name-AND-hash) through
//     content::HashReasons on the stored digests; filename indicators through
//     match::FilenameMatcher on the stored path;
//   - contacts: domains and URL hosts through netmatch's MatchHost, IPs and
//     CIDRs through MatchIp, URLs through MatchUrl (a URL row only reports a
//     URL indicator; its host is a domain row of its own);
//   - products: version indicators through inventory::VersionIndex.
// Findings are module "retro" with `host` (the inventory's), `inventory` (the
// file), `seen_by` (the module that saw the object during the scan) and when
// it was seen (`seen` for files and products: the scan's start; `first_seen`
// / `last_seen` for contacts). They are scored by the caller's sink path.
// Indicator kinds an inventory cannot answer (keywords, YARA rules) are
// counted by NotCheckable, never skipped silently.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "trawl/core/finding.h"
#include "trawl/core/scoring.h"
#include "trawl/core/status.h"
#include "trawl/hunt/inventory_db.h"
#include "trawl/sweep/sweep.h"

namespace trawl::hunt {

struct RetroStats {
  std::uint64_t files = 0, contacts = 0, products = 0;  // rows checked
};

// Checks one inventory with the compiled pieces of `engine` (set, filenames,
// net; any may be null). `emit` gets each finding, unscored. Error when the
// inventory cannot be read part way (rows before it were checked).
Status Check(const Reader& db, const sweep::Engine& engine, const Thresholds& thresholds,
             const std::function<void(Finding&)>& emit, RetroStats& stats);

// Indicators loaded that no inventory can answer, per kind ("keyword": N,
// "yara": N for YARA indicators); the caller adds YARA rule files.
std::map<std::string, std::uint64_t> NotCheckable(const ioc::IndicatorSet& set);

// What changed between two inventories of a host. `fn(change, what, detail)`
// per difference: change is "added", "removed", "changed" (files: path;
// detail says which of size, mtime, sha256 differ), "new_contact" (contacts:
// KIND VALUE), "new_product" / "removed_product" (PRODUCT VERSION at PATH).
Status Diff(const std::string& old_db, const std::string& new_db,
            const std::function<void(std::string_view change, std::string_view what,
                                     std::string_view detail)>& fn,
            std::map<std::string, std::uint64_t>& counts);

}  // namespace trawl::hunt
