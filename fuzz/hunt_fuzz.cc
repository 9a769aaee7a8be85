// libFuzzer target: the contact index's tokenizer (hunt::ExtractHosts) over
// hostile log text. Invariants: every value is non-empty, a URL is the
// input's own bytes, a host name is lower case with no empty label, and an
// address is in canonical form (it parses back to itself).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "trawl/hunt/recorder.h"
#include "trawl/netmatch/addr.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  trawl::hunt::ExtractHosts(text, [&](std::string_view kind, std::string_view value) {
    if (value.empty()) std::abort();
    if (kind == "url") {
      if (value.data() < text.data() || value.data() + value.size() > text.data() + text.size())
        std::abort();
    } else if (kind == "domain") {
      for (char c : value)
        if (c >= 'A' && c <= 'Z') std::abort();
      if (value.find("..") != std::string_view::npos || value.front() == '.') std::abort();
    } else if (kind == "ipv4" || kind == "ipv6") {
      auto ip = trawl::netmatch::ParseIp(value);
      if (!ip || trawl::netmatch::FormatIp(*ip) != value) std::abort();
    } else {
      std::abort();
    }
  });
  return 0;
}
