// libFuzzer target: the free-text indicator reader (freetext.h) must accept
// arbitrary bytes (as text, HTML or e-mail) without crashing; every item it
// takes is a valid indicator that DetectKind accepts as it is; every item it
// leaves has a reason; lines are within the text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trawl/ioc/freetext.h"
#include "trawl/ioc/inet.h"
#include "trawl/ioc/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';
  for (std::string_view name : {"advisory.txt", "page.html", "mail.eml"}) {
    trawl::ioc::TextResult r = trawl::ioc::ExtractFreeText(text, name);
    for (const trawl::ioc::TextItem& it : r.items) {
      if (it.line == 0 || it.line > lines) __builtin_trap();
      if (it.taken) {
        trawl::ioc::Indicator again;
        if (!trawl::ioc::DetectKind(it.indicator.value, again)) __builtin_trap();
        if (again.value != it.indicator.value) __builtin_trap();  // not normalised
      } else if (it.reason.empty()) {
        __builtin_trap();
      }
    }
    (void)trawl::ioc::RefangText(text, true);
  }
  return 0;
}
