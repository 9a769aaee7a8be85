// The scan pipeline: the only place stages are wired together.
//
//   indicators -> walk -> read -> hash / filename match / yara -> findings -> sinks
//
// LoadEngine builds everything immutable (indicator set, compiled matchers,
// YARA rules) once; RunScan walks the paths with one WorkerState per thread
// and feeds the sinks. A problem with one file is an error record; only a bad
// configuration or an unreadable indicator/rule set stops a scan (LoadEngine
// returns the reason).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/core/scoring.h"
#include "trawl/core/shard.h"
#include "trawl/core/status.h"
#include "trawl/report/progress.h"
#include "trawl/report/sink.h"

namespace trawl::hunt {
class Recorder;
}
namespace trawl::sweep {
struct Engine;
}

namespace trawl::app {

struct ScanConfig {
  std::vector<std::string> paths;       // roots to scan
  std::vector<std::string> ioc_paths;   // --iocs: files, folders, signature-base roots
  std::vector<std::string> yara_paths;  // --yara: rule files or folders
  bool builtin = true;                  // the built-in 3CX pack
  bool all_attributes = false;          // --all-attributes: MISP attributes without to_ids too
  bool allow_broad_ranges = false;      // --allow-broad-ranges: load catch-all CIDRs (loader.h)
  bool packs = true;                    // installed signature packs (--no-packs: off)
  std::string packs_dir;                // where packs are; empty = ioc::PacksDir() (packs.h)
  std::vector<std::string> exclude_globs;
  bool follow_symlinks = false;
  bool one_filesystem = false;
  std::uint64_t max_file_size = 100ull << 20;
  int threads = 0;  // 0 = all cores
  int yara_timeout = 30;
  double file_timeout = 600;  // --file-timeout: seconds per file for every reader (0: none)
  bool yara_exact = false;  // --yara-exact: every file against the whole rule set (no routing)
  bool yara_no_prefilter = false;  // --no-yara-prefilter: no Vectorscan prefilter in routing
  // --yara-cache DIR: compiled YARA rule sets kept and reused there (yara.h
  // CompileOptions::cache_dir); read only when DIR is inside a scan root.
  std::string yara_cache;
  Thresholds thresholds;
  // Sweeps to run (--modules; KnownModules() lists them): "file" (hash, name,
  // YARA), "log" (text logs), "evtx", "journal", "browser" (network indicators
  // and keywords in events, journal entries, visits), "inventory", "process",
  // "network". Empty = every sweep that applies (process and network only
  // when a root is the live `/`).
  std::vector<std::string> modules;
  std::vector<std::string> log_globs;             // --log GLOB: more files to read as logs
  std::uint64_t max_hits_per_file = 1000;         // --max-hits-per-file
  // Archives and compressed streams (README "Archives and installers").
  bool archives = true;                          // --no-archives: off
  int archive_depth = 4;                         // --archive-depth
  std::uint64_t archive_max_bytes = 4ull << 30;  // --archive-max-bytes
  double archive_ratio = 250;                    // --archive-ratio
  double archive_timeout = 120;                  // --archive-timeout: seconds per file on disk (0: none)
  std::uint64_t archive_max_members = 100000;    // --archive-max-members
  // Options a sweep owns (flag name without dashes -> values), passed through
  // to sweep::Settings::options: "sigma", "events", "sigma-mapping", ...
  std::map<std::string, std::vector<std::string>, std::less<>> sweep_options;

  // Live response and mounted images (README "Live response and inventory").
  std::string image_root;         // --root DIR: a mounted system, scanned as that system
  std::vector<std::string> maps;  // --map DIR:C: a mounted Windows volume
  // Build the caseless Windows-name matcher even without --map (retro: an
  // inventory may hold C:\... paths from a --map scan).
  bool windows_names = false;
  bool process_memory = false;    // --process-memory: YARA over process memory
  std::uint64_t process_memory_cap = 256ull << 20;

  report::Progress* progress = nullptr;  // per-object counts for the progress line (may be null)
  // --inventory (src/hunt): every walked entry, its digests (all three are
  // computed) and the contact index go here; with --since it also answers
  // which digests are still valid. Null: no inventory. Set before LoadEngine.
  hunt::Recorder* inventory = nullptr;
  // --shard I/N (trawl/core/shard.h): only the walked entries whose path hashes
  // to shard I are checked (the others are counted as skipped "other shard");
  // the live-system sweeps run only in shard 1. Empty: the whole walk.
  std::optional<Shard> shard;

  bool Runs(const std::string& module) const;
};

// Every module name --modules accepts, in run order (from the sweep registry,
// registry.h).
const std::vector<std::string>& KnownModules();

// The roots to scan: config.paths when given; else, for an image scan, the
// --root folder and each --map folder not inside it (live::PathMap::
// DefaultPaths, by path components: --root IMG --map IMG2:C scans IMG2);
// else "/".
std::vector<std::string> DefaultScanPaths(const ScanConfig& config);

struct Engine;  // compiled indicators and rules; immutable once loaded

struct EngineDeleter {
  void operator()(Engine* e) const;
};
using EnginePtr = std::unique_ptr<Engine, EngineDeleter>;

// Loads and compiles every indicator and rule set. Prints what was loaded and
// every skipped entry (file:line: reason) to `log` unless quiet. Fails with
// the reason when a set cannot be read or nothing usable was loaded.
Result<EnginePtr> LoadEngine(const ScanConfig& config, std::FILE* log, bool quiet);

// For commands that check indicators without a walk (`trawl retro`): the
// compiled pieces of a loaded engine, what was loaded, and its load problems.
const sweep::Engine& EngineView(const Engine& engine);
const std::vector<IndicatorSetInfo>& EngineSets(const Engine& engine);
const std::vector<Problem>& EngineProblems(const Engine& engine);

// Runs the sweep over config.paths. Fills the summary's counts (not seconds).
// Error only when no path could be scanned at all.
Result<Summary> RunScan(const ScanConfig& config, const Engine& engine, report::Sink& sink);

}  // namespace trawl::app
