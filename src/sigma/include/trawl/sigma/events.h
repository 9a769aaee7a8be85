// Adapters: EVTX records, JSON event exports, W3C/IIS, Zeek TSV and Squid
// logs, and live processes -> sigma::Event (event.h).
//
// Field names, as rules expect them:
//  - EVTX and JSON exports: every EventData field under its Name (unnamed
//    Data as "Data[i]" like the EVTX reader), every UserData leaf under its
//    path below the root ("a/b") and, when nested, also under its leaf name;
//    System values as EventID, Channel, Provider_Name, Computer, Level,
//    EventRecordID (the System values the EVTX reader decodes, so an EVTX
//    file and its JSON export give the same fields).
//  - JSON flat objects: each key with a scalar value (nested objects as
//    "a.b"); Channel/EventID/Provider_Name/Computer/EventRecordID keys fill
//    the System facts.
//  - W3C/IIS: the #Fields names; cs(User-Agent) also as c-useragent and
//    cs-user-agent, cs(Referer) as cs-referer, cs(Cookie) as cs-cookie, and
//    c-uri built from cs-uri-stem and cs-uri-query when the log has none.
//    Tagged category webserver; also proxy when the log carries proxy fields
//    (c-uri, r-dns, cs-uri, s-action).
//  - Zeek TSV: the #fields names; tagged product zeek, service = #path.
//  - Squid native access.log: c-ip, sc-status, s-action, sc-bytes,
//    cs-method, c-uri, cs-host, c-uri-stem, c-uri-query, c-uri-extension,
//    cs-username, r-dns (hierarchy peer), cs-mime-type; tagged category proxy.
//  - Live processes: Image, CommandLine, ParentImage, ParentCommandLine,
//    User, CurrentDirectory, ProcessId, ParentProcessId; tagged product linux,
//    category process_creation.
// A value that is "-" (W3C, Squid) or Zeek's unset/empty marker is left out.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/evtx/evtx.h"
#include "trawl/sigma/event.h"

namespace trawl::sigma {

// Owns the text an Event points into; reused from event to event.
class EventBuilder {
 public:
  void Reset();
  // Copies name and value into the builder.
  void Add(std::string_view name, std::string_view value);
  // References caller-owned name and value (valid until the Event is used up).
  void AddView(std::string_view name, std::string_view value);
  // Builds `out` (its System facts are set by the caller or the adapter).
  Event& Finish();
  Event& event() { return event_; }

 private:
  struct Item {
    bool owned;
    std::size_t no, nl, vo, vl;
    std::string_view n, v;
  };
  std::string arena_;
  std::vector<Item> items_;
  Event event_;
};

// EVTX record -> Event (System values + EventData/UserData).
Event& FromEvtx(const evtx::Record& r, EventBuilder& b);

// What kind of input a file is, from its name and first bytes.
enum class InputKind { kNone, kEvtx, kJson, kW3c, kZeek, kSquid };
const char* InputKindName(InputKind k);
InputKind DetectInput(std::string_view path, std::string_view head);

using EventFn = std::function<void(const Event&)>;
using ProblemFn = std::function<void(const std::string& where, const std::string& message)>;

// JSON / JSON Lines text: one object, an array of objects, objects one per
// line, or objects one after another. Each object is one event. Streams:
// `text` may be large; each object is parsed on its own (at most 16 MiB).
struct TextStats {
  std::uint64_t events = 0, bad = 0;
};
TextStats ParseJsonEvents(std::string_view text, EventBuilder& b, const EventFn& fn,
                          const ProblemFn& problem);
// One JSON object (already parsed text) -> Event; false when not an object.
bool JsonObjectEvent(std::string_view object_text, EventBuilder& b, std::string* error);

// Line-oriented text logs. Feed lines in order (without the newline);
// header lines update the state. Calls `fn` for each data line.
class TextLogParser {
 public:
  explicit TextLogParser(InputKind kind);
  void Line(std::string_view line, std::uint64_t line_no, EventBuilder& b, const EventFn& fn);
  std::uint64_t bad() const { return bad_; }

 private:
  InputKind kind_;
  std::vector<std::string> fields_;
  std::string path_, sep_ = "\t", unset_ = "-", empty_ = "(empty)";
  bool proxy_ = false, has_c_uri_ = false;
  std::uint64_t bad_ = 0;
};

// A live process as the process_creation rules of product linux see it.
struct ProcessInfo {
  std::int64_t pid = 0, ppid = 0;
  std::string image, command_line, parent_image, parent_command_line, user, current_directory;
};
Event& FromProcess(const ProcessInfo& p, EventBuilder& b);

}  // namespace trawl::sigma
