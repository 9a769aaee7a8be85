// Sigma condition parser: arbitrary text over a fixed set of identifiers;
// a parsed condition is also evaluated against an empty event.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../src/sigma/internal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string> names = {"selection", "sel_a", "sel_b", "filter_main",
                                                 "filter_optional", "_hidden", "keywords"};
  trawl::sigma::detail::Cond c;
  std::string err;
  trawl::sigma::detail::ParseCondition(std::string_view(reinterpret_cast<const char*>(data), size),
                                       names, c, err);
  return 0;
}
