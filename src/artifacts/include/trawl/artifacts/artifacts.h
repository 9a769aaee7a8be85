// Artifact sweeps: contact with network indicators (and keywords) in
// structured evidence that is not a text log: Windows event logs (EVTX),
// systemd journal files and browser histories.
//
// What it does:
//  - Detect decides, from a walked path (and for EVTX the file's first bytes),
//    which sweep reads a file: `*.evtx` (any case) or a file starting with the
//    "ElfFile\0" magic -> evtx; `*.journal`, `*.journal~` -> journal; a
//    Chromium-family `History` or a Firefox `places.sqlite` in a Windows,
//    macOS or Linux profile layout -> browser (see BrowserTargetOf).
//  - Sweeper::Scan reads one such file and matches every value with the one
//    set of network rules (trawl::netmatch):
//      evtx:    every record (trawl::evtx), System Provider/Channel/Computer
//               and every EventData/UserData field, scanned as text;
//      journal: every field of every entry (libsystemd's sd-journal over the
//               one file found, never the live system journal), scanned as text;
//      browser: every URL (NetMatcher::MatchUrl), each visit of a matching
//               URL a hit, read from a private copy of the database.
//    With a sweep::HostTally, the same values feed the host inventory's
//    contact index in the same pass (no second read of the file).
//  - ToFindings turns a file's hits into findings (every hit for machine
//    sinks, one aggregate per indicator for people, as the log sweep does);
//    the sweep (artifact_sweep.h) feeds the contact timeline with
//    logs::Contacts of the file's tally.
//
// Evidence safety: every source file is opened read-only with O_NOFOLLOW and
// O_NOATIME where permitted (trawl::read::File), regular files only, never
// written; a walked journal or browser database is opened relative to the
// directory the walk holds and only when it is the device and inode walked
// (Walked). Browser databases are copied with their `-wal` and `-journal`
// into a private directory (mkdtemp, mode 0700) and opened from there, so no
// `-shm` or lock is ever created beside the evidence and visits still only in
// the WAL are read; the copies are removed before Scan returns.
//
// What it does not do: walk directories, report (sinks print findings), read
// the live system journal, resolve EVTX message strings, or read browser
// data other than the visit history (no downloads, cookies, cache).
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/core/scoring.h"
#include "trawl/core/status.h"
#include "trawl/ioc/indicator.h"
#include "trawl/logs/logs.h"
#include "trawl/netmatch/netmatch.h"

namespace trawl::sweep {
class HostTally;
}
namespace trawl::evtx {
struct Record;
struct ReadStats;
}  // namespace trawl::evtx

namespace trawl::artifacts {

enum class Type { kNone, kEvtx, kJournal, kChromiumHistory, kFirefoxPlaces };

// The module a type's findings and error records carry: "evtx", "journal",
// "browser" ("" for kNone).
const char* ModuleName(Type type);

// What a file is, as far as the artifact sweeps care.
struct Target {
  Type type = Type::kNone;
  std::string browser;  // browser sweeps: "chrome", "chromium", "edge", "brave", "firefox", ...
  std::string profile;  // browser sweeps: profile folder, e.g. "Default", "x1y2.default-release"
  std::string user;  // browser sweeps: account from Users/X, home/X, Users/X (macOS); may be empty
};

// Name rules (no I/O). `path` may be absolute or relative to a scan root.
bool IsEvtxName(std::string_view path);     // ends in ".evtx", any case
bool IsJournalName(std::string_view path);  // ends in ".journal" or ".journal~"
// A browser history database by its place in a profile layout (case-insensitive,
// for mounted Windows images):
//   Chromium family, file `History` in a profile folder of
//     Windows  .../AppData/Local/{Google/Chrome[ Beta| SxS],Chromium,Microsoft/Edge[ Beta| Dev],
//              BraveSoftware/Brave-Browser}/User Data/PROFILE/History
//     macOS    .../Library/Application Support/{Google/Chrome,Chromium,Microsoft Edge,
//              BraveSoftware/Brave-Browser}/PROFILE/History
//     Linux    .../.config/{google-chrome[-beta|-unstable],chromium,microsoft-edge[-beta|-dev],
//              BraveSoftware/Brave-Browser}/PROFILE/History (also under snap and flatpak homes)
//   and any other `User Data/PROFILE/History` as browser "chromium-based";
//   Firefox, file `places.sqlite` in .../Mozilla/Firefox/Profiles/PROFILE/,
//     .../Firefox/Profiles/PROFILE/ (macOS) or .../.mozilla/firefox/PROFILE/.
// Type kNone when the path is none of these.
Target BrowserTargetOf(std::string_view path);
// Whether the file at `path` starts with "ElfFile\0" (8 bytes read, opened as
// trawl::read::File does). False when it cannot be read.
bool HasEvtxMagic(const std::string& path);

struct Options {
  // Which sweeps Detect selects.
  bool evtx = true;
  bool journal = true;
  bool browser = true;
  // Hits kept per file and indicator (all are counted in SweepResult::tally).
  std::uint64_t max_hits_per_file = 1000;
  // Problems inside one file reported one by one; the rest as one count.
  std::size_t max_errors_per_file = 100;
  // A browser database (with its -wal and -journal) larger than this is not
  // copied; the file gets an error record.
  std::uint64_t max_copy_bytes = 4ull << 30;
  // Rows of a browser database's URL table read (--max-artifact-rows): a
  // planted history of a billion tiny rows cannot hold a worker for hours.
  // The rest are not read: an error record and SweepResult::rows_capped.
  std::uint64_t max_rows = 10'000'000;
  // Seconds per file (--file-timeout; 0: no limit), for every type: past it
  // the rest is not read, an error record says so and SweepResult::timed_out.
  double max_seconds = 0;
  // Where private copies are made: the Sweeper makes one 0700 directory in it
  // (see Sweeper::private_root) and a fresh 0700 one inside that per database;
  // empty: $TMPDIR, else /tmp.
  std::string temp_dir;
};

// One matched value.
struct Hit {
  const ioc::Indicator* indicator = nullptr;
  std::optional<std::int64_t> time_unix_us;  // time of the record / entry / visit
  std::string time_text;                     // ISO 8601 UTC; empty when unknown
  std::string matched;                       // the text that matched (escaped)
  // Module fields in JSON order (see ToFindings), after `time`.
  std::vector<std::pair<std::string, FieldValue>> fields;
};

struct SweepResult {
  Type type = Type::kNone;
  std::uint64_t items = 0;  // records, entries, or URLs read
  std::vector<Hit> hits;    // in file order, up to Options::max_hits_per_file per indicator
  std::map<const ioc::Indicator*, logs::Tally> tally;  // every hit counted
  std::uint64_t hits_total = 0;
  // Damage found inside the file (a corrupt chunk, record, entry or table),
  // one message each (capped, see Options): each is an error record of the
  // type's module. Hits found around it are kept.
  std::vector<std::string> errors;
  // evtx: record headers in chunk slack that did not decode. Slack is free
  // space, so these are counted for the summary, not error records.
  std::uint64_t slack_unrecoverable = 0;
  // browser: the URL table had more than Options::max_rows rows.
  bool rows_capped = false;
  // Options::max_seconds ended the read.
  bool timed_out = false;
};

// A walked file to sweep: `name` in the open directory `dir_fd` the walk
// holds (so the full path may be longer than PATH_MAX, and what is opened is
// the entry listed), and only when it is the device and inode of `walked`
// (else the error "replaced since it was walked": a file swapped in after
// the walk is never read). dir_fd -1: `path` is opened. `path` names the
// file in errors; a browser database's `-wal` and `-journal` are its
// neighbours in the same directory.
struct Walked {
  std::string path;
  int dir_fd = -1;
  std::string name;
  const struct stat* walked = nullptr;  // null: not compared
};

// Matches artifact files against one NetMatcher. Thread-safe: Detect and Scan
// may be called from several threads at once (scratch spaces are pooled).
// REQUIRES: the matcher outlives the sweeper.
class Sweeper {
 public:
  Sweeper(const netmatch::NetMatcher& matcher, Options opts);
  ~Sweeper();
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  // Which sweep reads the walked file `path` (names, layouts), for sweeps
  // enabled in Options. Only for a regular file larger than an EVTX header
  // whose name says nothing does it read 8 bytes of `read_path` (the file to
  // read; for a followed link its target) to look for the EVTX magic; when
  // `head` is given, it asks for the file's first bytes instead (the
  // pipeline's shared read, sweep::Head; nullopt: unreadable, not EVTX).
  Target Detect(const std::string& path, const struct stat& st, const std::string& read_path,
                const std::function<std::optional<std::string_view>()>& head = {}) const;

  // Sweeps one file. Error (naming the path) only when the file cannot be
  // opened or is not of the type at all (not an EVTX file, not a journal, not
  // a SQLite database or without the history tables); damage inside a file
  // that could be opened lands in SweepResult::errors.
  //
  // With `hosts` (the host inventory's contact index), every host name,
  // address and URL the file names also goes to it, with the time of its
  // record / entry / visit and as locator the EVTX record id, the journal
  // entry's number (1-based) or the URL table's row id.
  Result<SweepResult> Scan(const std::string& read_path, const Target& target,
                           sweep::HostTally* hosts = nullptr) const;
  // The same for a walked entry (journal and browser: opened relative to
  // the walked directory and checked against the walk's stat, see Walked;
  // evtx: opened by `path` as above).
  Result<SweepResult> Scan(const Walked& file, const Target& target,
                           sweep::HostTally* hosts = nullptr) const;

  // An event log read by the caller (sweep::ReadEvtxOnce, one read shared
  // with the other sweeps of EVTX records): records go to OnRecord, in file
  // order; Finish gives what Scan would. Used by one thread.
  class EvtxScan {
   public:
    virtual ~EvtxScan() = default;
    virtual void OnRecord(const evtx::Record& r) = 0;
    // `stats`: the read's outcome (its error is returned). The reader's
    // problems land in SweepResult::errors only `with_problems` (another
    // sweep reports them otherwise).
    virtual Result<SweepResult> Finish(const Result<evtx::ReadStats>& stats,
                                       bool with_problems) = 0;
  };
  // `path` names the file in errors. Error only when no scanner scratch can be had.
  // `hosts` (may be null): the contact index's tally, fed every record's values.
  Result<std::unique_ptr<EvtxScan>> BeginEvtx(const std::string& path,
                                              sweep::HostTally* hosts = nullptr) const;

  const Options& options() const;

  // The directory (mkdtemp, 0700) holding this sweeper's private copies while
  // a browser database is read; made at construction when Options::browser is
  // set, removed (with anything left in it) by the destructor. A walk that
  // may pass through it should prune it (walk::Options::exclude_paths), so
  // the copies are not swept as files. Empty when browser sweeps are off or
  // the directory could not be made (each database then gets its own
  // directory directly in the temp dir).
  const std::string& private_root() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Findings for one file's hits, with module ModuleName(result.type), path
// `path` and the indicator as reason, scored with `t`:
//  - one per hit, Audience::kMachine, fields `time` (when known), then the
//    module's fields:
//      evtx:    record, time, channel, event_id, provider, computer, field,
//               value, matched, recovered, offset
//      journal: time, unit, field, value, matched, cursor
//      browser: url, time, browser, profile, user (when known), title (when
//               any), visit (visit row id; absent for a URL with no visit
//               row left, whose time is then the URL's last visit), matched
//    `value`, `url` and `title` are escaped (trawl::EscapeControl) and cut at
//    512 bytes (a URL at 2048) around the match, "..." marking a cut.
//  - one per indicator, Audience::kHuman: its first hit plus `hits`,
//    `first_seen` and `last_seen`.
std::vector<Finding> ToFindings(const std::string& path, const SweepResult& result,
                                const Thresholds& t = {});

// Per-scan counts for the summary. Add is thread-safe.
class SweepStats {
 public:
  void Add(const SweepResult& result);
  // Summary fields, for the sweeps that ran: evtx_files, evtx_records,
  // evtx_hits, evtx_slack_unrecoverable, journal_files, journal_entries, journal_hits,
  // browser_databases, browser_urls, browser_hits (hits counted beyond the per-file cap too).
  std::vector<std::pair<std::string, FieldValue>> SummaryFields(const Options& ran) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::int64_t> counts_;
};

// "2023-03-30T10:00:01Z", with ".mmm" when the microseconds are whole
// milliseconds, else ".uuuuuu". Any year from 1601 on.
std::string FormatIsoUtcMicros(std::int64_t unix_us);

// Epoch conversions: WebKit/Chromium time (microseconds since 1601-01-01 UTC)
// and PRTime (microseconds since 1970) to Unix microseconds. nullopt for 0
// (no time) and values out of range.
std::optional<std::int64_t> WebKitToUnixMicros(std::int64_t webkit_us);
std::optional<std::int64_t> PrTimeToUnixMicros(std::int64_t prtime_us);

// `value` escaped and cut to at most `max_bytes` (>= 16) around
// [match_begin, match_end) (offsets into the raw value), "..." marking a cut;
// cuts never split a UTF-8 sequence or an escape.
std::string Excerpt(std::string_view value, std::size_t match_begin, std::size_t match_end,
                    std::size_t max_bytes = 512);

}  // namespace trawl::artifacts
