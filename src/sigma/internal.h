// Internal representation of compiled Sigma rules (not part of the API).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/sigma/engine.h"

namespace trawl::sigma::detail {

// A wildcard pattern: bytes 0..255, kStar ('*') and kOne ('?').
constexpr int kStar = -1, kOne = -2;
using Pattern = std::vector<int>;

// pySigma's string parsing: '*' and '?' are wildcards; a backslash escapes
// '*', '?' and '\' (giving the literal character); any other backslash is a
// literal backslash.
Pattern ParseSigmaString(std::string_view s);
bool HasWildcard(const Pattern& p);
std::string PatternLiteral(const Pattern& p);  // the bytes, wildcards dropped

struct Regex;  // PCRE2 code, shared between copies of a rule
struct Cidr {
  bool v6 = false;
  unsigned char addr[16] = {};
  int bits = 0;
};

struct Matcher {
  enum Kind { kEq, kPrefix, kSuffix, kContains, kGlob, kRegex, kCidr, kCmp, kNull, kExists, kFieldRef };
  Kind kind = kEq;
  bool cased = false;
  std::string lit;  // folded to lower case unless cased
  Pattern glob;     // folded unless cased
  std::shared_ptr<const Regex> re;
  Cidr cidr;
  double num = 0;
  int cmp = 0;  // 0 gt, 1 gte, 2 lt, 3 lte
  bool exists = true;
  std::string ref;                 // fieldref: the other field
  std::int32_t ref_fid = -1;       // its interned id (Engine::Finish)
  Kind ref_mode = kEq;             // fieldref: eq / prefix / suffix / contains
  std::string prefilter_literal;   // a literal every matching value contains ("" none)
};

struct FieldCond {
  std::string field;  // "" = keyword search (any value)
  std::string shown;  // field name as the rule writes it
  std::int32_t fid = -1;  // interned id of `field` (Engine::Finish); -1: not interned
  std::vector<Matcher> values;
  bool all = false;
};

// A search identifier: OR over alternatives, each an AND of field conditions.
struct Search {
  std::string name;
  std::vector<std::vector<FieldCond>> alts;
};

struct Cond {
  enum Kind { kRef, kAnd, kOr, kNot, kAtLeast };
  Kind kind = kRef;
  int ref = -1;  // kRef: index into searches
  int n = 0;     // kAtLeast: how many kids must hold
  std::vector<Cond> kids;
};

// Parses a Sigma condition over the named search identifiers. False with
// `error` set on a syntax error, unknown identifier or empty selector.
bool ParseCondition(std::string_view text, const std::vector<std::string>& names, Cond& out,
                    std::string& error);

struct CompiledRule {
  RuleInfo info;
  std::vector<Search> searches;
  Cond cond;
};

// YAML document -> rule. False with reason key and detail on failure.
struct CompileError {
  std::string reason, detail;
};

// Matching context for one event.
struct EvalContext;
bool EvalCond(const Cond& c, const std::vector<Search>& searches, EvalContext& ctx);
bool EvalFieldCond(const FieldCond& fc, EvalContext& ctx);

// The field-aware, conjunctive form the prefilter uses: every match of the
// condition holds, for each clause, at least one of the clause's literals in
// a value of the clause element's field ("" = any value or the raw line).
// Literals are as written (not folded); an empty result means no requirement
// is known (the rule is always evaluated). At most kMaxReqClauses clauses,
// the most selective first.
struct ReqLit {
  std::string field;
  std::string lit;
};
using ReqClause = std::vector<ReqLit>;
inline constexpr std::size_t kMaxReqClauses = 8;
std::vector<ReqClause> RequirementCnf(const Cond& c, const std::vector<Search>& searches);
// Event ids a condition requires (field "EventID"); nullopt = any.
std::optional<std::set<std::uint32_t>> RequiredEventIds(const Cond& c,
                                                        const std::vector<Search>& searches);

}  // namespace trawl::sigma::detail
