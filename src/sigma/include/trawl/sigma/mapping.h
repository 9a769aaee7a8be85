// Logsource mapping: which events a Sigma rule's logsource (category /
// product / service) applies to, in the THOR/SPARK configuration format that
// SigmaHQ's CI uses (../shared/data/sigma/tests/thor.yml; replaceable).
//
// An entry selects rules by the logsource values it names (each named value
// must equal the rule's), then contributes `conditions` (field -> allowed
// values, ANDed with the rule), `fieldmappings` (rule field -> event field)
// and either `sources` ("WinEventLog:CHANNEL") or a `rewrite` to another
// logsource, resolved again. A rule resolving to no channel is routed by
// source tags when trawl has an input producing that logsource (proxy,
// webserver, zeek/*, linux process_creation), else it is reported as
// "unmapped-logsource", never guessed. An entry is used only when it names
// every logsource field the rule names (so `product: windows` alone catches
// only rules naming nothing else); failing that, as THOR does, any entry
// whose named values fit. The source "WinEventLog:*" means every channel.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trawl/core/status.h"

namespace trawl::sigma {

struct Logsource {
  std::string category, product, service;
};

// Where one rule runs (a rule may have several: process_creation runs on
// Sysmon 1 and on Security 4688).
struct Target {
  std::string name;                   // mapping entry, e.g. "process_creation_2"
  std::vector<std::string> channels;  // lower-case; empty: routed by tags
  std::vector<std::pair<std::string, std::vector<std::string>>> conditions;
  std::vector<std::pair<std::string, std::string>> fieldmap;  // rule field -> event field
  Logsource tags;  // for tag routing: the rule's own logsource
};

class Mapping {
 public:
  // Parses the YAML text of a mapping file; `name` is used in errors.
  static Result<Mapping> Parse(std::string_view yaml, const std::string& name);
  static Result<Mapping> LoadFile(const std::string& path);
  // The built-in copy of SigmaHQ's thor.yml.
  static const Mapping& Thor();
  // trawl's additions (packs/sigma/trawl-mapping.yml): Windows logsources
  // SigmaHQ rules use that thor.yml lacks.
  static const Mapping& Additions();
  // `base` followed by the additions (what --sigma-mapping FILE gives).
  static Mapping WithAdditions(const Mapping& base);
  // Thor() + Additions(): the default.
  static const Mapping& Default();

  // Targets for a rule's logsource; empty means unmapped (`why` says so).
  std::vector<Target> Resolve(const Logsource& ls, std::string* why) const;

  struct Entry {
    std::string name;
    Logsource select;
    std::vector<std::pair<std::string, std::vector<std::string>>> conditions;
    std::vector<std::pair<std::string, std::string>> fieldmap;
    Logsource rewrite;
    bool has_rewrite = false;
    std::vector<std::string> sources;
  };
  std::vector<Entry> entries;
};

// Whether trawl has an input producing events tagged with this (non-Windows)
// logsource: proxy, webserver, product zeek, product linux + process_creation.
bool TagRoutable(const Logsource& ls);

}  // namespace trawl::sigma
