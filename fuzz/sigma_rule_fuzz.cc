// Sigma rule loader: arbitrary YAML text -> Engine (every document compiled
// or reported), then one event matched against whatever loaded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trawl/sigma/engine.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  trawl::sigma::Engine e(trawl::sigma::Mapping::Default());
  e.AddText(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yml");
  if (!e.Finish().ok()) return 0;
  trawl::sigma::Event ev;
  ev.channel = "Security";
  ev.has_event_id = true;
  ev.event_id = 4688;
  ev.Add("EventID", "4688");
  ev.Add("NewProcessName", "C:\\Windows\\System32\\cmd.exe");
  ev.Add("CommandLine", "cmd.exe /c whoami -all");
  auto s = e.NewScratch();
  e.MatchEvent(ev, *s, [](const trawl::sigma::Match&) {});
  return 0;
}
