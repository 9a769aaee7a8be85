// Shared by the STIX and MISP loaders (stix.cc, misp.cc, json_common.cc).
// Not part of the public API.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "trawl/ioc/indicator.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {
// LoadTextAs with options (internal.h has the option-less form).
LoadStats LoadTextAs(std::string_view text, Format format, const std::string& display_name,
                     const std::string& indicator_source, IndicatorSet& set,
                     const LoadOptions& options);
}  // namespace trawl::ioc

namespace trawl::ioc::internal {

using Json = nlohmann::json;

// Limits on untrusted JSON: deeper nesting is refused before parsing (the
// parser and the value tree are not built for it); longer strings are refused
// where they would become an indicator value or a rule.
inline constexpr int kMaxJsonDepth = 200;
inline constexpr size_t kMaxValueBytes = 8 << 10;        // one indicator value or pattern part
inline constexpr size_t kMaxPatternBytes = 256 << 10;    // one STIX pattern
inline constexpr size_t kMaxRuleBytes = 1 << 20;         // one YARA rule source
inline constexpr size_t kMaxDescriptionBytes = 2 << 10;  // longer descriptions are cut

// Bookkeeping for one JSON load. Problems and sources name objects by id:
// "FILE:OBJECT-ID" (the JSON carries no useful line numbers).
class JsonSink {
 public:
  JsonSink(IndicatorSet& set, LoadStats& stats, std::string display, std::string source)
      : set_(set), stats_(stats), display_(std::move(display)), source_(std::move(source)) {}

  // A rejected entry: counted under `reason` and reported as a problem.
  void Reject(std::string_view id, const std::string& reason, std::string_view detail = {});
  // A deliberately unused entry (expired, revoked, not to_ids...): counted only.
  void Count(const std::string& reason) { ++stats_.skipped[reason]; }
  // Adds ind with its source; counts it as loaded or as a duplicate.
  void Add(Indicator ind, std::string_view id);
  std::string Where(std::string_view id) const;
  LoadStats& stats() { return stats_; }
  void set_allow_broad_ranges(bool allow) { allow_broad_ranges_ = allow; }

 private:
  bool allow_broad_ranges_ = false;
  IndicatorSet& set_;
  LoadStats& stats_;
  std::string display_;
  std::string source_;
};

// Parses JSON text; on failure returns false with "line L, column C: why".
// Refuses nesting deeper than kMaxJsonDepth and invalid UTF-8 in strings.
bool ParseJson(std::string_view text, Json& out, std::string& error);

// kStix, kMisp or kJson (neither) for a parsed document.
Format JsonKind(const Json& doc);

// Loads STIX or MISP text (format kJson: decided by JsonKind).
void LoadJson(std::string_view text, Format format, const std::string& display,
              const std::string& indicator_source, const LoadOptions& options, IndicatorSet& set,
              LoadStats& stats);

void LoadStixDoc(const Json& doc, const LoadOptions& options, JsonSink& sink);
void LoadMispDoc(const Json& doc, const LoadOptions& options, JsonSink& sink);

// Helpers for both formats.
// A string member, or empty (also when present with another type).
std::string_view StringOf(const Json& obj, const char* key);
// Control characters but tabs become blanks; cut at kMaxDescriptionBytes.
std::string CleanDescription(std::string_view text);
// Fills `out` (kind, value) for a value of the expected kind family:
// "hash" (md5/sha1/sha256 by length), "md5", "sha1", "sha256", "domain", "ip"
// (ipv4, ipv6 or cidr), "ipv4", "ipv6", "url". Empty on success, else why not.
std::string MakeValue(std::string_view family, std::string_view value, Indicator& out);
// A filename indicator matching a file's base name exactly (BaseNameRegex).
std::string MakeNameIndicator(std::string_view name, Indicator& out);

}  // namespace trawl::ioc::internal
