// Sigma v2 correlation rules (internal): parsing and the windowed state.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "internal.h"

namespace trawl::sigma::detail {

struct CorrelationRule {
  RuleInfo info;
  enum Type { kEventCount, kValueCount, kTemporal, kTemporalOrdered } type = kEventCount;
  std::vector<std::string> refs;              // rule ids or names, as written
  std::vector<const CompiledRule*> bases;     // resolved by Engine::Finish (refs order)
  std::vector<std::string> group_by;
  std::int64_t timespan_ms = 0;
  bool gte = true;  // condition gte (else gt)
  std::uint64_t threshold = 1;
  std::string value_field;  // value_count
  bool generate = false;
};

// A YAML document with `correlation:` -> rule. May throw YAML exceptions.
bool CompileCorrelation(const YAML::Node& doc, const std::string& path, int line,
                        CorrelationRule& out, CompileError& err);

// Milliseconds since 1970 from "YYYY-MM-DD[T ]hh:mm:ss[.frac][Z]"; false if not.
bool ParseEventTime(std::string_view text, std::int64_t& ms);

struct CorrelationState {
  struct Entry {
    std::int64_t t;
    std::uint32_t base;  // index into CorrelationRule::bases
    std::string value;   // value_count field value
    std::uint64_t record;
  };
  std::unordered_map<std::string, std::deque<Entry>> groups;
};

// Feeds one base-rule hit; true (with `out` filled) when the correlation fires.
bool Feed(const CorrelationRule& c, CorrelationState& st, std::uint32_t base, const Event& e,
          MatchStats& stats, Match& out);

}  // namespace trawl::sigma::detail
