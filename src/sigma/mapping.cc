// Logsource mapping (THOR configuration format); see mapping.h.
#include "trawl/sigma/mapping.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "builtin_data.h"
#include "trawl/core/text.h"
#include "yaml_util.h"

namespace trawl::sigma {

namespace {

using detail::Scalar;

Logsource ReadLogsource(const YAML::Node& n) {
  Logsource ls;
  if (!n || !n.IsMap()) return ls;
  ls.category = ToLowerAscii(Scalar(n["category"]));
  ls.product = ToLowerAscii(Scalar(n["product"]));
  ls.service = ToLowerAscii(Scalar(n["service"]));
  return ls;
}

bool Selects(const Logsource& sel, const Logsource& ls) {
  if (sel.category.empty() && sel.product.empty() && sel.service.empty()) return false;
  if (!sel.category.empty() && sel.category != ls.category) return false;
  if (!sel.product.empty() && sel.product != ls.product) return false;
  if (!sel.service.empty() && sel.service != ls.service) return false;
  return true;
}

// Names every value the rule's logsource names (an entry for a bare
// `product: windows` must not catch every Windows rule).
bool Covers(const Logsource& sel, const Logsource& ls) {
  return (ls.category.empty() || !sel.category.empty()) &&
         (ls.product.empty() || !sel.product.empty()) &&
         (ls.service.empty() || !sel.service.empty());
}

void Resolve(const Mapping& m, const Logsource& ls, int depth, std::vector<Target>& out);

void ResolvePass(const Mapping& m, const Logsource& ls, int depth, bool strict,
                 std::vector<Target>& out) {
  for (const Mapping::Entry& e : m.entries) {
    if (!Selects(e.select, ls)) continue;
    if (strict && !Covers(e.select, ls)) continue;
    if (!strict && e.select.category.empty() && e.select.service.empty()) continue;
    std::vector<Target> mine;
    Target base;
    base.name = e.name;
    base.conditions = e.conditions;
    base.fieldmap = e.fieldmap;
    for (const std::string& s : e.sources) {
      static constexpr std::string_view kWin = "WinEventLog:";
      if (s.compare(0, kWin.size(), kWin) == 0) base.channels.push_back(ToLowerAscii(s.substr(kWin.size())));
    }
    if (!base.channels.empty()) mine.push_back(base);
    if (e.has_rewrite) {
      std::vector<Target> sub;
      Resolve(m, e.rewrite, depth + 1, sub);
      for (Target& t : sub) {
        Target merged = base;
        merged.channels = t.channels;
        merged.conditions.insert(merged.conditions.end(), t.conditions.begin(), t.conditions.end());
        merged.fieldmap.insert(merged.fieldmap.end(), t.fieldmap.begin(), t.fieldmap.end());
        mine.push_back(std::move(merged));
      }
    }
    for (Target& t : mine) out.push_back(std::move(t));
  }
}

void Resolve(const Mapping& m, const Logsource& ls, int depth, std::vector<Target>& out) {
  if (depth > 4) return;
  ResolvePass(m, ls, depth, true, out);
  if (out.empty()) ResolvePass(m, ls, depth, false, out);
}

}  // namespace

bool TagRoutable(const Logsource& ls) {
  if (ls.product == "windows") return false;
  if (ls.category == "proxy" || ls.category == "webserver") return ls.product.empty();
  if (ls.product == "zeek") return !ls.service.empty();
  if (ls.product == "linux" && ls.category == "process_creation") return true;
  return false;
}

Result<Mapping> Mapping::Parse(std::string_view yaml, const std::string& name) {
  Mapping m;
  try {
    YAML::Node root = detail::LoadBounded(yaml);
    YAML::Node sources = root["logsources"];
    if (!sources || !sources.IsMap())
      return Status::Error(name + ": no 'logsources' map (not a THOR-format mapping)");
    for (auto it = sources.begin(); it != sources.end(); ++it) {
      Entry e;
      e.name = it->first.as<std::string>();
      YAML::Node v = it->second;  // a copy: the iterator hands out a temporary
      if (!v.IsMap()) return Status::Error(name + ": logsource '" + e.name + "' is not a map");
      e.select = ReadLogsource(v);
      if (YAML::Node c = v["conditions"]; c && c.IsMap()) {
        for (auto ci = c.begin(); ci != c.end(); ++ci) {
          std::vector<std::string> vals;
          YAML::Node cv = ci->second;  // a copy: the iterator hands out a temporary
          if (cv.IsSequence())
            for (const auto& x : cv) vals.push_back(x.as<std::string>());
          else if (cv.IsScalar())
            vals.push_back(cv.Scalar());
          e.conditions.emplace_back(ci->first.as<std::string>(), std::move(vals));
        }
      }
      if (YAML::Node f = v["fieldmappings"]; f && f.IsMap())
        for (auto fi = f.begin(); fi != f.end(); ++fi)
          if (fi->second.IsScalar())
            e.fieldmap.emplace_back(fi->first.as<std::string>(), fi->second.Scalar());
      if (YAML::Node r = v["rewrite"]; r && r.IsMap()) {
        e.rewrite = ReadLogsource(r);
        e.has_rewrite = true;
      }
      if (YAML::Node s = v["sources"]; s && s.IsSequence())
        for (const auto& x : s) e.sources.push_back(x.as<std::string>());
      m.entries.push_back(std::move(e));
    }
  } catch (const std::exception& ex) {
    return Status::Error(name + ": " + ex.what());
  }
  return m;
}

Result<Mapping> Mapping::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path);
}

const Mapping& Mapping::Thor() {
  static const Mapping m = [] {
    auto r = Parse(detail::kThorMapping, "builtin:sigma/thor.yml");
    return r.ok() ? std::move(*r) : Mapping{};
  }();
  return m;
}

const Mapping& Mapping::Additions() {
  static const Mapping m = [] {
    auto r = Parse(detail::kTrawlMapping, "builtin:sigma/trawl-mapping.yml");
    return r.ok() ? std::move(*r) : Mapping{};
  }();
  return m;
}

Mapping Mapping::WithAdditions(const Mapping& base) {
  Mapping m = base;
  for (const Entry& e : Additions().entries) m.entries.push_back(e);
  return m;
}

const Mapping& Mapping::Default() {
  static const Mapping m = WithAdditions(Thor());
  return m;
}

std::vector<Target> Mapping::Resolve(const Logsource& ls, std::string* why) const {
  std::vector<Target> out;
  sigma::Resolve(*this, ls, 0, out);
  if (out.empty() && TagRoutable(ls)) {
    Target t;
    t.name = "tags";
    t.tags = ls;
    out.push_back(std::move(t));
  }
  if (out.empty() && why) {
    *why = "logsource";
    if (!ls.product.empty()) *why += " product=" + ls.product;
    if (!ls.category.empty()) *why += " category=" + ls.category;
    if (!ls.service.empty()) *why += " service=" + ls.service;
    *why += " is not in the mapping and no trawl input produces it";
  }
  return out;
}

}  // namespace trawl::sigma
