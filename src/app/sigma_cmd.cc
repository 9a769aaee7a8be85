#include "sigma_cmd.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "trawl/core/text.h"
#include "trawl/sigma/builtin.h"
#include "trawl/sigma/engine.h"

namespace trawl::app {
namespace {

struct SigmaOpts {
  std::vector<std::string> paths;
  std::string mapping;
  std::vector<std::string> placeholders;  // NAME=VALUE
  std::string level = "informational";
};

// Skip reasons that describe the rule set, not a broken rule.
bool IsNote(const std::string& reason) {
  return reason == "unmapped-logsource" || reason == "below-level";
}

// Loads the engine the options name; false (message printed) when it cannot run.
bool Load(const SigmaOpts& o, const char* cmd, std::unique_ptr<sigma::Engine>& out) {
  sigma::Mapping mapping = sigma::Mapping::Default();
  if (!o.mapping.empty()) {
    auto m = sigma::Mapping::LoadFile(o.mapping);
    if (!m.ok()) {
      std::fprintf(stderr, "trawl: sigma %s: %s\n", cmd, EscapeControl(m.status().message()).c_str());
      return false;
    }
    mapping = sigma::Mapping::WithAdditions(*m);
  }
  sigma::EngineOptions eo;
  if (!sigma::ParseRuleLevel(o.level, eo.min_level)) {
    std::fprintf(stderr, "trawl: sigma %s: unknown level '%s'\n", cmd,
                 EscapeControl(o.level).c_str());
    return false;
  }
  for (const std::string& p : o.placeholders) {
    std::size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "trawl: sigma %s: --placeholder wants NAME=VALUE, not '%s'\n", cmd,
                   EscapeControl(p).c_str());
      return false;
    }
    eo.placeholders[p.substr(0, eq)].push_back(p.substr(eq + 1));
  }
  out = std::make_unique<sigma::Engine>(std::move(mapping), eo);
  if (o.paths.empty()) sigma::AddBuiltinRules(*out);
  bool ok = true;
  for (const std::string& p : o.paths) {
    Status st = out->AddPath(p);
    if (!st.ok()) {
      std::fprintf(stderr, "trawl: sigma %s: %s\n", cmd, EscapeControl(st.message()).c_str());
      ok = false;
    }
  }
  Status st = out->Finish();
  if (!st.ok()) {
    std::fprintf(stderr, "trawl: sigma %s: %s\n", cmd, EscapeControl(st.message()).c_str());
    return false;
  }
  return ok;
}

void AddCommon(CLI::App* c, SigmaOpts& o) {
  c->add_option("paths", o.paths, "Sigma rule files or folders (default: the built-in pack)");
  c->add_option("--sigma-mapping", o.mapping,
                "Logsource mapping in THOR format (default: SigmaHQ's thor.yml)")
      ->type_name("FILE");
  c->add_option("--placeholder", o.placeholders, "Value for an expand placeholder")
      ->type_name("NAME=VALUE");
  c->add_option("--sigma-level", o.level, "Lowest rule level loaded (default informational)")
      ->type_name("LEVEL");
}

void PrintCounts(const char* title, const std::map<std::string, std::uint64_t>& m) {
  std::printf("%s:\n", title);
  for (const auto& [k, n] : m) std::printf("  %-50s %llu\n", EscapeControl(k).c_str(),
                                           static_cast<unsigned long long>(n));
}

}  // namespace

void AddSigmaCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SigmaOpts>();
  CLI::App* sigma = app.add_subcommand("sigma", "Check and list Sigma rules");
  sigma->require_subcommand(1);

  CLI::App* check = sigma->add_subcommand(
      "check", "Load Sigma rules; report each skipped rule and why, counts per logsource and "
               "modifier (exit 2 on problems)");
  AddCommon(check, *o);
  check->callback([o, &exit_code] {
    std::unique_ptr<sigma::Engine> e;
    bool ok = Load(*o, "check", e);
    if (!e) {
      exit_code = 2;
      return;
    }
    const sigma::LoadReport& r = e->report();
    std::uint64_t problems = 0;
    for (const sigma::LoadIssue& i : r.issues) {
      bool note = IsNote(i.reason);
      if (!note) ++problems;
      std::printf("%s %s:%d %s [%s] %s\n", note ? "NOTE" : "SKIP", EscapeControl(i.path).c_str(),
                  i.line, EscapeControl(i.rule_id.empty() ? "-" : i.rule_id).c_str(),
                  i.reason.c_str(), EscapeControl(i.detail).c_str());
    }
    PrintCounts("loaded per logsource (product/category/service)", r.per_logsource);
    PrintCounts("modifier uses in loaded rules", r.per_modifier);
    PrintCounts("loaded per level", r.per_level);
    PrintCounts("skipped per reason", r.skipped);
    std::uint64_t skipped = 0;
    for (const auto& [k, n] : r.skipped) skipped += n;
    std::printf("files %llu, rules %llu, loaded %llu, skipped %llu (%llu problems)\n",
                static_cast<unsigned long long>(r.files),
                static_cast<unsigned long long>(r.documents),
                static_cast<unsigned long long>(r.loaded),
                static_cast<unsigned long long>(skipped),
                static_cast<unsigned long long>(problems));
    exit_code = (ok && problems == 0) ? 0 : 2;
  });

  CLI::App* list = sigma->add_subcommand("list", "List loaded Sigma rules: id, level, logsource, title, source");
  AddCommon(list, *o);
  list->callback([o, &exit_code] {
    std::unique_ptr<sigma::Engine> e;
    bool ok = Load(*o, "list", e);
    if (!e) {
      exit_code = 2;
      return;
    }
    for (const sigma::RuleInfo* r : e->rules()) {
      std::string ls = (r->product.empty() ? "-" : r->product) + "/" +
                       (r->category.empty() ? "-" : r->category) + "/" +
                       (r->service.empty() ? "-" : r->service);
      std::printf("%s\t%s\t%s\t%s\t%s:%d\n", EscapeControl(r->id.empty() ? "-" : r->id).c_str(),
                  sigma::RuleLevelName(r->level), EscapeControl(ls).c_str(),
                  EscapeControl(r->title).c_str(), EscapeControl(r->path).c_str(), r->line);
    }
    exit_code = ok ? 0 : 2;
  });
}

}  // namespace trawl::app
