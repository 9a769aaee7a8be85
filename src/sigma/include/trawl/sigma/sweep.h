// File-level Sigma sweep: decides which files it claims (EVTX, JSON event
// exports, W3C/IIS, Zeek TSV, Squid), streams each one's events through an
// Engine and emits findings; also matches live processes.
//
// Findings (module "sigma", JSON Lines through Finding::extra, in order):
// rule_id, rule_title, rule_level, rule_status, rule_path, tags (", "-joined),
// record, time, channel, event_id, computer, provider, input, matched
// ("Field=value" pairs joined with " | "). One reason, kind "sigma",
// indicator = rule id (or title when the rule has none), description = rule
// title, source = "FILE:LINE" of the rule, score from the rule's level
// (informational 20, low 40, medium 50, high 70, critical 100). Every hit
// goes to machine sinks (Audience::kMachine); after each file the console
// gets one aggregate per rule (Audience::kHuman, "hits", first/last time).
//
// Threads: a Sweeper is immutable and shared; each thread uses its own
// Worker (NewWorker()). A file is read once, streaming; per-file memory is
// bounded by the per-rule aggregate table (one entry per rule that hit).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/core/scoring.h"
#include "trawl/core/status.h"

namespace trawl::read {
class File;
}
#include "trawl/sigma/engine.h"
#include "trawl/sigma/events.h"

namespace trawl::sigma {

struct SweepCounters {
  std::uint64_t files = 0, events = 0, hits = 0, errors = 0;
  std::uint64_t per_level[5] = {};  // hits per RuleLevel
};

class Sweeper {
 public:
  // `engine` must outlive the Sweeper and be Finish()ed.
  Sweeper(const Engine& engine, Thresholds thresholds = {});

  // Seconds an EVTX file may take (--file-timeout; 0: no limit): past it the
  // rest is not read and an error record says so.
  void set_max_seconds(double s) { max_seconds_ = s; }

  // Which input `path` is, from its first bytes (>= 4 KiB recommended);
  // kNone: not claimed.
  InputKind Claims(std::string_view path, std::string_view head) const;

  struct Worker;
  std::unique_ptr<Worker, void (*)(Worker*)> NewWorker() const;

  using FindingFn = std::function<void(Finding&)>;
  using ErrorFn = std::function<void(const ErrorRecord&)>;

  // Streams every event of `read_path` (opened read-only, O_NOFOLLOW,
  // O_NOATIME when permitted) as `kind`; findings name `shown_path`. Error
  // only when the file cannot be read at all; damage inside it becomes error
  // records (module "sigma") and the scan of the file goes on.
  // `opened`: the file already open (the walked entry, opened relative to its
  // directory by the reader stage): JSON and text inputs are read from it
  // rather than opened again by `read_path`.
  Status ScanFile(const std::string& read_path, const std::string& shown_path, InputKind kind,
                  Worker& worker, const FindingFn& on_finding, const ErrorFn& on_error,
                  const read::File* opened = nullptr) const;

  // An EVTX file read by the caller (sweep::ReadEvtxOnce, one read shared
  // with the other sweeps of event logs): BeginFile, EvtxRecord per record
  // in file order, then EndFile (the console aggregates). EvtxProblems makes
  // the reader's problems error records, as ScanFile does.
  void BeginFile(Worker& worker) const;
  void EvtxRecord(const evtx::Record& r, const std::string& shown_path, Worker& worker,
                  const FindingFn& on_finding) const;
  void EndFile(Worker& worker, const FindingFn& on_finding) const;
  void EvtxProblems(const evtx::ReadStats& stats, const std::string& shown_path, Worker& worker,
                    const ErrorFn& on_error) const;

  // One live process as a linux process_creation event; findings name
  // `shown` (e.g. "process 1234 /usr/bin/x"), fields as above plus pid.
  void ScanProcess(const ProcessInfo& process, const std::string& shown, Worker& worker,
                   const FindingFn& on_finding) const;

  // Counters of one worker (add them up over workers for the summary).
  static const SweepCounters& Counters(const Worker& worker);
  // Summary fields: sigma_rules, sigma_events, sigma_hits, sigma_hits_<level>...
  std::vector<std::pair<std::string, FieldValue>> Summary(
      const std::vector<const Worker*>& workers) const;

 private:
  void MatchOne(const Event& e, const std::string& shown_path, InputKind kind, Worker& w,
                const FindingFn& on_finding) const;
  const Engine& engine_;
  Thresholds thresholds_;
  double max_seconds_ = 0;
};

}  // namespace trawl::sigma
