// libFuzzer target: the contact index's tokenizer (netmatch::ExtractHosts)
// over hostile log text. Invariants: every value is non-empty, its end lies
// in the input, a URL is the input's own bytes, a host name is lower case with
// no empty label, and an address is in canonical form (it parses back to itself).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "trawl/netmatch/addr.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  trawl::netmatch::ExtractHosts(
      text, [&](std::string_view kind, std::string_view value, std::size_t end) {
        if (value.empty() || end == 0 || end > text.size()) std::abort();
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
