// libFuzzer: `trawl report merge` over one hostile host report (src/fleet):
// every line parsed on its own, then the HTML, JSON and CSV writers. Must
// never crash, hang or grow without bound.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "trawl/fleet/fleet.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::FILE* in = fmemopen(const_cast<std::uint8_t*>(data), size, "r");
  if (!in) return 0;
  trawl::fleet::Fleet fleet;
  trawl::fleet::AddHostReportFrom(fleet, "fuzz.jsonl", in);
  std::fclose(in);
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  if (!out) return 0;
  (void)trawl::fleet::WriteFleetHtml(fleet, out, "fleet.html");
  (void)trawl::fleet::WriteFleetJson(fleet, out);
  (void)trawl::fleet::WriteFleetCsv(fleet, out);
  std::fclose(out);
  std::free(buf);
  return 0;
}
