// Sigma rule engine: loads Sigma detection rules (YAML), maps each rule's
// logsource onto Windows channels/event ids (mapping.h), compiles every
// detection once, and matches events (event.h) against them.
//
// Contract:
//  - Loading never throws and never stops at a bad rule: each document of a
//    file is either compiled or recorded in LoadReport::issues with file,
//    line, rule id and a reason key (LoadReport::skipped counts per key).
//  - Matching is exact Sigma semantics (README "Sigma" lists every choice
//    where the specification leaves room; pySigma is followed). A Vectorscan
//    literal prefilter and a channel/event-id index pick the candidate rules;
//    they may pass extra rules, never drop one.
//  - After Finish() the engine is immutable and shared by every thread; each
//    thread brings its own Scratch (NewScratch()).
//  - Memory per event is bounded by the event; nothing grows with the log
//    except correlation state, capped (kMaxCorrelation*).
//  - Correlation rules (Sigma v2: event_count, value_count, temporal,
//    temporal_ordered; group-by; timespan; conditions gt/gte) are fed by
//    their base rules' matches in event order and reported through the same
//    MatchFn (Match::records names the correlated events). Base rules of a
//    correlation without `generate: true` report no matches of their own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/sigma/event.h"
#include "trawl/sigma/mapping.h"

namespace trawl::sigma {

enum class RuleLevel { kInformational = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };
// "informational", "low", "medium", "high", "critical".
const char* RuleLevelName(RuleLevel level);
// Parses a level name; false when unknown.
bool ParseRuleLevel(std::string_view text, RuleLevel& level);
// THOR's scale: informational 20, low 40, medium 50, high 70, critical 100.
int RuleLevelScore(RuleLevel level);

// A loaded rule's metadata (what findings and `trawl sigma list` show).
struct RuleInfo {
  std::string id, name, title, status, description, author, path;
  int line = 0;  // first line of its YAML document
  RuleLevel level = RuleLevel::kMedium;
  std::vector<std::string> tags, references;
  std::string category, product, service;  // logsource
  std::string correlation;  // "" for a detection rule, else the correlation type
};

// One rule (or file) the loader could not use.
struct LoadIssue {
  std::string path;
  int line = 0;
  std::string rule_id;  // "" when unknown
  std::string title;
  std::string reason;  // short key: "unknown-modifier", "unset-placeholder", ...
  std::string detail;  // human text
};

struct LoadReport {
  std::uint64_t files = 0;      // YAML files read
  std::uint64_t documents = 0;  // YAML documents seen
  std::uint64_t loaded = 0;     // rules compiled and routed
  std::uint64_t filters = 0;    // filter documents applied to at least one rule
  std::map<std::string, std::uint64_t> skipped;  // reason -> count
  std::vector<LoadIssue> issues;
  std::map<std::string, std::uint64_t> per_logsource;  // "product/category/service" of loaded rules
  std::map<std::string, std::uint64_t> per_modifier;   // modifier use in loaded rules
  std::map<std::string, std::uint64_t> per_level;      // loaded rules per level
};

struct EngineOptions {
  // Values for `expand` placeholders (%name% -> values). A rule using an
  // unset placeholder is skipped ("unset-placeholder"), as the spec requires.
  std::map<std::string, std::vector<std::string>> placeholders;
  RuleLevel min_level = RuleLevel::kInformational;  // rules below are skipped ("below-level")
  bool prefilter = true;  // Vectorscan literal prefilter (off: every routed rule is evaluated)
};

// One rule that matched one event.
struct Match {
  const RuleInfo* rule = nullptr;
  // Fields whose condition held, with the value that fit (in rule order);
  // for a correlation: the group-by fields and values, then "count".
  std::vector<std::pair<std::string, std::string>> fields;
  // A correlation: the records of the events it correlates (at most 50).
  std::vector<std::uint64_t> records;
};
using MatchFn = std::function<void(const Match&)>;

struct MatchStats {
  std::uint64_t events = 0;
  std::uint64_t candidates = 0;  // rules evaluated exactly
  std::uint64_t matches = 0;
  std::uint64_t correlation_untimed = 0;   // base-rule hits without a parsable time
  std::uint64_t correlation_dropped = 0;   // entries dropped at the state caps
};

// Correlation state caps, per Scratch and correlation rule: at most
// kMaxCorrelationGroups group-by keys, each holding at most
// kMaxCorrelationWindow events of its timespan (oldest dropped first; drops
// counted in MatchStats::correlation_dropped).
inline constexpr std::size_t kMaxCorrelationGroups = 10000;
inline constexpr std::size_t kMaxCorrelationWindow = 10000;

class Engine {
 public:
  // `mapping` is copied; use Mapping::Thor() or a loaded file.
  Engine(Mapping mapping, EngineOptions options = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  // A .yml/.yaml file, or a folder searched recursively (symlinks not
  // followed). Errors only when `path` cannot be read at all; per-rule
  // problems go to report(). `shown` names the source in reports ("" = path).
  Status AddPath(const std::string& path);
  // One YAML text (possibly several documents), named `name` in reports.
  void AddText(std::string_view yaml, const std::string& name);
  // Builds the index and prefilter. Error only when Vectorscan fails.
  Status Finish();

  const LoadReport& report() const;
  const std::vector<const RuleInfo*>& rules() const;  // loaded rules, in load order

  struct Scratch;
  std::unique_ptr<Scratch, void (*)(Scratch*)> NewScratch() const;
  // Calls `fn` once per rule that matches `event`. REQUIRES: Finish() done.
  void MatchEvent(const Event& event, Scratch& scratch, const MatchFn& fn) const;
  // Counters of this scratch (events matched with it so far).
  static const MatchStats& Stats(const Scratch& scratch);
  // Forgets all correlation state (the Sweeper does this per file, so
  // correlations run over the events of one file, in file order).
  static void ResetCorrelations(Scratch& scratch);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace trawl::sigma
