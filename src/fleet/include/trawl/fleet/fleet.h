// The fleet report (`trawl report merge`): many hosts' JSON Lines reports
// (the README's contract, one file per host or per shard) read into one
// picture: each host's verdict, which indicators hit on which hosts, the C2
// contact timeline across hosts, and links to the per-host HTML reports.
//
// Input is untrusted (a compromised host wrote its own report): every line is
// parsed on its own; a line that is not a JSON object of the contract, is
// longer than kMaxLine or nested deeper than kMaxDepth is a BadLine (file:line
// and why) and counted, and reading goes on. A file that cannot be read makes
// that host "failed"; nothing here throws or aborts. Memory is bounded per
// host (counts, the timeline, at most kTopFindings findings) and per
// indicator (the hosts it hit), never by the number of findings.
//
// Writers (render.cc): the HTML page (escaped like the single-host report,
// the same CSP and the same timeline chart, trawl/report/timeline_chart.h),
// JSON Lines and CSV. This stage reads only the report stage below it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "trawl/core/status.h"

namespace trawl::fleet {

inline constexpr std::size_t kMaxLine = 4u << 20;  // bytes; longer lines are bad lines
inline constexpr int kMaxDepth = 64;               // JSON nesting; deeper lines are bad lines
inline constexpr std::size_t kTopFindings = 20;    // findings kept per host for the page
inline constexpr std::size_t kMaxBadLines = 2000;  // bad lines listed; the rest are counted

struct Contact {  // one summary timeline entry of one host
  std::string indicator, kind, first_seen, last_seen;
  std::uint64_t hits = 0;
};

struct HostFinding {
  int level = 0;  // 3 alert, 2 warning, 1 notice
  int score = 0;
  std::string module, path, indicators;  // indicators: the reasons' values, ", "-joined
};

struct Host {
  std::string source;   // the JSON Lines file as given
  std::string name;     // the summary's host; else the file
  std::string verdict;  // "compromised", "suspicious", "clean", "failed"
  std::string why;      // for "failed": no summary, interrupted, unreadable...
  std::string os, started, finished, shard;
  std::uint64_t alerts = 0, warnings = 0, notices = 0;  // findings read, by level
  std::uint64_t errors = 0, files = 0, bad_lines = 0;
  bool summary = false, interrupted = false;
  std::vector<Contact> timeline;
  std::vector<HostFinding> top;  // highest level and score first, at most kTopFindings
  std::string report;            // the per-host HTML report beside the source, if any
};

struct IndicatorHit {
  std::string kind, indicator, description;
  int level = 0;                               // highest level of a finding it was in
  std::uint64_t findings = 0;                  // findings it was a reason of
  std::map<std::size_t, std::uint64_t> hosts;  // host index -> findings on that host
};

struct BadLine {
  std::string where;  // FILE:LINE
  std::string message;
};

struct Fleet {
  std::vector<Host> hosts;
  // Keyed by (kind, indicator).
  std::map<std::pair<std::string, std::string>, IndicatorHit> indicators;
  std::vector<BadLine> bad_lines;  // the first kMaxBadLines
  std::uint64_t bad_lines_seen = 0;

  std::uint64_t Count(const std::string& verdict) const;
};

// Reads one host's JSON Lines report into `fleet` (one Host appended).
// Never fails: an unreadable file is a failed host, bad lines are counted.
void AddHostReport(Fleet& fleet, const std::string& path);
// The same from an open stream (`source` names it in bad lines); the per-host
// HTML report is not looked for. For the fuzzer and for tests.
void AddHostReportFrom(Fleet& fleet, const std::string& source, std::FILE* in);

// Writers. `html_path` is where the page goes: links to the per-host reports
// are relative to its folder. Errors are write failures.
Status WriteFleetHtml(const Fleet& fleet, std::FILE* out, const std::string& html_path);
Status WriteFleetJson(const Fleet& fleet, std::FILE* out);
Status WriteFleetCsv(const Fleet& fleet, std::FILE* out);

// The verdict of the fleet for the exit code: 1 when a host is compromised or
// suspicious, else 2 when a host failed, else 0.
int FleetExitCode(const Fleet& fleet);

}  // namespace trawl::fleet
