// Engine: loading, routing (channel + event id index, source tags), the
// Vectorscan literal prefilter, and exact evaluation.
#include "trawl/sigma/engine.h"

#include <fcntl.h>
#include <hs/hs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <unordered_map>

#include "correlation.h"
#include "eval.h"
#include "rule.h"
#include "yaml_util.h"

namespace trawl::sigma {

const char* RuleLevelName(RuleLevel level) {
  switch (level) {
    case RuleLevel::kInformational: return "informational";
    case RuleLevel::kLow: return "low";
    case RuleLevel::kMedium: return "medium";
    case RuleLevel::kHigh: return "high";
    case RuleLevel::kCritical: return "critical";
  }
  return "medium";
}

bool ParseRuleLevel(std::string_view text, RuleLevel& level) {
  static const std::pair<const char*, RuleLevel> kLevels[] = {
      {"informational", RuleLevel::kInformational}, {"low", RuleLevel::kLow},
      {"medium", RuleLevel::kMedium}, {"high", RuleLevel::kHigh}, {"critical", RuleLevel::kCritical}};
  for (const auto& [name, l] : kLevels)
    if (text == name) {
      level = l;
      return true;
    }
  return false;
}

int RuleLevelScore(RuleLevel level) {
  switch (level) {
    case RuleLevel::kInformational: return 20;
    case RuleLevel::kLow: return 40;
    case RuleLevel::kMedium: return 50;
    case RuleLevel::kHigh: return 70;
    case RuleLevel::kCritical: return 100;
  }
  return 50;
}

namespace {

std::string Lower(std::string_view s) {
  std::string o(s);
  for (char& c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return o;
}

// One (rule, target) pair: the rule's searches with the target's field names.
struct Variant {
  const detail::CompiledRule* rule = nullptr;
  std::vector<detail::Search> searches;
  std::vector<detail::FieldCond> extra;  // the mapping's conditions
  detail::Cond cond;                     // the rule's, with filters ANDed
  std::vector<std::pair<std::string, std::string>> fieldmap;
  std::optional<std::set<std::uint32_t>> event_ids;
  std::vector<std::string> channels;
  Logsource tags;
  bool tag_routed = false;
  std::vector<std::uint32_t> lits;  // prefilter literal ids; empty: always evaluated
  std::uint32_t full = 0;           // with lits: one bit per requirement clause
  bool any_field = false;           // a clause literal may be in any value (keyword search)
  std::vector<std::uint32_t> routes;  // with lits: the Route ids listing it
};

// One routing list (a channel's rules for any event id, or for one id): the
// variants that are always evaluated, in variant order, and how many need a
// prefilter literal. Those are not listed here: each such variant knows its
// routing lists (Variant::routes), so an event walks only the variants the
// prefilter marked, merged into the always-evaluated ones in variant order
// (the order of evaluation, hence of findings, is the variant order).
struct Route {
  std::uint32_t id = 0;
  std::vector<std::uint32_t> always;
  std::size_t with_lits = 0;
  bool any_field = false;  // a variant needing a literal in any value (scan every field)
};

// A prefilter literal's use: the variant, the clause it satisfies, and the
// field it must be found in (-1: any value or the raw line).
struct LitUse {
  std::int32_t fid = -1;
  std::uint32_t variant = 0;
  std::uint32_t bit = 0;
};

struct Channel {
  std::unordered_map<std::uint32_t, Route> by_id;
  Route any;
};

// Tag-routed variants (non-Windows sources) carry kNeedsLit when they have
// prefilter literals; they are few and walked in place.
constexpr std::uint32_t kNeedsLit = 1u << 31;
constexpr std::uint32_t kVariantMask = kNeedsLit - 1;

}  // namespace

struct Engine::Impl {
  Mapping mapping;
  EngineOptions opts;
  LoadReport report;
  std::vector<std::unique_ptr<detail::CompiledRule>> rules;
  std::vector<const RuleInfo*> infos;
  std::vector<Variant> variants;
  std::unordered_map<std::string, Channel> channels;
  std::vector<std::uint32_t> tagged;
  std::vector<std::unique_ptr<detail::CorrelationRule>> corrs;
  // Base rule -> (correlation index, position in its rules list).
  std::unordered_map<const detail::CompiledRule*, std::vector<std::pair<std::uint32_t, std::uint32_t>>>
      feeds;
  std::set<const detail::CompiledRule*> hidden;  // bases of non-generating correlations
  std::vector<detail::FilterRule> filters;
  // Literal databases (pattern id = literal id): one per field holding the
  // literals some clause ties to that field (each value of the field is
  // scanned with its own, so a hit names its field and the first
  // occurrence is enough), and `db_any` with those a keyword search needs in
  // any value (scanned over every value and the raw line, only for events
  // that reach such a rule).
  hs_database_t* db_any = nullptr;
  std::vector<hs_database_t*> field_db;  // field id -> its literals (null: none)
  std::vector<std::size_t> field_min;  // field id -> its shortest literal (shorter values: no hit)
  bool has_field_db = false;
  std::size_t literal_count = 0;
  // Literal id -> its uses: those of any field first ([0, lit_any[l])), then
  // those tied to one field, sorted by field id.
  std::vector<std::vector<LitUse>> lit_uses;
  std::vector<std::uint32_t> lit_any;
  std::deque<std::string> field_names;                    // storage for field_ids' keys
  detail::FieldIds field_ids;

  std::int32_t Intern(const std::string& name) {
    auto it = field_ids.find(name);
    if (it != field_ids.end()) return it->second;
    field_names.push_back(name);
    auto id = static_cast<std::int32_t>(field_ids.size());
    field_ids.emplace(field_names.back(), id);
    return id;
  }
  void InternAll(std::vector<detail::FieldCond>& conds) {
    for (auto& fc : conds) {
      if (!fc.field.empty()) fc.fid = Intern(fc.field);
      for (auto& mt : fc.values)
        if (mt.kind == detail::Matcher::kFieldRef) mt.ref_fid = Intern(mt.ref);
    }
  }
  bool finished = false;

  ~Impl() {
    if (db_any) hs_free_database(db_any);
    for (hs_database_t* d : field_db)
      if (d) hs_free_database(d);
  }

  const Channel* Find(const std::string& name) const {
    auto it = channels.find(name);
    return it == channels.end() ? nullptr : &it->second;
  }

  void Issue(const std::string& path, int line, const std::string& id, const std::string& title,
             const std::string& reason, const std::string& detail) {
    report.skipped[reason]++;
    report.issues.push_back({path, line, id, title, reason, detail});
  }

  void AddCorrelation(const YAML::Node& doc, const std::string& name, int line) {
    auto c = std::make_unique<detail::CorrelationRule>();
    detail::CompileError err;
    bool ok = false;
    try {
      ok = detail::CompileCorrelation(doc, name, line, *c, err);
    } catch (const std::exception& ex) {
      err = {"bad-yaml-structure", ex.what()};
    }
    if (!ok) {
      Issue(name, line, c->info.id, c->info.title, err.reason, err.detail);
      return;
    }
    if (c->info.level < opts.min_level) {
      Issue(name, line, c->info.id, c->info.title, "below-level",
            std::string("level ") + RuleLevelName(c->info.level) + " is below --sigma-level");
      return;
    }
    corrs.push_back(std::move(c));
  }

  void AddDocument(const YAML::Node& doc, const std::string& name) {
    report.documents++;
    int line = doc.Mark().line + 1;
    if (doc.IsMap() && doc["correlation"]) {
      AddCorrelation(doc, name, line);
      return;
    }
    if (doc.IsMap() && doc["filter"] && !doc["detection"]) {
      detail::FilterRule f;
      detail::CompileError err;
      detail::CompileOptions copts;
      copts.placeholders = &opts.placeholders;
      bool ok = false;
      try {
        ok = detail::CompileFilter(doc, name, line, copts, f, err);
      } catch (const std::exception& ex) {
        err = {"bad-yaml-structure", ex.what()};
      }
      if (!ok) {
        Issue(name, line, f.info.id, f.info.title, err.reason, err.detail);
        return;
      }
      filters.push_back(std::move(f));
      return;
    }
    auto rule = std::make_unique<detail::CompiledRule>();
    detail::CompileError err;
    detail::CompileOptions copts;
    copts.placeholders = &opts.placeholders;
    LoadReport local;
    bool ok = false;
    try {
      ok = detail::CompileDocument(doc, name, line, copts, *rule, err, &local);
    } catch (const std::exception& ex) {
      err = {"bad-yaml-structure", ex.what()};
    }
    const RuleInfo& info = rule->info;
    if (!ok) {
      Issue(name, line, info.id, info.title, err.reason, err.detail);
      return;
    }
    if (info.level < opts.min_level) {
      Issue(name, line, info.id, info.title, "below-level",
            std::string("level ") + RuleLevelName(info.level) + " is below --sigma-level");
      return;
    }
    std::string why;
    std::vector<Target> targets =
        mapping.Resolve({info.category, info.product, info.service}, &why);
    if (targets.empty()) {
      Issue(name, line, info.id, info.title, "unmapped-logsource", why);
      return;
    }
    std::vector<Variant> vs;
    for (const Target& t : targets) {
      Variant v;
      v.rule = rule.get();
      v.cond = rule->cond;
      v.fieldmap = t.fieldmap;
      v.searches = rule->searches;
      for (auto& s : v.searches)
        for (auto& alt : s.alts)
          for (auto& fc : alt)
            for (const auto& [from, to] : t.fieldmap)
              if (fc.field == from) fc.field = to;
      std::optional<std::set<std::uint32_t>> ids;
      for (const auto& [field, values] : t.conditions) {
        detail::FieldCond fc;
        fc.field = field;
        fc.shown = field;
        std::vector<detail::ValueIn> in;
        for (const auto& x : values) in.push_back({false, x});
        detail::CompileError e2;
        if (!detail::CompileValues({}, in, copts, fc.values, e2)) continue;
        if (field == "EventID") {
          std::set<std::uint32_t> s;
          for (const auto& x : values) s.insert(static_cast<std::uint32_t>(std::strtoul(x.c_str(), nullptr, 10)));
          ids = s;
        }
        v.extra.push_back(std::move(fc));
      }
      auto rids = detail::RequiredEventIds(v.cond, v.searches);
      if (ids && rids) {
        std::set<std::uint32_t> both;
        for (auto x : *ids)
          if (rids->count(x)) both.insert(x);
        if (both.empty()) continue;  // this target can never fit the rule
        ids = both;
      } else if (rids) {
        ids = rids;
      }
      v.event_ids = ids;
      v.channels = t.channels;
      v.tags = t.tags;
      v.tag_routed = t.channels.empty();
      vs.push_back(std::move(v));
    }
    if (vs.empty()) {
      Issue(name, line, info.id, info.title, "no-event-fits",
            "the rule's EventID values fit none of its logsource's event ids");
      return;
    }
    for (auto& v : vs) variants.push_back(std::move(v));
    report.loaded++;
    for (const auto& [k, n] : local.per_modifier) report.per_modifier[k] += n;
    report.per_logsource[(info.product.empty() ? "-" : info.product) + "/" +
                         (info.category.empty() ? "-" : info.category) + "/" +
                         (info.service.empty() ? "-" : info.service)]++;
    report.per_level[RuleLevelName(info.level)]++;
    infos.push_back(&rule->info);
    rules.push_back(std::move(rule));
  }

  void AddText(std::string_view yaml, const std::string& name) {
    report.files++;
    std::vector<YAML::Node> docs;
    try {
      docs = detail::LoadAllBounded(yaml);
    } catch (const YAML::Exception& ex) {
      Issue(name, ex.mark.line + 1, "", "", "yaml-error", ex.msg);
      return;
    } catch (const std::exception& ex) {
      Issue(name, 0, "", "", "yaml-error", ex.what());
      return;
    }
    for (const YAML::Node& d : docs) {
      if (!d || d.IsNull()) continue;
      AddDocument(d, name);
    }
  }
};

Engine::Engine(Mapping mapping, EngineOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->mapping = std::move(mapping);
  impl_->opts = std::move(options);
}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

const LoadReport& Engine::report() const { return impl_->report; }
const std::vector<const RuleInfo*>& Engine::rules() const { return impl_->infos; }

void Engine::AddText(std::string_view yaml, const std::string& name) { impl_->AddText(yaml, name); }

namespace {

Result<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Status::Error(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Error(path + ": not a regular file");
  }
  if (st.st_size > (16 << 20)) {
    ::close(fd);
    return Status::Error(path + ": larger than 16 MiB, not a rule file");
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

bool IsYaml(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  return e == ".yml" || e == ".yaml";
}

}  // namespace

Status Engine::AddPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::symlink_status(path, ec);
  if (ec) return Status::Error(path + ": " + ec.message());
  if (fs::is_directory(st)) {
    std::vector<std::string> files;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    if (ec) return Status::Error(path + ": " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      fs::file_status s = it->symlink_status(ec);
      if (ec) continue;
      if (fs::is_regular_file(s) && IsYaml(it->path())) files.push_back(it->path().string());
    }
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
      auto text = ReadSmallFile(f);
      if (!text.ok()) {
        impl_->report.files++;
        impl_->Issue(f, 0, "", "", "unreadable", text.status().message());
        continue;
      }
      impl_->AddText(*text, f);
    }
    return Status::Ok();
  }
  auto text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  impl_->AddText(*text, path);
  return Status::Ok();
}

Status Engine::Finish() {
  Impl& m = *impl_;
  // Filters: AND each filter's condition to every rule it names.
  {
    std::unordered_map<std::string, const detail::CompiledRule*> by_ref;
    for (const auto& r : m.rules) {
      if (!r->info.id.empty()) by_ref.emplace(r->info.id, r.get());
      if (!r->info.name.empty()) by_ref.emplace(r->info.name, r.get());
    }
    for (const detail::FilterRule& f : m.filters) {
      std::uint64_t applied = 0;
      for (const std::string& ref : f.refs) {
        auto it = by_ref.find(ref);
        if (it == by_ref.end()) continue;
        for (Variant& v : m.variants) {
          if (v.rule != it->second) continue;
          int shift = static_cast<int>(v.searches.size());
          for (detail::Search s : f.searches) {
            for (auto& alt : s.alts)
              for (auto& fc : alt)
                for (const auto& [from, to] : v.fieldmap)
                  if (fc.field == from) fc.field = to;
            v.searches.push_back(std::move(s));
          }
          detail::Cond fc = f.cond;
          std::function<void(detail::Cond&)> bump = [&](detail::Cond& c) {
            if (c.kind == detail::Cond::kRef) c.ref += shift;
            for (auto& k : c.kids) bump(k);
          };
          bump(fc);
          detail::Cond both{detail::Cond::kAnd};
          both.kids.push_back(std::move(v.cond));
          both.kids.push_back(std::move(fc));
          v.cond = std::move(both);
        }
        ++applied;
      }
      if (applied == 0) {
        m.Issue(f.info.path, f.info.line, f.info.id, f.info.title, "filter-unresolved",
                "names no loaded rule");
      } else {
        m.report.filters++;
      }
    }
  }
  // Correlations: resolve the rules they name (by id or name), in any file.
  {
    std::unordered_map<std::string, const detail::CompiledRule*> by_ref;
    for (const auto& r : m.rules) {
      if (!r->info.id.empty()) by_ref.emplace(r->info.id, r.get());
      if (!r->info.name.empty()) by_ref.emplace(r->info.name, r.get());
    }
    std::vector<std::unique_ptr<detail::CorrelationRule>> kept;
    for (auto& c : m.corrs) {
      std::string missing;
      for (const std::string& ref : c->refs) {
        auto it = by_ref.find(ref);
        if (it == by_ref.end()) {
          missing = ref;
          break;
        }
        c->bases.push_back(it->second);
      }
      if (!missing.empty()) {
        m.Issue(c->info.path, c->info.line, c->info.id, c->info.title, "correlation-unresolved",
                "names rule '" + missing + "', which is not loaded");
        continue;
      }
      auto idx = static_cast<std::uint32_t>(kept.size());
      for (std::uint32_t b = 0; b < c->bases.size(); ++b) {
        m.feeds[c->bases[b]].push_back({idx, b});
        if (!c->generate) m.hidden.insert(c->bases[b]);
      }
      m.report.loaded++;
      m.report.per_logsource["correlation/" + c->info.correlation]++;
      m.report.per_level[RuleLevelName(c->info.level)]++;
      m.infos.push_back(&c->info);
      kept.push_back(std::move(c));
    }
    m.corrs = std::move(kept);
  }
  for (Variant& v : m.variants) {
    m.InternAll(v.extra);
    for (auto& s : v.searches)
      for (auto& alt : s.alts) m.InternAll(alt);
  }
  std::unordered_map<std::string, std::uint32_t> lit_ids;
  std::vector<std::string> lits;
  std::vector<std::vector<LitUse>> uses;
  for (std::uint32_t i = 0; i < m.variants.size(); ++i) {
    Variant& v = m.variants[i];
    if (!m.opts.prefilter) continue;
    std::vector<detail::ReqClause> cnf = detail::RequirementCnf(v.cond, v.searches);
    for (std::size_t c = 0; c < cnf.size(); ++c) {
      std::uint32_t bit = 1u << c;
      v.full |= bit;
      for (const detail::ReqLit& rl : cnf[c]) {
        std::string key = Lower(rl.lit);
        auto [it, fresh] = lit_ids.emplace(key, static_cast<std::uint32_t>(lits.size()));
        if (fresh) {
          lits.push_back(key);
          uses.emplace_back();
        }
        std::int32_t fid = rl.field.empty() ? -1 : m.Intern(rl.field);
        if (fid < 0) v.any_field = true;
        uses[it->second].push_back({fid, i, bit});
        v.lits.push_back(it->second);
      }
    }
    std::sort(v.lits.begin(), v.lits.end());
    v.lits.erase(std::unique(v.lits.begin(), v.lits.end()), v.lits.end());
  }
  if (m.variants.size() > kVariantMask) return Status::Error("sigma: too many rule variants");
  std::uint32_t route_ids = 0;
  auto add = [&](Route& r, std::uint32_t i) {
    if (r.always.empty() && r.with_lits == 0) r.id = ++route_ids;
    Variant& v = m.variants[i];
    if (v.lits.empty()) {
      r.always.push_back(i);
    } else {
      r.with_lits++;
      r.any_field |= v.any_field;
      v.routes.push_back(r.id);
    }
  };
  for (std::uint32_t i = 0; i < m.variants.size(); ++i) {
    Variant& v = m.variants[i];
    if (v.tag_routed) {
      m.tagged.push_back(i | (v.lits.empty() ? 0 : kNeedsLit));
    } else {
      for (const std::string& ch : v.channels) {
        Channel& c = m.channels[ch];
        if (v.event_ids) {
          for (std::uint32_t id : *v.event_ids) add(c.by_id[id], i);
        } else {
          add(c.any, i);
        }
      }
    }
  }
  m.literal_count = lits.size();
  m.lit_any.assign(lits.size(), 0);
  for (std::size_t l = 0; l < uses.size(); ++l) {
    std::vector<LitUse>& u = uses[l];
    std::stable_sort(u.begin(), u.end(),
                     [](const LitUse& a, const LitUse& b) { return a.fid < b.fid; });
    std::uint32_t any = 0;
    for (const LitUse& x : u) any += x.fid < 0;
    m.lit_any[l] = any;
  }
  m.lit_uses = std::move(uses);
  // Every database reports the first occurrence of each literal: a hit in
  // a field's database names its field, db_any's any value.
  auto compile = [&](const std::vector<std::uint32_t>& which, hs_database_t** out) -> Status {
    if (which.empty()) return Status::Ok();
    std::vector<const char*> ptrs;
    std::vector<std::size_t> lens;
    std::vector<unsigned> flags, ids;
    for (std::uint32_t l : which) {
      ptrs.push_back(lits[l].data());
      lens.push_back(lits[l].size());
      flags.push_back(HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
      ids.push_back(l);
    }
    hs_compile_error_t* cerr = nullptr;
    if (hs_compile_lit_multi(ptrs.data(), flags.data(), ids.data(), lens.data(),
                             static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK, nullptr, out,
                             &cerr) != HS_SUCCESS) {
      std::string msg = cerr && cerr->message ? cerr->message : "unknown error";
      hs_free_compile_error(cerr);
      return Status::Error("sigma prefilter: Vectorscan compile failed: " + msg);
    }
    return Status::Ok();
  };
  std::vector<std::uint32_t> any_lits;
  std::vector<std::vector<std::uint32_t>> per_field(m.field_ids.size());
  for (std::uint32_t l = 0; l < m.lit_uses.size(); ++l) {
    if (m.lit_any[l] > 0) any_lits.push_back(l);
    std::int32_t last = -1;
    for (const LitUse& u : m.lit_uses[l])
      if (u.fid >= 0 && u.fid != last) {  // uses are sorted by field
        per_field[static_cast<std::size_t>(u.fid)].push_back(l);
        last = u.fid;
      }
  }
  m.field_db.assign(m.field_ids.size(), nullptr);
  m.field_min.assign(m.field_ids.size(), 0);
  for (std::size_t f = 0; f < per_field.size(); ++f) {
    std::size_t shortest = SIZE_MAX;
    for (std::uint32_t l : per_field[f]) shortest = std::min(shortest, lits[l].size());
    m.field_min[f] = shortest;
    if (Status st = compile(per_field[f], &m.field_db[f]); !st.ok()) return st;
    m.has_field_db |= m.field_db[f] != nullptr;
  }
  if (Status st = compile(any_lits, &m.db_any); !st.ok()) return st;
  m.finished = true;
  return Status::Ok();
}

struct Engine::Scratch {
  detail::EvalContext ctx;
  hs_scratch_t* hs = nullptr;
  std::string buf;
  std::vector<std::uint32_t> var_gen;   // variant id -> gen when var_mask is valid
  std::vector<std::uint32_t> var_mask;  // variant id -> its clauses satisfied in this event

  // The variant's clause `u.bit` holds; marked when all of its clauses do.
  void Satisfy(const Variant& v, const LitUse& u) {
    if (var_gen[u.variant] != gen) {
      var_gen[u.variant] = gen;
      var_mask[u.variant] = 0;
    }
    std::uint32_t& mask = var_mask[u.variant];
    if (mask & u.bit) return;
    mask |= u.bit;
    if (mask == v.full) marked.push_back(u.variant);
  }
  // Literal `l` is in some value (db_any): its uses of any value.
  void HitAny(const Engine::Impl& m, std::uint32_t l);
  // Literal `l` is in a value of field `fid`: the uses tied to that field.
  void HitField(const Engine::Impl& m, std::uint32_t l, std::int32_t fid);
  std::vector<std::uint32_t> marked;  // variants the prefilter marked for this event
  std::vector<std::uint64_t> todo;    // (routing list rank << 32) | variant, sorted
  std::uint32_t gen = 0;
  std::string chan;
  std::vector<const detail::CompiledRule*> matched;
  std::vector<detail::CorrelationState> corr;
  Match corr_match;
  MatchStats stats;
  ~Scratch() {
    if (hs) hs_free_scratch(hs);
  }
};

void Engine::Scratch::HitField(const Engine::Impl& m, std::uint32_t l, std::int32_t fid) {
  const std::vector<LitUse>& uses = m.lit_uses[l];
  auto lo = std::lower_bound(uses.begin() + m.lit_any[l], uses.end(), fid,
                             [](const LitUse& u, std::int32_t f) { return u.fid < f; });
  for (; lo != uses.end() && lo->fid == fid; ++lo) Satisfy(m.variants[lo->variant], *lo);
}

void Engine::Scratch::HitAny(const Engine::Impl& m, std::uint32_t l) {
  const std::vector<LitUse>& uses = m.lit_uses[l];
  for (std::size_t k = 0; k < m.lit_any[l]; ++k) Satisfy(m.variants[uses[k].variant], uses[k]);
}

namespace {
struct HitCtx {
  Engine::Scratch* s;
  const Engine::Impl* m;
  std::int32_t fid = -1;
};
}  // namespace

std::unique_ptr<Engine::Scratch, void (*)(Engine::Scratch*)> Engine::NewScratch() const {
  auto* s = new Scratch;
  // One scratch serves both databases (hs_alloc_scratch grows it).
  for (hs_database_t* d : impl_->field_db)
    if (d) hs_alloc_scratch(d, &s->hs);
  if (impl_->db_any) hs_alloc_scratch(impl_->db_any, &s->hs);
  s->var_gen.assign(impl_->variants.size(), 0);
  s->var_mask.assign(impl_->variants.size(), 0);
  s->ctx.ids = &impl_->field_ids;
  s->corr.resize(impl_->corrs.size());
  return {s, [](Scratch* p) { delete p; }};
}

const MatchStats& Engine::Stats(const Scratch& scratch) { return scratch.stats; }

void Engine::ResetCorrelations(Scratch& scratch) {
  for (auto& c : scratch.corr) c.groups.clear();
}

namespace {

bool TagFits(const Logsource& want, const Event& e) {
  if (e.category.empty() && e.product.empty() && e.service.empty()) return false;
  if (!want.category.empty() && want.category != e.category) return false;
  if (!want.product.empty() && want.product != e.product) return false;
  if (!want.service.empty() && want.service != e.service) return false;
  return true;
}

}  // namespace

void Engine::MatchEvent(const Event& event, Scratch& s, const MatchFn& fn) const {
  const Impl& m = *impl_;
  s.stats.events++;
  // The routing lists this event reaches, in order: its channel's (rules for
  // any event id, then for its id), then those of "*". Entries are walked in
  // place (no candidate list is built).
  const Route* lists[4];
  int nlists = 0;
  bool need_scan = false;
  bool scan_all = false;  // a reached variant needs a literal in any value
  auto use = [&](const Route& r) {
    if (r.always.empty() && r.with_lits == 0) return;
    lists[nlists++] = &r;
    need_scan |= r.with_lits > 0;
    scan_all |= r.any_field;
  };
  if (!event.channel.empty()) {
    s.chan.assign(event.channel.data(), event.channel.size());
    for (char& c : s.chan)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    for (const Channel* c : {m.Find(s.chan), m.Find("*")}) {
      if (!c) continue;
      use(c->any);
      if (event.has_event_id) {
        auto id = c->by_id.find(event.event_id);
        if (id != c->by_id.end()) use(id->second);
      }
    }
  }
  bool tags = !event.category.empty() || !event.product.empty() || !event.service.empty();
  if (nlists == 0 && (!tags || m.tagged.empty())) return;

  const bool prefilter = (m.has_field_db || m.db_any) && s.hs;
  // The field index (names interned once per event) serves the prefilter
  // and exact evaluation alike.
  s.ctx.Reset(event);
  bool scanned = false;
  // Marks the variants all of whose requirement clauses hold: a clause holds
  // when one of its literals occurs in a value of the field it names (or in
  // any value). Only the values of fields some clause names are scanned,
  // unless a reached variant (or a tag-routed one) needs any value.
  HitCtx hctx{&s, &m};
  auto scan = [&](bool all_values) {
    scanned = true;
    if (++s.gen == 0) {
      std::fill(s.var_gen.begin(), s.var_gen.end(), 0);
      s.gen = 1;
    }
    s.marked.clear();
    const bool indexed = s.ctx.fid.size() == event.fields.size();
    if (m.has_field_db && indexed) {
      // Each value with its field's literals: the first occurrence of each
      // is all that counts.
      for (std::size_t i = 0; i < event.fields.size(); ++i) {
        std::int32_t fid = s.ctx.fid[i];
        if (fid < 0) continue;
        hs_database_t* d = m.field_db[static_cast<std::size_t>(fid)];
        const std::string_view v = event.fields[i].second;
        if (!d || v.size() < m.field_min[static_cast<std::size_t>(fid)]) continue;
        hctx.fid = fid;
        hs_scan(
            d, v.data(), static_cast<unsigned>(v.size()), 0, s.hs,
            [](unsigned id, unsigned long long, unsigned long long, unsigned, void* p) -> int {
              auto* c = static_cast<HitCtx*>(p);
              c->s->HitField(*c->m, id, c->fid);
              return 0;
            },
            &hctx);
      }
    }
    if (!all_values || !m.db_any) return;
    s.buf.clear();
    for (const auto& f : event.fields) {
      s.buf.append(f.second.data(), f.second.size());
      s.buf.push_back('\n');
    }
    s.buf.append(event.raw.data(), event.raw.size());
    if (s.buf.empty()) return;
    hs_scan(
        m.db_any, s.buf.data(), static_cast<unsigned>(s.buf.size()), 0, s.hs,
        [](unsigned id, unsigned long long, unsigned long long, unsigned, void* p) -> int {
          auto* c = static_cast<HitCtx*>(p);
          c->s->HitAny(*c->m, id);
          return 0;
        },
        &hctx);
  };
  auto marked = [&](std::uint32_t v) {
    return s.var_gen[v] == s.gen && s.var_mask[v] == m.variants[v].full;
  };

  s.matched.clear();
  auto consider = [&](std::uint32_t i) {
    const Variant& v = m.variants[i];
    if (std::find(s.matched.begin(), s.matched.end(), v.rule) != s.matched.end()) return;
    s.stats.candidates++;
    s.ctx.recorded.clear();
    for (const detail::FieldCond& fc : v.extra)
      if (!detail::EvalFieldCond(fc, s.ctx)) return;
    s.ctx.recorded.clear();
    if (!detail::EvalCond(v.cond, v.searches, s.ctx)) return;
    s.stats.matches++;
    s.matched.push_back(v.rule);
    if (!m.hidden.count(v.rule)) {
      Match match;
      match.rule = &v.rule->info;
      match.fields.reserve(s.ctx.recorded.size());
      for (const auto& [k, val] : s.ctx.recorded) match.fields.emplace_back(k, val);
      fn(match);
    }
    if (auto f = m.feeds.find(v.rule); f != m.feeds.end()) {
      for (const auto& [ci, base] : f->second)
        if (detail::Feed(*m.corrs[ci], s.corr[ci], base, event, s.stats, s.corr_match))
          fn(s.corr_match);
    }
  };
  // Without the prefilter (or its database), every listed variant is marked.
  if (need_scan && !prefilter) {
    if (++s.gen == 0) {
      std::fill(s.var_gen.begin(), s.var_gen.end(), 0);
      s.gen = 1;
    }
    scanned = true;
    s.marked.clear();
    for (std::uint32_t v = 0; v < m.variants.size(); ++v)
      if (!m.variants[v].lits.empty()) s.marked.push_back(v);
  } else if (need_scan) {
    scan(scan_all || tags);
  }
  // The marked variants of each routing list this event reaches, in
  // variant order, merged with the list's always-evaluated ones.
  s.todo.clear();
  if (need_scan)
    for (std::uint32_t v : s.marked)
      for (std::uint32_t r : m.variants[v].routes)
        for (int k = 0; k < nlists; ++k)
          if (lists[k]->id == r) s.todo.push_back(std::uint64_t(k) << 32 | v);
  std::sort(s.todo.begin(), s.todo.end());
  std::size_t t = 0;
  for (int k = 0; k < nlists; ++k) {
    const std::vector<std::uint32_t>& always = lists[k]->always;
    std::size_t a = 0;
    while (true) {
      bool more_t = t < s.todo.size() && (s.todo[t] >> 32) == std::uint64_t(k);
      if (a < always.size() &&
          (!more_t || always[a] < static_cast<std::uint32_t>(s.todo[t] & 0xffffffffu))) {
        consider(always[a++]);
      } else if (more_t) {
        consider(static_cast<std::uint32_t>(s.todo[t++] & 0xffffffffu));
      } else {
        break;
      }
    }
  }
  if (tags)
    for (std::uint32_t entry : m.tagged) {
      std::uint32_t i = entry & kVariantMask;
      if (!TagFits(m.variants[i].tags, event)) continue;
      if ((entry & kNeedsLit) && prefilter) {
        if (!scanned) scan(true);
        if (!marked(i)) continue;  // a clause it needs has none of its literals in the event
      }
      consider(i);
    }
}

}  // namespace trawl::sigma
