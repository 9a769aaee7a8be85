// The records every sweep produces and every sink consumes.
//
// A Finding is one scanned object (a file, a log line, an event, a process)
// with every reason it matched. Modules add their own fields through `extra`,
// in order, so the JSON Lines contract grows without core knowing about logs,
// processes or events. Sinks own all formatting; nothing here prints.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace trawl {

enum class Level { kNone = 0, kNotice = 1, kWarning = 2, kAlert = 3 };

// "alert", "warning", "notice", "none".
const char* LevelName(Level level);

// Why an object matched: one indicator (or YARA rule) and where it came from.
struct Reason {
  std::string kind;         // "hash", "filename", "yara", "c2", "keyword", ...
  std::string indicator;    // the hash, regex, rule name, domain...
  std::string description;  // human text from the indicator source
  std::string source;       // "FILE:LINE" or "builtin:3cx"
  int score = 0;            // this reason's sub-score, 0..100
};

// A scalar value for module-specific fields ("line", "pid", "time"...).
using FieldValue = std::variant<std::int64_t, double, bool, std::string>;

struct Finding {
  std::string module = "file";  // "file", "log", "evtx", "process", ...
  std::string path;             // absolute path (or the object's locator)
  std::optional<std::uint64_t> size;
  // Hashes computed for this object, keyed "md5", "sha1", "sha256" (hex, lower case).
  std::map<std::string, std::string> hashes;
  std::vector<Reason> reasons;
  int score = 0;               // combined, see scoring.h
  Level level = Level::kNone;  // from score and thresholds
  // Module fields, emitted in order after the fixed ones.
  std::vector<std::pair<std::string, FieldValue>> extra;
  // Who reads it. A sweep with many hits per object (a log with a million
  // contacts) sends every hit to machine sinks (JSON, CSV, syslog) and one
  // aggregate per object and indicator to people (the console).
  enum class Audience { kAll, kMachine, kHuman };
  Audience audience = Audience::kAll;
};

// A per-object problem that did not stop the scan (unreadable file, corrupt record...).
struct ErrorRecord {
  std::string path;
  std::string message;
  std::string module = "file";
};

// One loaded indicator set, as the summary reports it.
struct IndicatorSetInfo {
  std::string name;     // "builtin:3cx", a path, a pack name
  std::string version;  // pack version or commit, where known
  std::map<std::string, std::uint64_t> loaded;   // per kind
  std::map<std::string, std::uint64_t> skipped;  // per reason
};

// Contact with one network indicator across every source (logs, events,
// browser visits...): the timeline of contact the summary reports.
struct ContactTimeline {
  std::string indicator;     // the indicator value
  std::string kind;          // "domain", "ipv4", "url"...
  std::string first_seen;    // ISO 8601 UTC, empty when no source gave a time
  std::string last_seen;
  std::uint64_t hits = 0;
  std::uint64_t files = 0;   // distinct files / sources with a hit
};

// An installed product the inventory sweep found (affected or not).
struct InstalledProduct {
  std::string product;   // as the installation names itself
  std::string version;
  std::string platform;  // "windows", "macos", "linux"
  std::string path;      // the evidence: executable, Info.plist or app.asar
  std::string source;    // "pe", "plist", "asar"
  bool affected = false;  // matches a version indicator
};

struct Summary {
  std::uint64_t files = 0;  // objects whose content or name was checked
  std::uint64_t bytes = 0;  // bytes read
  std::map<std::string, std::uint64_t> skipped;  // reason -> count
  std::uint64_t errors = 0;
  std::uint64_t alerts = 0, warnings = 0, notices = 0;
  double seconds = 0;
  std::vector<IndicatorSetInfo> indicator_sets;
  // Scan facts, for reports: host name, OS, roots, start and end (ISO 8601 UTC).
  std::string host, os;
  std::vector<std::string> paths;
  std::string started, finished;
  // Stopped early by SIGINT/SIGTERM (trawl::ProcessStop()): the counts and
  // findings cover only what was reached.
  bool interrupted = false;
  std::vector<ContactTimeline> timeline;
  // Every installation the inventory sweep found, sorted by path.
  std::vector<InstalledProduct> inventory;
  // Module-specific summary fields, emitted in order after the fixed ones.
  std::vector<std::pair<std::string, FieldValue>> extra;
};

}  // namespace trawl
