// The content stage: every check of an object's bytes, in one place.
//
// Given bytes (a file read through trawl::read, a running executable, a
// mapped module, later an archive member) and the name the object goes by,
// it decides:
//   - hashes: an object whose hash is trusted is known good (the caller drops
//     its finding); a hash indicator matches, and one bound to a file name
//     (STIX `file:name = 'a.dll' AND file:hashes...`, CSV and_filename) only
//     when the object's base name is that name;
//   - YARA: the rules run over the bytes with LOKI's externals (filename,
//     filepath, extension, filetype, md5, owner);
//   - owner: the `owner` external, one passwd lookup per uid and checker.
// It does not walk, open paths, score or report: callers feed it bytes and
// turn the Outcome into findings and error records.
//
// Thread safety: Engine is immutable and shared; a Checker belongs to one
// worker (it owns the hasher, the YARA scanner and buffers).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/core/status.h"
#include "trawl/ioc/indicator.h"

namespace trawl::read {
class File;
class Mapping;
}
namespace trawl::yara {
class Rules;
class Scanner;
struct ScanReport;
struct ScanCounters;
}  // namespace trawl::yara
namespace trawl::hash {
class MultiHasher;
}

namespace trawl::content {

// The compiled pieces content checks need; built once, shared read-only.
struct Engine {
  const ioc::IndicatorSet* set = nullptr;    // hash and trusted-hash indicators (may be null)
  std::shared_ptr<const yara::Rules> rules;  // null: no YARA
  unsigned hash_algos = 0;                   // trawl::hash::Algo bits to compute
  int yara_timeout = 30;                     // seconds per object
  double file_timeout = 0;                   // seconds to read one file (0: none)
};

// The hash rule, for callers that already hold hashes (the process sweep's
// cache): appends a "hash" reason per matching indicator (those bound to a
// file name only when BaseName(path) is that name) and returns false when a
// hash is trusted (then nothing is appended: the object is known good).
bool HashReasons(const ioc::IndicatorSet& set, const std::map<std::string, std::string>& hashes,
                 std::string_view path, std::vector<Reason>& reasons);

// The last component of a '/'-separated path.
std::string_view BaseName(std::string_view path);

// Who and what the bytes are.
struct Subject {
  std::string path;            // as walked / as the process names it: base name, YARA externals
  std::optional<uid_t> owner;  // the `owner` external (unset: empty)
  // The object's own file name when it is not path's last component: an
  // archive member ("ffmpeg.dll" of "/s/setup.zip!3CX.msi!ffmpeg.dll") is
  // that name to name-AND-hash indicators and to YARA's filename/extension.
  std::string name;
};

struct Outcome {
  bool trusted = false;     // a hash is trusted: drop the object's finding
  std::uint64_t bytes = 0;  // bytes checked
  bool changed = false;     // the file changed while read (read::ReadStats::changed)
  // The read ended early (Engine::file_timeout passed, or a stop was
  // requested): nothing was checked, `hashes` and `reasons` are empty, and
  // `bytes` says how far it got. The caller reports it.
  bool timed_out = false;
  bool stopped = false;
  std::map<std::string, std::string> hashes;  // computed ("md5", "sha1", "sha256")
  std::vector<Reason> reasons;                // hash and yara reasons
  std::optional<std::string> yara_error;      // YARA failed; other reasons stand
  // One message per rule that timed out ("yara timeout after Ns in rule
  // FILE:RULE"): the rule set is split until the slow rules are isolated, so
  // every other rule's matches are in `reasons`.
  std::vector<std::string> yara_timeouts;
};

class Checker {
 public:
  explicit Checker(const Engine& engine);
  ~Checker();
  Checker(Checker&&) noexcept;
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  // Whether any check needs the bytes (hashes or YARA); when not, callers
  // need not read the object at all.
  bool wants_bytes() const;

  // Reads `file` once (up to `limit` bytes, and no more than its size at open
  // time unless that is 0) feeding every hash and the YARA buffer, then
  // checks. Error only when reading failed.
  Result<Outcome> CheckFile(const read::File& file, std::uint64_t limit, const Subject& subject);

  // The same checks over bytes already in memory (archive members).
  Outcome CheckBytes(std::span<const std::uint8_t> bytes, const Subject& subject);

  // How this checker's YARA scans ran (files per route class, timeouts,
  // split rescans); null without YARA. Sum over the workers for the summary.
  const yara::ScanCounters* yara_counters() const;

 private:
  // `mapped`: the bytes are a read::Mapping (every access guarded).
  void Finish(std::span<const std::uint8_t> bytes, const Subject& subject, Outcome& out,
              bool mapped = false);
  // CheckFile for a large file with YARA: mapped, not copied (read.h Mapping).
  Result<Outcome> CheckMapped(const read::File& file, const read::Mapping& map,
                              const Subject& subject);
  std::string Owner(uid_t uid);

  const Engine& engine_;
  std::unique_ptr<hash::MultiHasher> hasher_;
  std::unique_ptr<yara::Scanner> scanner_;
  std::unique_ptr<yara::ScanReport> report_;
  std::vector<std::uint8_t> buffer_;  // whole object, for YARA
  std::vector<std::uint8_t> chunk_;   // read buffer
  std::unordered_map<uid_t, std::string> owners_;
};

}  // namespace trawl::content
