// Indicator interchange: what trawl reads from STIX 2.1 and MISP JSON, and
// writers for `trawl iocs convert` (STIX, MISP, signature-base, CSV).
//
// Reading (LoadText/LoadFile with Format kStix, kMisp or kJson; ".json" files
// are sniffed by content):
//  - STIX 2.1: a bundle, a lone object, or a JSON array of objects.
//    `indicator` objects with pattern_type "stix" (or none: STIX 2.0) and the
//    comparisons
//      file:hashes.MD5 / 'SHA-1' / SHA1 / 'SHA-256' / SHA256, file:name,
//      domain-name:value, url:value, ipv4-addr:value, ipv6-addr:value
//      (addresses may be CIDR), and trawl's own x-trawl-keyword:value and
//      file:x_trawl_path MATCHES 'REGEX' (a LOKI path regex)
//    with '=' or IN (...), joined by AND and OR (parentheses allowed) inside
//    one observation [...], and observations joined by OR. The pattern is
//    expanded into alternatives (OR of ANDs); each alternative becomes one
//    indicator: one comparison gives its kind; file name AND hash(es) gives
//    the strongest hash with Indicator::and_filename = the name (both must
//    match); ANDed hashes of one file keep the strongest (SHA-256 > SHA-1 >
//    MD5: a file with it has the others). Anything else (another object or
//    property, NOT, !=, LIKE, MATCHES, observations joined by AND or
//    FOLLOWEDBY, qualifiers such as WITHIN, two values for one property, a
//    bad value) is a problem reported with the indicator's id, and the whole
//    indicator is skipped: never half-read. pattern_type "yara" gives a
//    Kind::kYara indicator; other pattern types are reported and skipped.
//    valid_until in the past: skipped, counted as "expired"; revoked: counted
//    as "revoked". Description: name and description (" - " between);
//    score: x_trawl_score (0..100), else 100; x_trawl_fp_regex: the false
//    positive regex of a path regex.
//    `observed-data`: its cyber-observables (object_refs resolved in the
//    bundle, or the embedded STIX 2.0 `objects`) load too: file (strongest
//    hash; a name only when there is no hash), domain-name, ipv4-addr,
//    ipv6-addr, url. Other objects are counted as "other STIX objects".
//  - MISP: an event ({"Event": {...}} or the bare event), a
//    {"response": [...]} list of events, {"response": {"Attribute": [...]}}
//    (attribute search results), or a JSON array of those. Attributes of the
//    event and of its objects. Types: md5, sha1, sha256, filename|md5,
//    filename|sha1, filename|sha256 (the hash; the name goes into the
//    description: a renamed copy is still the file), filename (base-name
//    regex), domain, hostname, domain|ip (both), hostname|port, ip-dst,
//    ip-src, ip-dst|port, ip-src|port, url (with a scheme), yara. Only to_ids
//    attributes unless LoadOptions::all_attributes; the others are counted as
//    "not to_ids". Deleted attributes are counted as "deleted"; to_ids
//    attributes of other types are problems ("unsupported type"), others'
//    only counted. Score: an attribute tag trawl:score="N", else 100 for
//    to_ids and 50 for the rest. Description: the attribute's comment (else
//    its object's), "file NAME" for file objects and composites, the event
//    info and the tags (ATT&CK technique tags left out), " | " between. An
//    event tagged trawl:export (written by ExportIndicators) takes the
//    attribute comments alone as descriptions, so conversions round-trip.
//
// Problems name "FILE:OBJECT-ID" (or "FILE:line L, column C" for broken JSON).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/ioc/indicator.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {

// A filename indicator's regex for "the base name is exactly NAME":
// "(?:^|[\\/])" + NAME with every ASCII punctuation escaped + "$".
std::string BaseNameRegex(std::string_view name);
// The inverse: true (and `name` set) when `regex` is BaseNameRegex(name).
bool BaseNameOfRegex(std::string_view regex, std::string& name);

// kStix or kMisp for JSON text by its content; kJson when it is neither or
// not JSON at all.
Format DetectJsonFormat(std::string_view text);

enum class ExportFormat { kStix, kMisp, kSigBase, kCsv };
// "stix", "misp", "signature-base" (also "sigbase"), "csv".
bool ParseExportFormat(std::string_view name, ExportFormat& out);

struct ExportOptions {
  // Timestamps written into STIX/MISP (Unix seconds); 0 = now.
  std::int64_t now = 0;
};

struct ExportFile {
  // "" for formats that are one document (STIX, MISP, CSV); for
  // signature-base the relative path: "iocs/hash-iocs.txt",
  // "iocs/filename-iocs.txt", "iocs/c2-iocs.txt", "iocs/keyword-iocs.txt",
  // "iocs/falsepositive-hash-iocs.txt" (trusted hashes), "yara/rule-N.yar".
  std::string name;
  std::string text;
};

struct ExportResult {
  std::vector<ExportFile> files;
  std::uint64_t written = 0;  // indicators (and trusted hashes) written
  // What the format cannot carry, one line each, e.g. "csv: 2 yara
  // indicators left out", "signature-base: 3 hashes lose their file-name
  // condition". Empty when the conversion is lossless.
  std::vector<std::string> losses;
};

// Writes every indicator (and trusted hash) of `set` in `format`. Loading the
// output gives the same indicators (kind, value, score, description, FP
// regex, file-name condition) except for what `losses` names. Deterministic:
// ids are derived from the indicators, objects sorted.
ExportResult ExportIndicators(const IndicatorSet& set, ExportFormat format,
                              const ExportOptions& options = {});

}  // namespace trawl::ioc
