// Sigma event adapters: arbitrary bytes as a JSON export and as W3C, Zeek
// and Squid logs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "trawl/sigma/events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace trawl::sigma;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  EventBuilder b;
  std::size_t n = 0;
  ParseJsonEvents(text, b, [&](const Event& e) { n += e.fields.size(); },
                  [](const std::string&, const std::string&) {});
  for (InputKind k : {InputKind::kW3c, InputKind::kZeek, InputKind::kSquid}) {
    TextLogParser p(k);
    std::size_t pos = 0, line = 0;
    while (pos <= text.size()) {
      std::size_t e = text.find('\n', pos);
      if (e == std::string_view::npos) e = text.size();
      p.Line(text.substr(pos, e - pos), ++line, b, [&](const Event& ev) { n += ev.fields.size(); });
      pos = e + 1;
    }
  }
  DetectInput("x", text);
  return static_cast<int>(n & 0);
}
