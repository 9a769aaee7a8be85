#include "iocs_cmd.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "trawl/ioc/packs.h"
#include "trawl/core/text.h"
#include "trawl/ioc/interchange.h"
#include "trawl/ioc/loader.h"
#include "trawl/ioc/sources.h"
#include "trawl/match/filename.h"
#include "trawl/yara/yara.h"

namespace trawl::app {
namespace {

namespace fs = std::filesystem;

constexpr int kOk = 0;
constexpr int kError = 2;

struct IocsOptions {
  std::vector<std::string> paths;
  bool all_attributes = false;
  bool allow_broad_ranges = false;
  bool no_builtin = false;
  bool no_packs = false;
  bool builtin = false;  // convert: include the built-in pack
  std::string to, out;
};

ioc::LoadOptions OptionsOf(const IocsOptions& o) {
  ioc::LoadOptions opts;
  opts.all_attributes = o.all_attributes;
  opts.allow_broad_ranges = o.allow_broad_ranges;
  return opts;
}

std::string Counts(const std::map<std::string, std::uint64_t>& m) {
  std::string s;
  for (const auto& [k, n] : m) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n, k);
  return s.empty() ? "nothing" : s;
}

// Loads `paths` into `set` as a scan would (ioc::LoadSource: folders,
// signature-base roots, files). Rule paths found on the way go to `rules`.
// Unreadable input: false.
bool LoadPaths(const std::vector<std::string>& paths, const ioc::LoadOptions& opts,
               ioc::IndicatorSet& set, std::vector<ioc::LoadStats>& stats,
               std::vector<std::string>& rules) {
  bool ok = true;
  for (const std::string& p : paths) {
    auto r = ioc::LoadSource(p, set, opts);
    if (!r.ok()) {
      std::fprintf(stderr, "trawl: %s\n", EscapeControl(r.status().message()).c_str());
      ok = false;
      continue;
    }
    stats.insert(stats.end(), r->stats.begin(), r->stats.end());
    rules.insert(rules.end(), r->rule_paths.begin(), r->rule_paths.end());
  }
  return ok;
}

int RunCheck(const IocsOptions& o) {
  ioc::LoadOptions opts = OptionsOf(o);
  ioc::IndicatorSet set;
  std::vector<ioc::LoadStats> stats;
  std::vector<std::string> rules;
  bool ok = LoadPaths(o.paths, opts, set, stats, rules);
  std::uint64_t problems = 0;
  std::map<std::string, std::uint64_t> loaded, skipped;
  for (const ioc::LoadStats& s : stats) {
    std::printf("%s: loaded %s; skipped %s\n", EscapeControl(s.name).c_str(),
                Counts(s.loaded).c_str(), Counts(s.skipped).c_str());
    for (const ioc::Problem& p : s.problems)
      std::printf("  %s: %s\n", EscapeControl(p.where).c_str(), EscapeControl(p.message).c_str());
    // Left on purpose (free text: references, file names, versions): not problems.
    for (const ioc::Problem& p : s.notes)
      std::printf("  %s: note: %s\n", EscapeControl(p.where).c_str(),
                  EscapeControl(p.message).c_str());
    problems += s.problems.size();
    for (const auto& [k, n] : s.loaded) loaded[k] += n;
    for (const auto& [k, n] : s.skipped) skipped[k] += n;
  }
  // Filename regexes compile here as in a scan: a pattern neither engine
  // takes is a problem; a PCRE2 fallback is only a note.
  std::vector<const ioc::Indicator*> filename_inds = set.OfKind(ioc::Kind::kFilename);
  if (!filename_inds.empty()) {
    match::BuildStats bs;
    auto m = match::FilenameMatcher::Build(filename_inds, bs);
    std::printf(
        "filename regexes: %zu compiled (%zu with the PCRE2 fallback), %zu failed, %zu "
        "false-positive regexes failed\n",
        bs.vectorscan + bs.fallback, bs.fallback, bs.failed, bs.fp_failed);
    for (const ioc::Problem& p : bs.problems) {
      bool fallback = p.message.rfind("compiled with PCRE2", 0) == 0;
      std::printf("  %s: %s%s\n", EscapeControl(p.where).c_str(), fallback ? "note: " : "",
                  EscapeControl(p.message).c_str());
    }
    problems += bs.failed + bs.fp_failed;
    if (!m.ok()) {
      std::printf("  %s\n", EscapeControl(m.status().message()).c_str());
      ++problems;
    }
  }
  // Rules: rule files and rules carried as indicators compile here as in a scan.
  std::vector<yara::RuleSource> sources;
  for (const ioc::Indicator* ind : set.OfKind(ioc::Kind::kYara))
    sources.push_back({ind->source, ind->value});
  if (!rules.empty() || !sources.empty()) {
    yara::CompileStats cs;
    auto r = yara::Rules::Compile(rules, sources, cs);
    std::printf("yara: %zu rules from %zu of %zu files and sources\n", cs.rules, cs.files_ok,
                cs.files);
    for (const ioc::Problem& p : cs.problems)
      std::printf("  %s: %s\n", EscapeControl(p.where).c_str(), EscapeControl(p.message).c_str());
    problems += cs.problems.size();
    if (!r.ok() && cs.problems.empty()) {
      std::printf("  %s\n", EscapeControl(r.status().message()).c_str());
      ++problems;
    }
    if (cs.rules) loaded["yara rules"] += cs.rules;
  }
  std::printf("total: loaded %s; skipped %s; %llu problems\n", Counts(loaded).c_str(),
              Counts(skipped).c_str(), static_cast<unsigned long long>(problems));
  return ok && problems == 0 ? kOk : kError;
}

int RunList(const IocsOptions& o) {
  ioc::LoadOptions opts = OptionsOf(o);
  ioc::IndicatorSet set;
  std::vector<ioc::LoadStats> stats;
  std::vector<std::string> rules;
  if (!o.no_builtin) stats.push_back(ioc::LoadBuiltin3cx(set));
  bool ok = true;
  if (!o.no_packs) {
    auto packs = ioc::ListPacks(ioc::PacksDir());
    if (!packs.ok()) {
      std::fprintf(stderr, "trawl: signature packs: %s\n", packs.status().message().c_str());
      return kError;
    }
    for (const ioc::PackManifest& p : *packs) {
      auto r = ioc::LoadDirectory(p.content, set, opts);
      if (!r.ok()) {
        std::fprintf(stderr, "trawl: pack %s: %s\n", p.name.c_str(), r.status().message().c_str());
        ok = false;
        continue;
      }
      ioc::LoadStats total;
      total.name = "pack:" + p.name;
      total.version = p.version;
      for (const ioc::LoadStats& s : *r) total.Merge(s);
      stats.push_back(std::move(total));
    }
  }
  ok = LoadPaths(o.paths, opts, set, stats, rules) && ok;
  for (const ioc::LoadStats& s : stats)
    std::fprintf(stderr, "set %s%s: %s (%zu problems)\n", EscapeControl(s.name).c_str(),
                 s.version.empty() ? "" : (" version " + EscapeControl(s.version)).c_str(),
                 Counts(s.loaded).c_str(), s.problems.size());
  std::printf("kind\tvalue\tscore\tsource\tdescription\tand_filename\n");
  for (const ioc::Indicator& i : set.Materialize()) {
    std::string value = EscapeControl(i.value);
    if (value.size() > 300) value = value.substr(0, 300) + "...";
    std::printf("%s\t%s\t%d\t%s\t%s\t%s\n", ioc::KindName(i.kind), value.c_str(), i.score,
                EscapeControl(i.source).c_str(), EscapeControl(i.description).c_str(),
                EscapeControl(i.and_filename).c_str());
  }
  for (const std::string& h : set.TrustedHashes())
    std::printf("trusted_hash\t%s\t\t\t\t\n", h.c_str());
  for (const std::string& r : rules)
    std::fprintf(stderr, "rules %s (compiled by trawl scan)\n", EscapeControl(r).c_str());
  return ok ? kOk : kError;
}

// Writes `text` to `path` through a temporary file renamed into place.
bool WriteFile(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp-trawl";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
      std::fprintf(stderr, "trawl: cannot write %s\n", EscapeControl(tmp.string()).c_str());
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::fprintf(stderr, "trawl: cannot write %s: %s\n", EscapeControl(path.string()).c_str(),
                 ec.message().c_str());
    return false;
  }
  return true;
}

// Converts `set` to `format`: one file to stdout (or `out`), signature-base
// into the folder `out`.
int WriteExport(const ioc::IndicatorSet& set, ioc::ExportFormat format, const std::string& out) {
  ioc::ExportResult r = ioc::ExportIndicators(set, format);
  for (const std::string& l : r.losses) std::fprintf(stderr, "trawl: note: %s\n", l.c_str());
  if (out.empty()) {
    if (r.files.size() != 1) {
      std::fprintf(stderr, "trawl: signature-base output is %zu files: give -o DIR\n",
                   r.files.size());
      return kError;
    }
    std::fwrite(r.files[0].text.data(), 1, r.files[0].text.size(), stdout);
    return std::fflush(stdout) == 0 ? kOk : kError;
  }
  if (format == ioc::ExportFormat::kSigBase) {
    for (const ioc::ExportFile& f : r.files) {
      fs::path p = fs::path(out) / f.name;
      std::error_code ec;
      fs::create_directories(p.parent_path(), ec);
      if (ec || !WriteFile(p, f.text)) return kError;
    }
  } else if (!WriteFile(out, r.files[0].text)) {
    return kError;
  }
  std::fprintf(stderr, "trawl: wrote %llu indicators to %s\n",
               static_cast<unsigned long long>(r.written), EscapeControl(out).c_str());
  return kOk;
}

int RunConvert(const IocsOptions& o) {
  ioc::ExportFormat format;
  if (!ioc::ParseExportFormat(o.to, format)) {
    std::fprintf(stderr, "trawl: --to: unknown format '%s' (stix, misp, signature-base, csv)\n",
                 EscapeControl(o.to).c_str());
    return kError;
  }
  if (o.paths.empty() && !o.builtin) {
    std::fprintf(stderr, "trawl: iocs convert: give indicator files or folders (or --builtin)\n");
    return kError;
  }
  ioc::LoadOptions opts = OptionsOf(o);
  ioc::IndicatorSet set;
  std::vector<ioc::LoadStats> stats;
  std::vector<std::string> rules;
  if (o.builtin) stats.push_back(ioc::LoadBuiltin3cx(set));
  if (!LoadPaths(o.paths, opts, set, stats, rules)) return kError;
  for (const ioc::LoadStats& s : stats)
    for (const ioc::Problem& p : s.problems)
      std::fprintf(stderr, "trawl: skipped %s: %s\n", EscapeControl(p.where).c_str(),
                   EscapeControl(p.message).c_str());
  if (!rules.empty())
    std::fprintf(stderr,
                 "trawl: note: %zu rule files/folders are not converted (copy them as they are)\n",
                 rules.size());
  return WriteExport(set, format, o.out);
}

// `iocs extract`: what a free-text file (an advisory, an e-mail, a web page)
// yields, for review before the sweep: every indicator taken, every candidate
// left and why. With --to, the taken indicators are also converted.
int RunExtract(const IocsOptions& o) {
  ioc::ExportFormat format{};
  if (!o.to.empty() && !ioc::ParseExportFormat(o.to, format)) {
    std::fprintf(stderr, "trawl: --to: unknown format '%s' (stix, misp, signature-base, csv)\n",
                 EscapeControl(o.to).c_str());
    return kError;
  }
  ioc::LoadOptions opts = OptionsOf(o);
  ioc::IndicatorSet set;
  bool ok = true;
  std::uint64_t problems = 0;
  // With --to the review goes to stderr, the converted indicators to stdout.
  std::FILE* review = o.to.empty() ? stdout : stderr;
  for (const std::string& p : o.paths) {
    // Name-based signature-base formats are for signature-base trees; a file
    // given here is read as text (CSV and JSON keep their own readers).
    ioc::Format f = ioc::DetectFormat(p);
    if (f != ioc::Format::kCsv && f != ioc::Format::kJson) f = ioc::Format::kPlain;
    std::size_t first = set.size();
    auto r = ioc::LoadFile(p, f, set, opts);
    if (!r.ok()) {
      std::fprintf(stderr, "trawl: %s\n", EscapeControl(r.status().message()).c_str());
      ok = false;
      continue;
    }
    std::vector<ioc::Indicator> all = set.Materialize();
    for (std::size_t i = first; i < all.size(); ++i) {
      const ioc::Indicator& ind = all[i];
      std::fprintf(review, "taken\t%s\t%s\t%s\t%s\n", ioc::KindName(ind.kind),
                   EscapeControl(ind.value).c_str(), EscapeControl(ind.description).c_str(),
                   EscapeControl(ind.source).c_str());
    }
    for (const ioc::Problem& n : r->notes)
      std::fprintf(review, "left\t%s\t%s\n", EscapeControl(n.where).c_str(),
                   EscapeControl(n.message).c_str());
    for (const ioc::Problem& n : r->problems)
      std::fprintf(review, "problem\t%s\t%s\n", EscapeControl(n.where).c_str(),
                   EscapeControl(n.message).c_str());
    problems += r->problems.size();
    std::fprintf(stderr, "%s: taken %s; left %zu; %zu problems\n", EscapeControl(p).c_str(),
                 Counts(r->loaded).c_str(), r->notes.size(), r->problems.size());
  }
  if (!o.to.empty()) {
    int rc = WriteExport(set, format, o.out);
    if (rc != kOk) return rc;
  }
  return ok && problems == 0 ? kOk : kError;
}

}  // namespace

void AddIocsCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<IocsOptions>();
  CLI::App* iocs = app.add_subcommand("iocs", "Check, list, convert and extract indicator sets");
  iocs->require_subcommand(1);

  CLI::App* check = iocs->add_subcommand("check",
                                         "Parse indicator files/folders; print counts per kind and "
                                         "every problem (exit 2 on problems)");
  check->add_option("paths", o->paths, "Indicator files or folders")->required();
  check->add_flag("--all-attributes", o->all_attributes, "MISP: also attributes without to_ids");
  check->add_flag("--allow-broad-ranges", o->allow_broad_ranges,
                  "Accept catch-all CIDR ranges (0.0.0.0/0, ::/0, IPv4 < /8, IPv6 < /16)");
  check->callback([o, &exit_code] { exit_code = RunCheck(*o); });

  CLI::App* list = iocs->add_subcommand(
      "list",
      "Print the merged indicator set (built-in pack, installed packs, PATHs) with sources");
  list->add_option("paths", o->paths, "More indicator files or folders");
  list->add_flag("--no-builtin", o->no_builtin, "Leave out the built-in 3CX pack");
  list->add_flag("--no-packs", o->no_packs, "Leave out installed signature packs");
  list->add_flag("--all-attributes", o->all_attributes, "MISP: also attributes without to_ids");
  list->add_flag("--allow-broad-ranges", o->allow_broad_ranges,
                 "Accept catch-all CIDR ranges (0.0.0.0/0, ::/0, IPv4 < /8, IPv6 < /16)");
  list->callback([o, &exit_code] { exit_code = RunList(*o); });

  CLI::App* convert = iocs->add_subcommand("convert", "Convert indicators to another format");
  convert->add_option("paths", o->paths, "Indicator files or folders");
  convert->add_option("--to", o->to, "stix, misp, signature-base or csv")->required();
  convert
      ->add_option("-o,--output", o->out,
                   "Output file (a folder for signature-base); default: stdout")
      ->type_name("PATH");
  convert->add_flag("--builtin", o->builtin, "Include the built-in 3CX pack");
  convert->add_flag("--all-attributes", o->all_attributes, "MISP: also attributes without to_ids");
  convert->add_flag("--allow-broad-ranges", o->allow_broad_ranges,
                    "Accept catch-all CIDR ranges (0.0.0.0/0, ::/0, IPv4 < /8, IPv6 < /16)");
  convert->callback([o, &exit_code] { exit_code = RunConvert(*o); });

  CLI::App* extract = iocs->add_subcommand(
      "extract",
      "Read advisories, e-mails, chat or web pages as text: print every indicator taken (kind, "
      "value, description, FILE:LINE) and what was left and why (exit 2 on problems)");
  extract->add_option("files", o->paths, "Text files (.txt, .md, .html, .eml, ...)")->required();
  extract
      ->add_option("--to", o->to,
                   "Also convert what was taken: signature-base, csv, stix or misp (to stdout or "
                   "-o; the review then goes to stderr)")
      ->type_name("FORMAT");
  extract
      ->add_option("-o,--output", o->out,
                   "Output file (a folder for signature-base); default: stdout")
      ->type_name("PATH");
  extract->add_flag("--allow-broad-ranges", o->allow_broad_ranges,
                    "Accept catch-all CIDR ranges (0.0.0.0/0, ::/0, IPv4 < /8, IPv6 < /16)");
  extract->callback([o, &exit_code] { exit_code = RunExtract(*o); });
}

}  // namespace trawl::app
