// The log sweep: finds contact with network indicators (and keywords) in text
// logs, plain, rotated and compressed, with the line, the time of contact and
// an excerpt of each hit.
//
// What it does:
//  - IsLogPath decides which files are logs (see there).
//  - LogScanner::Scan reads one file evidence-safely (trawl::read::File: no
//    symlink followed, regular files only, O_NOATIME where allowed), streams
//    .gz .bz2 .xz .zst .lz4 .Z through the reader stage's read::Decoder
//    (chosen by magic bytes, never by name; never unpacked to disk; bounded
//    by LogOptions::unpack), cuts the stream
//    into chunks at line boundaries and scans chunks in parallel (oneTBB)
//    with one NetMatcher pass per chunk. Line numbers are counted per chunk and
//    joined in order; a hit's time is parsed from its own line only.
//  - With a HostsFn, the same pass also tokenizes every line for every host
//    name, address and URL it names (netmatch::ExtractHosts), in the same
//    parallel chunks: the host inventory's contact index.
//  - Contacts (log_sweep.h) turns a file's tallies into the contact
//    timeline's input (trawl::sweep::ContactTimeline).
// What it does not do: report (ToFinding builds the Finding, sinks print it),
// walk directories, or read binary logs (journal, EVTX, wtmp have their own sweeps).
//
// Offsets and line numbers are in the decompressed text. A line is ended by
// "\n" ("\r\n" counts once; a lone "\r" does not end a line).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/core/scoring.h"
#include "trawl/core/status.h"
#include "trawl/ioc/indicator.h"
#include "trawl/netmatch/netmatch.h"
#include "trawl/read/read.h"
#include "trawl/read/unpack.h"

namespace trawl::logs {

struct LogOptions {
  // --log GLOB: more paths to treat as logs (fnmatch; a glob without '/' is
  // matched against the file name, one with '/' against the whole path).
  std::vector<std::string> extra_globs;
  // Hits kept per file and indicator (all are counted in
  // LogFileResult::tally): every indicator that hits a file keeps its first
  // hits, however many hits another indicator had before.
  std::uint64_t max_hits_per_file = 1000;
  // Bytes per work unit; a chunk ends at a line break (a longer line grows it
  // up to max_line_bytes, then is cut at a byte no host name contains).
  std::size_t chunk_bytes = 4u << 20;
  std::size_t max_line_bytes = 64u << 20;
  // Stop after this many (decompressed) bytes per file; 0 = no limit. A file
  // stopped early says so in LogFileResult::error.
  std::uint64_t max_bytes = 0;
  // Seconds per file (--file-timeout); 0 = no limit. Checked between reads.
  double max_seconds = 0;
  // Bounds of a compressed log's decompression (the reader stage's, shared
  // with archives): total, ratio, time, decoder memory. A hit ends the read;
  // LogFileResult::limit names it.
  read::UnpackLimits unpack;
};

// Whether a path is a log. `path` may be relative to a scan root or absolute.
// Logs: anything under var/log/ (but not *.journal, *.journal~: the journal
// sweep reads those), *.log, rotated forms (*.log.1, *.log.2.gz, syslog.3.gz,
// messages-20230330, *.log-20230330, *.log.2023-03-30), compressed (.gz .bz2
// .xz .zst .lz4 .Z) forms of all of these, well-known log names (syslog,
// messages, secure, maillog, cron, access_log, error_log, ssl_access_log,
// xferlog, ...), Zeek logs (*.log, conn.00:00:00-01:00:00.log.gz), W3C/IIS
// (u_ex*.log), Squid access.log, Apache/nginx access/error logs, Windows DNS
// debug logs (dns.log), plus opts.extra_globs.
bool IsLogPath(std::string_view path, const LogOptions& opts);

// Timestamp formats ParseTimestamp knows. kAuto tries them in a fixed order.
enum class Format {
  kAuto,
  kSyslog,      // RFC 3164 "Mar 30 10:00:01" (year inferred), RFC 5424 "<34>1 2023-...".
  kIso8601,     // a line starting with an ISO 8601 time (or "[" ISO "]")
  kZeek,        // Zeek TSV: epoch seconds in the "ts" column of "#fields"
  kApache,      // Apache/nginx access "[30/Mar/2023:10:00:01 +0200]", error logs
  kSquid,       // "1576177221.686 ..." epoch.millis first field
  kW3c,         // W3C/IIS: "date" and "time" columns of "#Fields:" (UTC)
  kWindowsDns,  // Windows DNS debug log "3/30/2023 10:00:01 AM"
};
const char* FormatName(Format f);

// What ParseTimestamp needs to know about a file. Zones: a time without a
// zone offset is taken as UTC (syslog, Windows DNS: the host's local zone is
// not in the log).
struct TimeContext {
  Format format = Format::kAuto;
  // For RFC 3164: the file's mtime (Unix seconds). The year is mtime's year,
  // or the one before when the date would be more than a day after mtime.
  std::int64_t mtime_unix = 0;
  int field_sep = '\t';  // column separator (Zeek: tab, W3C: space)
  int ts_col = -1;       // Zeek "ts" column
  int date_col = -1;     // W3C "date" column
  int time_col = -1;     // W3C "time" column
};

// Detects the format from a file's first bytes (headers such as "#fields" or
// "#Fields:", the shape of the first lines) and its name.
TimeContext DetectFormat(std::string_view path, std::string_view head, std::int64_t mtime_unix);

// Unix milliseconds of the time at the start of `line` (or in its format's
// column), or nullopt if the line has none that the context's format (or,
// failing that, any known format) can read.
std::optional<std::int64_t> ParseTimestamp(std::string_view line, const TimeContext& ctx);

// "2023-03-30T10:00:01Z", with ".mmm" when milliseconds are not zero.
std::string FormatIsoUtc(std::int64_t unix_ms);

struct LogHit {
  const ioc::Indicator* indicator = nullptr;
  std::uint64_t line = 0;    // 1-based
  std::uint64_t offset = 0;  // of the match, in the (decompressed) file
  std::optional<std::int64_t> time_unix_ms;
  std::string time_text;  // ISO 8601 UTC, empty when no time was read
  // The line, control characters escaped (trawl::EscapeControl), at most 512
  // bytes of it: a longer line is cut to a window around the match, marked
  // with "..." where cut.
  std::string excerpt;
  std::string matched;  // the text that matched, as it appeared (escaped)
};

// Per indicator in one file: every hit counted, including those beyond the cap.
struct Tally {
  std::uint64_t hits = 0;
  std::optional<std::int64_t> first_ms, last_ms;  // earliest and latest time read
};

struct LogFileResult {
  std::uint64_t bytes = 0;  // decompressed bytes scanned
  std::uint64_t lines = 0;
  std::vector<LogHit> hits;  // in file order, up to max_hits_per_file per indicator
  std::map<const ioc::Indicator*, Tally> tally;
  std::uint64_t hits_total = 0;  // sum of tally hits
  std::string compression;       // "" (plain), "gzip", "bzip2", "xz", "zstd", ...
  Format format = Format::kAuto;
  // Set when reading stopped early: a truncated or corrupt compressed stream,
  // a file that shrank while read, a read error, max_bytes. Hits found before
  // it are kept. The caller reports it as an error record.
  std::optional<std::string> error;
  // Set (read::LimitName: "archive_bytes", "archive_ratio", ...) when a
  // decompression limit ended the read; `error` then says which and why.
  std::optional<std::string> limit;
  // LogOptions::max_bytes ended the read (--max-log-bytes); `error` says so.
  bool capped = false;
  // LogOptions::max_seconds ended the read (--file-timeout); `error` says so.
  bool timed_out = false;
};

// A host name, address or URL one log names (not only indicator hits), for
// the host inventory's contact index: one per distinct (kind, value) and chunk.
struct HostSeen {
  std::string kind;  // "domain", "ipv4", "ipv6", "url" (netmatch::ExtractHosts)
  std::string value;
  std::uint64_t count = 0;                        // lines x mentions
  std::optional<std::int64_t> first_ms, last_ms;  // times of the lines naming it
  std::uint64_t line = 0;                         // 1-based: the first line naming it
};
// Receives one file's sightings, in file order, from one thread at a time:
// one batch per chunk (LogOptions::chunk_bytes) with each value the chunk
// names once, so memory stays bounded however many a log names; a value named
// in several chunks comes in several batches (the receiver merges them).
using HostsFn = std::function<void(std::vector<HostSeen>&&)>;

// Scans many files with one matcher; keeps Vectorscan scratch per thread.
// Thread-safe: Scan may be called from several threads at once (it runs its
// own chunks on oneTBB's pool, so calling it from TBB tasks nests fine).
// REQUIRES: the matcher outlives the scanner.
class LogScanner {
 public:
  LogScanner(const netmatch::NetMatcher& matcher, LogOptions opts);
  ~LogScanner();
  LogScanner(const LogScanner&) = delete;
  LogScanner& operator=(const LogScanner&) = delete;

  // Error (naming the path) only when the file cannot be opened or is not a
  // regular file; problems after that land in LogFileResult::error.
  // With `hosts`, also every host name, address and URL of every line (a
  // line's time read as for hits) goes to it.
  Result<LogFileResult> Scan(const std::string& path, const HostsFn& hosts = {}) const;
  // The same over a file already opened by the reader stage (the log sweep
  // opens the walked entry relative to its directory and checks it is the
  // one walked: sweep::OpenEntry); f.path() names it and picks the format.
  // Reads from offset 0; never fails (problems land in LogFileResult::error).
  LogFileResult Scan(const read::File& f, const HostsFn& hosts = {}) const;
  // The same over bytes already in memory (tests, fuzzing, other sweeps).
  // `name` picks the format as a path would; `mtime_unix` dates syslog lines.
  LogFileResult ScanBuffer(std::string_view data, std::string_view name, std::int64_t mtime_unix,
                           const HostsFn& hosts = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-off convenience: a LogScanner for a single file.
Result<LogFileResult> ScanLog(const std::string& path, const netmatch::NetMatcher& m,
                              const LogOptions& opts);

// The one per-indicator aggregate people see for a source with many hits
// (a log, an event log, a journal, a browser history): `first_hit`'s finding
// made Audience::kHuman, with "hits" first and "first_seen" / "last_seen"
// (ISO 8601 UTC, when known) last.
Finding Aggregate(Finding first_hit, const Tally& tally);

// A Finding for one hit: module "log", the indicator as reason (kind from
// ioc::ReasonKind), fields line, offset, time (when read), excerpt, matched;
// scored with `t`.
Finding ToFinding(const std::string& path, const LogHit& hit, const Thresholds& t = {});

}  // namespace trawl::logs
