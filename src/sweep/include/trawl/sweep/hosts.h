// The contact index's side of a sweep: every distinct host name, IPv4/IPv6
// address and URL one source names (not only indicator hits), counted with
// the first and last time it was seen and one example location, then handed
// to Context::SawHosts. Every sweep that feeds the host inventory (logs,
// hosts files, EVTX, journals, browser histories, connections) counts through
// this one class, and what a host / address / URL is comes from one rule,
// netmatch::ExtractHosts; no sweep tokenizes for contacts on its own.
//
// A HostTally is one source's (a file, or one chunk of a log), used by one
// thread at a time. It keeps one map per kind keyed by the value itself (no
// "KIND VALUE" key is built per sighting; values live in one arena per kind,
// trawl::StringMap, so counting allocates nothing per value), and the example of a value is formatted only when the
// tally is handed on ("PREFIX:N", N the locator of its first sighting: a
// line, record, entry or row). Memory is bounded: with a flush function the
// tally hands its values on whenever it holds `max_values` of them.
//
// What it does not do: read files, know indicators, merge across sources
// (the inventory's writer does), or write anything itself.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/string_map.h"
#include "trawl/netmatch/addr.h"
#include "trawl/sweep/sweep.h"

namespace trawl::sweep {

class HostTally {
 public:
  struct Agg {
    std::uint64_t count = 0;
    std::optional<std::int64_t> first_ms, last_ms;  // Unix milliseconds
    std::uint64_t where = 0;                        // locator of the first sighting
    std::string example;  // set by AddValue with an explicit example; else "PREFIX:where"
  };
  using FlushFn = std::function<void(std::vector<Context::HostSighting>&&)>;

  // `where_prefix`: the source as the scanned system names it (examples are
  // "PREFIX:N"). With `flush`, values go to it whenever the tally holds
  // `max_values`, and at Flush.
  explicit HostTally(std::string where_prefix = {}, FlushFn flush = {},
                     std::size_t max_values = 65536)
      : prefix_(std::move(where_prefix)), flush_(std::move(flush)), max_(max_values) {}

  // Every network name in `text` (netmatch::ExtractHosts), seen at the time
  // `time()` returns (called at most once, and only when `text` names one:
  // parsing a time costs more than finding none), at locator `where`. Names
  // read from text ending at or before offset `skip` are not counted (a
  // chunk's overlap with the one before).
  template <class TimeFn>
    requires std::invocable<TimeFn&>
  void AddText(std::string_view text, TimeFn&& time, std::uint64_t where, std::size_t skip = 0) {
    std::optional<std::int64_t> t;
    bool have_t = false;
    netmatch::ExtractHosts(text, [&](std::string_view kind, std::string_view value,
                                     std::size_t end) {
      if (end <= skip) return;
      if (!have_t) {
        t = time();
        have_t = true;
      }
      Count(kind, value, t, where);
    });
    if (flush_ && size_ >= max_) Flush();
  }
  void AddText(std::string_view text, std::optional<std::int64_t> time_ms, std::uint64_t where) {
    AddText(text, [&] { return time_ms; }, where);
  }
  // The same with an explicit example for the values first seen here (a
  // connection: "tcp 10.0.0.5:50000 -> 203.0.113.7:443").
  void AddText(std::string_view text, std::optional<std::int64_t> time_ms,
               std::string_view example);

  // Distinct values held.
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Each value with its kind ("domain", "ipv4", "ipv6", "url") and tally.
  template <class F>
  void ForEach(F&& fn) const {
    for (int k = 0; k < kKinds; ++k)
      for (const auto& e : maps_[k].entries()) fn(KindName(k), maps_[k].Key(e), e.value);
  }
  // Each value handed over (fn(kind, std::string&& value, Agg& agg)); the
  // tally is left empty.
  template <class F>
  void Drain(F&& fn) {
    for (int k = 0; k < kKinds; ++k) {
      Map& m = maps_[k];
      for (auto& e : m.entries()) fn(KindName(k), std::string(m.Key(e)), e.value);
      m.clear();
    }
    size_ = 0;
  }
  // The values as sightings (examples "PREFIX:N+where_base"); the tally is
  // left empty.
  std::vector<Context::HostSighting> Take(std::uint64_t where_base = 0);
  // Take() to the flush function (nothing without one, or when empty).
  void Flush();
  void Clear();

  // The kinds, in the order of their names ("domain" < "ipv4" < "ipv6" <
  // "url"), as small indexes (an unknown kind is read as "domain").
  static constexpr int kKinds = 4;
  static std::string_view KindName(int k);
  static int KindIndex(std::string_view kind);

 private:
  void Count(std::string_view kind, std::string_view value, std::optional<std::int64_t> t,
             std::uint64_t where);

  // Values in one arena per kind: a value already held costs a hash and a
  // compare, a new one no allocation of its own.
  using Map = StringMap<Agg>;
  Map maps_[kKinds];
  std::size_t size_ = 0;
  std::string prefix_;
  FlushFn flush_;
  std::size_t max_;
};

}  // namespace trawl::sweep
