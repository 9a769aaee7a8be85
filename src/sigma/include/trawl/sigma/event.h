// The event the Sigma engine matches: named text fields plus the System
// facts every finding reports. Adapters (events.h) fill it from EVTX records,
// JSON exports, structured text logs and live processes.
//
// Contract: an Event is a view. Names and values are string_views into
// storage the adapter owns (or the caller's Record); they stay valid for the
// duration of one Engine::Match call, never longer. A name may repeat (an
// array, a repeated Data element): a field condition holds when any value of
// that name fits. Numbers are carried as their decimal text.
//
// `tags` describes a non-Windows source as Sigma logsource values
// (category/product/service, e.g. {category: proxy} for a Squid log, {product:
// zeek, service: dns} for Zeek's dns.log); Windows events are routed by
// channel and event id instead (mapping.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trawl::sigma {

struct Event {
  std::string_view channel;   // System/Channel ("" for non-Windows sources)
  std::string_view provider;  // System/Provider@Name
  std::string_view computer;  // System/Computer
  std::string_view time;      // ISO 8601 UTC when known, else ""
  std::uint32_t event_id = 0;
  bool has_event_id = false;
  std::uint64_t record = 0;  // EventRecordID, line number, or pid
  std::string_view category, product, service;  // source tags (non-Windows)
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  // The raw line of a text log (keyword searches also look here); may be "".
  std::string_view raw;

  void Add(std::string_view name, std::string_view value) { fields.emplace_back(name, value); }
  void Clear() { *this = Event{}; }
};

}  // namespace trawl::sigma
