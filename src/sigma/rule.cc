// Sigma rule documents (YAML) -> CompiledRule; literal and event-id
// requirements for the prefilter and the index.
#include "rule.h"

#include <algorithm>

#include "compile.h"
#include "trawl/core/text.h"
#include "yaml_util.h"

namespace trawl::sigma::detail {

namespace {

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t b = 0;
  while (true) {
    std::size_t e = s.find(sep, b);
    out.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return out;
}

bool ReadValues(const YAML::Node& n, std::vector<ValueIn>& out, CompileError& err) {
  auto one = [&](const YAML::Node& x) {
    if (!x || x.IsNull()) {
      out.push_back({true, ""});
      return true;
    }
    if (!x.IsScalar()) {
      err = {"bad-value", "a value must be a scalar, null or a list of them"};
      return false;
    }
    out.push_back({false, x.Scalar()});
    return true;
  };
  if (n.IsSequence()) {
    if (n.size() == 0) {
      err = {"bad-value", "empty value list"};
      return false;
    }
    for (const auto& x : n)
      if (!one(x)) return false;
    return true;
  }
  return one(n);
}

bool CompileFieldCond(const std::string& key, const YAML::Node& val, const CompileOptions& opts,
                      FieldCond& fc, CompileError& err, LoadReport* stats) {
  std::vector<std::string> parts = Split(key, '|');
  fc.field = parts[0];
  fc.shown = parts[0];
  std::vector<std::string> mods(parts.begin() + 1, parts.end());
  for (const auto& m : mods) {
    if (m.empty()) {
      err = {"bad-modifier", "empty modifier in '" + key + "'"};
      return false;
    }
  }
  fc.all = std::find(mods.begin(), mods.end(), "all") != mods.end();
  // Keyword (field-less) values match anywhere in a value, as the full-text
  // searches of SIEM backends (and Hayabusa, Chainsaw) do.
  if (fc.field.empty()) {
    bool placed = false;
    for (const auto& m : mods)
      placed = placed || m == "contains" || m == "startswith" || m == "endswith" || m == "re";
    if (!placed) mods.push_back("contains");
  }
  std::vector<ValueIn> values;
  if (!ReadValues(val, values, err)) return false;
  if (!CompileValues(mods, values, opts, fc.values, err)) {
    err.detail = "'" + key + "': " + err.detail;
    return false;
  }
  if (stats)
    for (const auto& m : mods) stats->per_modifier[m]++;
  return true;
}

bool CompileSearch(const std::string& name, const YAML::Node& n, const CompileOptions& opts,
                   Search& s, CompileError& err, LoadReport* stats) {
  s.name = name;
  auto map_alt = [&](const YAML::Node& m) {
    std::vector<FieldCond> alt;
    if (m.size() == 0) {
      err = {"bad-detection", "search '" + name + "' has an empty map"};
      return false;
    }
    for (auto it = m.begin(); it != m.end(); ++it) {
      FieldCond fc;
      if (!CompileFieldCond(it->first.as<std::string>(), it->second, opts, fc, err, stats))
        return false;
      alt.push_back(std::move(fc));
    }
    s.alts.push_back(std::move(alt));
    return true;
  };
  if (n.IsMap()) return map_alt(n);
  if (n.IsSequence()) {
    if (n.size() == 0) {
      err = {"bad-detection", "search '" + name + "' is an empty list"};
      return false;
    }
    bool maps = true, scalars = true;
    for (const auto& x : n) {
      maps = maps && x.IsMap();
      scalars = scalars && (x.IsScalar() || x.IsNull());
    }
    if (maps) {
      for (const auto& x : n)
        if (!map_alt(x)) return false;
      return true;
    }
    if (scalars) {
      FieldCond fc;
      if (!CompileFieldCond("", n, opts, fc, err, stats)) return false;
      if (stats) stats->per_modifier["keyword"]++;
      s.alts.push_back({std::move(fc)});
      return true;
    }
    err = {"bad-detection", "search '" + name + "' mixes maps and plain values"};
    return false;
  }
  if (n.IsScalar()) {
    FieldCond fc;
    if (!CompileFieldCond("", n, opts, fc, err, stats)) return false;
    if (stats) stats->per_modifier["keyword"]++;
    s.alts.push_back({std::move(fc)});
    return true;
  }
  err = {"bad-detection", "search '" + name + "' is empty"};
  return false;
}

}  // namespace

bool CompileDocument(const YAML::Node& doc, const std::string& path, int line,
                     const CompileOptions& opts, CompiledRule& rule, CompileError& err,
                     LoadReport* stats) {
  RuleInfo& info = rule.info;
  info.path = path;
  info.line = line;
  if (!doc.IsMap()) {
    err = {"not-a-rule", "YAML document is not a map"};
    return false;
  }
  info.id = Scalar(doc["id"]);
  info.title = Scalar(doc["title"]);
  if (doc["action"]) {
    err = {"collection-unsupported", "rule collections ('action:') are not supported"};
    return false;
  }
  if (info.title.empty()) {
    err = {"missing-title", "rule has no title"};
    return false;
  }
  info.name = Scalar(doc["name"]);
  info.status = Scalar(doc["status"]);
  info.description = Scalar(doc["description"]);
  info.author = Scalar(doc["author"]);
  std::string level = ToLowerAscii(Scalar(doc["level"]));
  if (level.empty()) {
    info.level = RuleLevel::kMedium;
  } else if (!ParseRuleLevel(level, info.level)) {
    err = {"bad-level", "unknown level '" + level + "'"};
    return false;
  }
  if (YAML::Node t = doc["tags"]; t && t.IsSequence())
    for (const auto& x : t)
      if (x.IsScalar()) info.tags.push_back(x.Scalar());
  if (YAML::Node r = doc["references"]; r && r.IsSequence())
    for (const auto& x : r)
      if (x.IsScalar()) info.references.push_back(x.Scalar());
  YAML::Node ls = doc["logsource"];
  if (!ls || !ls.IsMap()) {
    err = {"missing-logsource", "rule has no logsource map"};
    return false;
  }
  info.category = ToLowerAscii(Scalar(ls["category"]));
  info.product = ToLowerAscii(Scalar(ls["product"]));
  info.service = ToLowerAscii(Scalar(ls["service"]));
  YAML::Node det = doc["detection"];
  if (!det || !det.IsMap()) {
    err = {"missing-detection", "rule has no detection map"};
    return false;
  }
  YAML::Node cond = det["condition"];
  if (!cond) {
    err = {"missing-condition", "detection has no condition"};
    return false;
  }
  std::vector<std::string> names;
  LoadReport local;
  for (auto it = det.begin(); it != det.end(); ++it) {
    std::string name = it->first.as<std::string>();
    if (name == "condition" || name == "timeframe") continue;
    Search s;
    if (!CompileSearch(name, it->second, opts, s, err, &local)) return false;
    names.push_back(name);
    rule.searches.push_back(std::move(s));
  }
  std::vector<std::string> conds;
  if (cond.IsScalar()) {
    conds.push_back(cond.Scalar());
  } else if (cond.IsSequence() && cond.size() > 0) {
    for (const auto& c : cond) conds.push_back(Scalar(c));
  } else {
    err = {"bad-condition", "condition must be a string or a list of strings"};
    return false;
  }
  std::vector<Cond> parsed;
  for (const std::string& text : conds) {
    Cond c;
    std::string why;
    if (!ParseCondition(text, names, c, why)) {
      err = {"bad-condition", "condition '" + text + "': " + why};
      return false;
    }
    parsed.push_back(std::move(c));
  }
  if (parsed.size() == 1) {
    rule.cond = std::move(parsed[0]);
  } else {
    rule.cond = Cond{Cond::kOr};
    rule.cond.kids = std::move(parsed);
  }
  if (stats)
    for (const auto& [k, v] : local.per_modifier) stats->per_modifier[k] += v;
  return true;
}

bool CompileFilter(const YAML::Node& doc, const std::string& path, int line,
                   const CompileOptions& opts, FilterRule& out, CompileError& err) {
  out.info.path = path;
  out.info.line = line;
  out.info.id = Scalar(doc["id"]);
  out.info.title = Scalar(doc["title"]);
  YAML::Node f = doc["filter"];
  if (!f.IsMap()) {
    err = {"bad-filter", "'filter' must be a map"};
    return false;
  }
  if (YAML::Node r = f["rules"]; r && r.IsSequence()) {
    for (const auto& x : r) out.refs.push_back(Scalar(x));
  } else if (r && r.IsScalar()) {
    out.refs.push_back(r.Scalar());
  }
  if (out.refs.empty()) {
    err = {"bad-filter", "filter names no rules"};
    return false;
  }
  std::vector<std::string> names;
  for (auto it = f.begin(); it != f.end(); ++it) {
    std::string name = it->first.as<std::string>();
    if (name == "rules" || name == "condition") continue;
    Search s;
    if (!CompileSearch(name, it->second, opts, s, err, nullptr)) return false;
    names.push_back(name);
    out.searches.push_back(std::move(s));
  }
  std::string text = Scalar(f["condition"]);
  if (text.empty()) {
    err = {"missing-condition", "filter has no condition"};
    return false;
  }
  std::string why;
  if (!ParseCondition(text, names, out.cond, why)) {
    err = {"bad-condition", "filter condition '" + text + "': " + why};
    return false;
  }
  return true;
}

// ---- requirements ----

namespace {

// Literals shorter than this are left out of the prefilter: one or two bytes
// ("-", "\\", ".") are in almost every event, so they would route nearly
// every rule to exact evaluation and cost the scan a match callback each. A
// rule left with only such literals has no requirement: it is always evaluated.
// One non-ASCII character (two UTF-8 bytes: a Cyrillic look-alike) is kept:
// rare in events, and the only literal some rules have.
constexpr std::size_t kMinPrefilterLiteral = 3;
bool TooShort(const std::string& lit) {
  if (lit.size() >= kMinPrefilterLiteral) return false;
  for (char c : lit)
    if (static_cast<unsigned char>(c) >= 0x80) return lit.empty();
  return true;
}

using Cnf = std::vector<ReqClause>;

constexpr std::size_t kWeakClauseLiteral = 5;

std::size_t WeakestLit(const ReqClause& c) {
  std::size_t m = SIZE_MAX;
  for (const auto& l : c) m = std::min(m, l.lit.size());
  return c.empty() ? 0 : m;
}

// Is clause a more selective than b? Longer weakest literal, then fewer
// alternatives, then tied to fields rather than "any value".
bool Stronger(const ReqClause& a, const ReqClause& b) {
  std::size_t wa = WeakestLit(a), wb = WeakestLit(b);
  if (wa != wb) return wa > wb;
  return a.size() < b.size();
}

// A field condition's clauses: one clause holding every value's literal
// (any one value may be the one that fits), or with `|all` one clause per
// value (every value must fit). Values without a usable literal make the
// non-`all` clause unknown and are skipped under `all`.
Cnf FieldCnf(const FieldCond& fc) {
  Cnf out;
  ReqClause one;
  for (const Matcher& m : fc.values) {
    bool str = m.kind == Matcher::kEq || m.kind == Matcher::kPrefix || m.kind == Matcher::kSuffix ||
               m.kind == Matcher::kContains || m.kind == Matcher::kGlob ||
               m.kind == Matcher::kRegex;
    if (!str || TooShort(m.prefilter_literal)) {
      if (fc.all) continue;
      return {};
    }
    if (fc.all) {
      out.push_back({{fc.field, m.prefilter_literal}});
    } else {
      one.push_back({fc.field, m.prefilter_literal});
    }
  }
  if (!fc.all && !one.empty()) out.push_back(std::move(one));
  return out;
}

// One clause that every alternative's CNF implies: the union of each
// alternative's most selective clause. Empty when an alternative has none.
ReqClause Disjoin(const std::vector<Cnf>& alts) {
  ReqClause out;
  for (const Cnf& a : alts) {
    if (a.empty()) return {};
    const ReqClause* best = &a[0];
    for (const ReqClause& c : a)
      if (Stronger(c, *best)) best = &c;
    out.insert(out.end(), best->begin(), best->end());
  }
  return out;
}

Cnf AltCnf(const std::vector<FieldCond>& alt) {
  Cnf out;
  for (const FieldCond& fc : alt) {
    Cnf f = FieldCnf(fc);
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

Cnf CondCnf(const Cond& c, const std::vector<Search>& searches) {
  switch (c.kind) {
    case Cond::kRef: {
      const Search& s = searches[static_cast<std::size_t>(c.ref)];
      if (s.alts.size() == 1) return AltCnf(s.alts[0]);
      std::vector<Cnf> alts;
      for (const auto& alt : s.alts) alts.push_back(AltCnf(alt));
      ReqClause d = Disjoin(alts);
      if (d.empty()) return {};
      return {d};
    }
    case Cond::kNot:
      return {};
    case Cond::kAtLeast:
      if (c.n <= 0) return {};  // "0 of": nothing is required
      if (c.n < static_cast<int>(c.kids.size())) break;
      [[fallthrough]];
    case Cond::kAnd: {
      Cnf out;
      for (const Cond& k : c.kids) {
        Cnf r = CondCnf(k, searches);
        out.insert(out.end(), r.begin(), r.end());
      }
      return out;
    }
    case Cond::kOr:
      break;
  }
  // kOr, or "N of" with N below the count: one clause from every kid.
  std::vector<Cnf> kids;
  for (const Cond& k : c.kids) kids.push_back(CondCnf(k, searches));
  ReqClause d = Disjoin(kids);
  if (d.empty()) return {};
  return {d};
}

}  // namespace

std::vector<ReqClause> RequirementCnf(const Cond& c, const std::vector<Search>& searches) {
  Cnf all = CondCnf(c, searches);
  std::stable_sort(all.begin(), all.end(), Stronger);
  Cnf out;
  for (ReqClause& cl : all) {
    bool dup = false;
    for (const ReqClause& o : out)
      if (o.size() == cl.size() &&
          std::equal(o.begin(), o.end(), cl.begin(), [](const ReqLit& x, const ReqLit& y) {
            return x.field == y.field && x.lit == y.lit;
          }))
        dup = true;
    // A weak clause (a literal of a few bytes: ".exe", "dll", "201") is in
    // most events: it would cost the scan a hit per event and select
    // nothing the stronger clauses do not. Left out when one is kept.
    if (!out.empty() && WeakestLit(cl) < kWeakClauseLiteral) break;
    if (!dup) out.push_back(std::move(cl));
    if (out.size() == kMaxReqClauses) break;
  }
  return out;
}

namespace {

using Ids = std::set<std::uint32_t>;

std::optional<Ids> Intersect(std::optional<Ids> a, std::optional<Ids> b) {
  if (!a) return b;
  if (!b) return a;
  Ids out;
  for (auto x : *a)
    if (b->count(x)) out.insert(x);
  return out;
}

std::optional<Ids> FieldIds(const FieldCond& fc) {
  if (fc.field != "EventID" || fc.all) return std::nullopt;
  Ids out;
  for (const Matcher& m : fc.values) {
    if (m.kind != Matcher::kEq || m.lit.empty() || m.lit.size() > 9) return std::nullopt;
    for (char ch : m.lit)
      if (ch < '0' || ch > '9') return std::nullopt;
    out.insert(static_cast<std::uint32_t>(std::stoul(m.lit)));
  }
  return out;
}

}  // namespace

std::optional<std::set<std::uint32_t>> RequiredEventIds(const Cond& c,
                                                        const std::vector<Search>& searches) {
  switch (c.kind) {
    case Cond::kRef: {
      Ids out;
      for (const auto& alt : searches[static_cast<std::size_t>(c.ref)].alts) {
        std::optional<Ids> a;
        for (const FieldCond& fc : alt) a = Intersect(a, FieldIds(fc));
        if (!a) return std::nullopt;
        out.insert(a->begin(), a->end());
      }
      return out;
    }
    case Cond::kNot:
      return std::nullopt;
    case Cond::kAnd: {
      std::optional<Ids> a;
      for (const Cond& k : c.kids) a = Intersect(a, RequiredEventIds(k, searches));
      return a;
    }
    case Cond::kAtLeast:
      if (c.n >= static_cast<int>(c.kids.size())) {
        std::optional<Ids> a;
        for (const Cond& k : c.kids) a = Intersect(a, RequiredEventIds(k, searches));
        return a;
      }
      [[fallthrough]];
    case Cond::kOr: {
      Ids out;
      for (const Cond& k : c.kids) {
        auto r = RequiredEventIds(k, searches);
        if (!r) return std::nullopt;
        out.insert(r->begin(), r->end());
      }
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace trawl::sigma::detail
