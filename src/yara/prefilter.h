// Internal to the yara stage: the Vectorscan prefilter of issue 12 part 3.
//
// One database holds the patterns (route.h StringPattern) of every string of
// every skippable rule; each pattern carries the routes whose full rule set
// holds one of those rules. AnyHit tells whether any pattern of a route occurs
// in a buffer (stopping at the first). Patterns from text strings are exact;
// regexes and hex strings compile with HS_FLAG_PREFILTER, so the database
// may report a hit where libyara finds none, never the reverse. Where AnyHit
// is false for a file, no skippable rule of its route can match it.
// Nothing here sees a file or a YARA rule.
#pragma once

#include <hs/hs.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "route.h"

namespace trawl::yara::prefilter {

struct DatabaseDeleter {
  void operator()(hs_database_t* d) const noexcept { hs_free_database(d); }
};
struct ScratchDeleter {
  void operator()(hs_scratch_t* s) const noexcept { hs_free_scratch(s); }
};
using DatabasePtr = std::unique_ptr<hs_database_t, DatabaseDeleter>;
using ScratchPtr = std::unique_ptr<hs_scratch_t, ScratchDeleter>;

// Whether Vectorscan accepts a pattern in prefilter mode (hs_expression_info:
// a parse check; the database build may still refuse it, see Build).
bool Usable(const route::StringPattern& p);

class Database {
 public:
  // Adds a pattern for the routes in `routes` (identical patterns share one
  // entry, their route masks or-ed).
  void Add(const route::StringPattern& p, route::RouteMask routes);
  std::size_t size() const { return exprs_.size(); }
  // Compiles. On failure returns false with `error`, and `bad` holds the
  // rejected pattern's expression when Vectorscan names one (else empty).
  bool Build(std::string& error, std::string& bad);
  bool built() const { return db_ != nullptr; }
  // The built database as bytes (hs_serialize_database); empty on failure.
  std::string Serialize() const;
  // Instead of Build: takes a database that Serialize wrote for these same
  // patterns (added in the same order). False when Vectorscan refuses it
  // (damaged, another version, a CPU without the features it was built
  // for): call Build then.
  bool Adopt(std::string_view bytes);

  // A scratch space for one worker; null on failure.
  ScratchPtr NewScratch() const;
  // Whether a pattern of `route` occurs in the n bytes at data. Requires
  // built(); a Vectorscan failure counts as a hit (never drops a file).
  bool AnyHit(const std::uint8_t* data, std::size_t n, int route, hs_scratch_t* scratch) const;

 private:
  struct Entry {
    std::string expr;
    unsigned flags;
  };
  std::vector<Entry> exprs_;
  std::vector<route::RouteMask> routes_;
  std::unique_ptr<std::unordered_map<std::string, std::size_t>> lookup_;  // until Build
  DatabasePtr db_;
};

}  // namespace trawl::yara::prefilter
