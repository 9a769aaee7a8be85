// The sweep seam: what every sweep (file, log, evtx, journal, browser,
// inventory, process, network, and the next one) implements, and the
// registry the app builds its list from.
//
// A sweep is registered once (a Registration: its module names with their
// help text, and a factory). The app asks the registry which modules exist
// (--modules validation, help text, "ran / not requested" in the summary),
// makes the sweeps whose modules are requested, then:
//   1. walks the roots once; for every walked entry it calls Claims and, for
//      a claimed entry, Scan on each sweep that walks, in registry order,
//      with that sweep's per-worker state (workers run in parallel; one
//      Worker is only ever used by one thread at a time);
//   2. calls Finish on every sweep, in registry order, on one thread: live
//      sweeps (processes, connections) are sweeps that claim no entry and do
//      their work here;
//   3. calls Summarize on every sweep, in registry order, so each adds its
//      counters to the summary.
// Findings, error records, skip counts and contact times go through the
// Context; a sweep never writes output itself.
//
// Adding a sweep: a new folder with a class deriving from Sweep and a
// `const Registration kFooSweep` (or a function returning one), plus one line
// in the app's registry list (src/app/registry.cc). See README "Adding a sweep".
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/core/names.h"
#include "trawl/core/problem.h"
#include "trawl/core/scoring.h"
#include "trawl/core/status.h"
#include "trawl/read/read.h"
#include "trawl/read/unpack.h"

namespace trawl::ioc {
class IndicatorSet;
struct Indicator;
}  // namespace trawl::ioc
namespace trawl::match {
class FilenameMatcher;
}
namespace trawl::netmatch {
class NetMatcher;
}
namespace trawl::yara {
class Rules;
}
namespace trawl::live {
class WindowsNames;
}
namespace trawl::evtx {
struct Record;
struct ReadStats;
}  // namespace trawl::evtx

namespace trawl::sweep {

// Module names as registered constants (trawl/core/names.h): findings,
// error records and sinks use these, never a spelled-out string.
namespace module = trawl::module;

// The compiled, immutable pieces every sweep may borrow (any may be null: the
// check needing it is skipped). Built once by the app before the walk.
struct Engine {
  const ioc::IndicatorSet* set = nullptr;
  const match::FilenameMatcher* filenames = nullptr;
  const live::WindowsNames* win_names = nullptr;  // caseless Windows names on --map volumes
  const netmatch::NetMatcher* net = nullptr;      // network indicators and keywords
  std::shared_ptr<const yara::Rules> rules;
  unsigned hash_algos = 0;  // trawl::hash::Algo bits the indicators (and rules) need
};

// The scan's settings a sweep may read (from the command line).
struct Settings {
  Thresholds thresholds;
  std::uint64_t max_file_size = 100ull << 20;
  int yara_timeout = 30;
  // Seconds a reader may spend on one file (--file-timeout; 0: no limit):
  // logs, event logs, journals, browser databases, Sigma's event files.
  double file_timeout = 600;
  std::uint64_t max_hits_per_file = 1000;
  // Bounds of every decompression and unpacking (compressed logs, archive
  // members): --archive-max-bytes, --archive-ratio, --archive-depth; the
  // per-member cap is max_file_size.
  read::UnpackLimits unpack;
  bool archives = true;                // look inside containers (--no-archives: off)
  std::vector<std::string> log_globs;  // --log
  std::vector<std::string> paths;      // scan roots
  // --modules as given (empty: the default set).
  std::vector<std::string> modules;
  // Mounted image (--root / --map): no live sweeps; the image's hosts files.
  bool image = false;
  std::string image_root;
  std::vector<std::pair<std::string, std::string>> image_hosts;  // (real, shown)
  bool process_memory = false;
  std::uint64_t process_memory_cap = 256ull << 20;
  // Sweeps of the running system (processes, connections, hosts files, the
  // process list as Sigma events) run. False in shards 2..N of `--shard I/N`:
  // the live system is swept once, by shard 1.
  bool live_sweeps = true;
  // An inventory is written (--inventory): sweeps that feed it (src/hunt) are made.
  bool inventory = false;

  // The built-in packs load (--no-builtin: off).
  bool builtin = true;
  // A sweep's own command-line options, by flag name without dashes
  // ("sigma", "sigma-mapping", "events", ...): the app fills them, the sweep
  // that owns the flag reads them, nothing else in between needs to know.
  std::map<std::string, std::vector<std::string>, std::less<>> options;

  // Whether a module runs: named in --modules, or --modules was not given.
  bool Runs(std::string_view module) const;
  // The values of option `name` (empty when not given).
  const std::vector<std::string>& Option(std::string_view name) const;
};

struct Item;

// The first bytes of the walked entry a worker is on, read once by the first
// sweep that asks (Head) and kept for the others, so deciding by magic (EVTX
// under another name, JSON exports, containers) costs one read per entry, not
// one per sweep. The pipeline owns one per worker and resets it per entry.
class HeadCache {
 public:
  static constexpr std::size_t kBytes = 4096;
  void Reset() { state_ = State::kUnread; }

 private:
  friend Result<std::string_view> Head(const Item& item);
  enum class State { kUnread, kRead, kFailed };
  State state_ = State::kUnread;
  std::string bytes_;
  Status error_;
};

// One walked entry, as the pipeline hands it to the sweeps.
struct Item {
  const std::string& walked;     // the path as walked (a layout decides by it)
  const std::string& read_path;  // the file to open (a followed link's target)
  const std::string& shown;      // the path findings carry (as the scanned system names it)
  const struct stat& st;         // the walk's stat (lstat unless the link was followed)
  bool regular = false;          // a regular file (or a followed link to one)
  bool windows = false;          // on a --map volume (Windows names are caseless)
  // The walked directory, held open by the walk while the sweeps see the
  // entry, and the entry's name in it; -1 when read_path is to be opened
  // (roots, followed links). Use OpenEntry rather than these.
  int dir_fd = -1;
  std::string_view name = {};
  // The worker's cache of the entry's first bytes (Head); null: none.
  HeadCache* head = nullptr;
};

// The entry's first min(HeadCache::kBytes, size) bytes, read through
// OpenEntry by the first caller and kept in item.head for the others (an
// Item without a cache reads every time). An error when the entry cannot be
// opened or read; REQUIRES: item.regular. The view is valid until the
// pipeline moves on to the next entry.
Result<std::string_view> Head(const Item& item);

// Opens a walked entry for reading: `name` relative to the walked directory
// when the walk holds it (the very entry listed, at any path length, not what
// a path names after a rename above it), else `read_path`; refused when it is
// not the device and inode the walk saw (read::File::OpenWalkedAt).
Result<read::File> OpenEntry(const Item& item);

// Where sweeps report. Thread-safe.
class Context {
 public:
  virtual ~Context() = default;
  // Scores `f` (unless already scored) and sends it to the sinks when it has
  // a level; kAll / kMachine findings are counted in the summary's levels,
  // kHuman aggregates are not (they repeat machine findings).
  virtual void Emit(Finding& f) = 0;
  // An error record; `walked` is shown as the scanned system names it.
  virtual void Error(const std::string& walked, const std::string& message,
                     std::string_view module) = 0;
  // An object not checked, counted in the summary's `skipped` by reason.
  virtual void Skip(std::string_view reason) = 0;
  // Contact with network indicators in one source (one "file" each), for the
  // summary's contact timeline. Times are Unix milliseconds.
  struct Contact {
    std::uint64_t hits = 0;
    std::optional<std::int64_t> first_ms, last_ms;
  };
  virtual void AddContacts(const std::map<const ioc::Indicator*, Contact>& contacts) = 0;
  // Bytes of content read (the summary's `bytes`).
  virtual void AddBytes(std::uint64_t n) = 0;

  // The host inventory (`trawl scan --inventory`, src/hunt). All three hooks
  // do nothing unless an inventory is written, so the default scan pays
  // nothing for them.
  //
  // The digests of the walked entry the calling worker is scanning (the file
  // sweep calls it after its one read, or with digests reused from --since).
  virtual void RecordDigests(const std::map<std::string, std::string>& /*hashes*/,
                             bool /*reused*/) {}
  // A member of the walked entry the calling worker is scanning (the file
  // sweep's look inside archives): its chain from the file on disk
  // ("setup.zip!3CX.msi!ffmpeg.dll"), size, and digests (empty: not read).
  // `reused`: the row comes from --since's OLD.db (PriorMembers), not a read.
  virtual void RecordMember(const Item& /*item*/, std::string_view /*chain*/,
                            std::optional<std::uint64_t> /*size*/,
                            const std::map<std::string, std::string>& /*hashes*/,
                            bool /*reused*/) {}
  // The file sweep's look inside the walked entry the calling worker is
  // scanning finished with every one of its `members` rows read and hashed
  // (0: not a container), under the unpack settings `limits` names; recorded
  // so that a later --since can reuse the rows (PriorMembers).
  virtual void RecordUnpacked(std::uint64_t /*members*/, std::string_view /*limits*/) {}
  // --since OLD.db: the member rows OLD.db holds for this entry when its
  // (device, inode, size, mtime, ctime) and path are unchanged, its look
  // inside was complete (RecordUnpacked) under the same `limits`, and every
  // row has all three digests; nullopt otherwise (then the file is unpacked).
  struct PriorMember {
    std::string chain;
    std::uint64_t size = 0;
    std::map<std::string, std::string> hashes;
  };
  virtual std::optional<std::vector<PriorMember>> PriorMembers(const Item& /*item*/,
                                                               std::string_view /*limits*/) {
    return std::nullopt;
  }
  // --since OLD.db: the digests OLD.db holds for this entry when its
  // (device, inode, size, mtime, ctime) are unchanged; nullopt otherwise.
  virtual std::optional<std::map<std::string, std::string>> PriorDigests(const Item&) {
    return std::nullopt;
  }
  // Every distinct network name one source mentions (not only indicator
  // hits), for the inventory's contact index. Sweeps count them with
  // sweep::HostTally (trawl/sweep/hosts.h) and hand each batch over whole.
  struct HostSighting {
    std::string value;  // normalised: lower-case host, canonical IP, URL as seen
    std::string kind;   // "domain", "ipv4", "ipv6", "url"
    std::uint64_t count = 0;
    std::optional<std::int64_t> first_ms, last_ms;  // Unix milliseconds
    std::string example;                            // "FILE:LINE" (as the system names it)
  };
  virtual bool wants_hosts() const { return false; }
  virtual void SawHosts(std::string_view /*module*/, std::vector<HostSighting>&& /*hosts*/) {}
};

// Per-worker state of a sweep (scratch spaces, scanners, buffers).
class Worker {
 public:
  virtual ~Worker() = default;
};

// One sweep's share of an event log's single read (ReadEvtxOnce,
// trawl/sweep/evtx_pass.h): every sweep that reads EVTX records gets the
// records of one pass over the file, so a file is read once and its damage
// reported once, whichever sweeps run. Made per file on a worker thread and
// used only there.
class EvtxSink {
 public:
  virtual ~EvtxSink() = default;
  // Reader settings this sink needs: records of chunks whose only fault is
  // a CRC (evtx::Options::checksum_best_effort), and the file's time budget.
  virtual bool wants_checksum_mismatch() const { return false; }
  virtual double max_seconds() const { return 0; }
  // Each record, in file order (records flagged checksum_mismatch only to a
  // sink that wants them).
  virtual void OnRecord(const evtx::Record& r) = 0;
  // After the read: its stats, or the error that stopped it (the file could
  // not be opened, or is no event log). `report_problems`: this sink reports
  // the read's error and the reader's problems (true for the first sink
  // only, so each is one error record); the others keep quiet about them.
  virtual void OnDone(const Result<evtx::ReadStats>& stats, bool report_problems, Context& ctx) = 0;
};

enum class Verdict {
  kContinue,  // later sweeps see the entry too
  kTrusted,   // known good (a trusted hash): later sweeps skip it
};

class Sweep {
 public:
  virtual ~Sweep() = default;
  // Whether this sweep reads walked entries at all (live sweeps do not).
  virtual bool walks() const { return false; }
  // Paths the walk must prune (a sweep's private copies).
  virtual std::vector<std::string> ExcludePaths() const { return {}; }
  // Per-worker state; null when the sweep needs none.
  virtual std::unique_ptr<Worker> MakeWorker() const { return nullptr; }
  // Whether the sweep reads this entry (by name, magic or path). Cheap; may
  // read a few bytes (magic). Called from worker threads.
  virtual bool Claims(const Item&) const { return false; }
  // Scans one claimed entry. Called from worker threads with that thread's Worker.
  virtual Verdict Scan(const Item&, Worker*, Context&) { return Verdict::kContinue; }
  // A claimed entry this sweep reads as an event log: its share of the one
  // read (the pipeline then reads the entry once for every such sweep, after
  // the others' Scan, instead of calling Scan). Null: Scan reads the entry.
  virtual std::unique_ptr<EvtxSink> EvtxSinkFor(const Item&, Worker*, Context&) { return nullptr; }
  // After the walk, on one thread: live sweeps run here.
  virtual void Finish(Context&) {}
  // Adds this sweep's counters to the summary (after every Finish).
  virtual void Summarize(Summary&) const {}
  // Problems found while the sweep loaded its own rules (one per skipped
  // rule, with file:line): the app prints them and sends them to every sink
  // like the indicator loaders' problems. Asked once, after the factory.
  virtual std::vector<Problem> Problems() const { return {}; }
  // Whether `module` (one this sweep's registration serves) actually ran,
  // for the summary's `modules_run`; e.g. the live sweeps are made but do
  // not run processes on an image. Default: every requested module.
  virtual bool Ran(std::string_view module, const Settings& settings) const {
    return settings.Runs(module);
  }
};

// A module a registration serves: its --modules name and one line of help.
struct ModuleInfo {
  std::string_view name;
  std::string_view help;
};

// A `trawl scan` option a sweep owns (`--NAME VALUE`). The app declares it
// on the command line from the registration and stores what was given in
// Settings::options under NAME; only the sweep reads it. A flag (empty
// value_name) is stored as {"true"} when given; an option not given has no
// entry.
struct OptionInfo {
  std::string_view name;        // without the dashes: "sigma-level"
  std::string_view value_name;  // "PATH", "GLOB", "LEVEL"; empty for a flag
  std::string_view help;
  bool repeatable = true;  // one value per use, all kept in order; else given at most once
};

// A sweep's factory. Makes the sweep for the requested modules among those
// it serves (settings.Runs tells which). Returns null (ok) when there is
// nothing to do, with a line for the operator in `notes`; an error stops the
// scan before it starts.
using Factory = Result<std::unique_ptr<Sweep>> (*)(const Engine& engine, const Settings& settings,
                                                   std::vector<std::string>& notes);

struct Registration {
  std::vector<ModuleInfo> modules;  // one or more (artifacts serve evtx, journal, browser)
  Factory make = nullptr;
  // Whether the factory needs the network matcher (the app builds it only then).
  bool needs_net = false;
  // The sweep's own command-line options.
  std::vector<OptionInfo> options = {};
};

// The registered sweeps, in run order. Built by the app (one line per sweep).
class Registry {
 public:
  void Add(Registration r) { regs_.push_back(std::move(r)); }
  const std::vector<Registration>& all() const { return regs_; }
  // Every module name, in registry order.
  std::vector<std::string> ModuleNames() const;
  bool Knows(std::string_view module) const;
  // "file,log,evtx,..." for help text.
  std::string ModuleList() const;

 private:
  std::vector<Registration> regs_;
};

}  // namespace trawl::sweep
