// libFuzzer target: browser history databases (Chromium History, Firefox
// places.sqlite) as the browser sweep reads them: the input is the database
// file. The target writes it into its own temporary profile folder (the sweep
// copies a database before opening it, as it does on a host) and sweeps it
// as both layouts. The first input byte picks Chromium (even) or Firefox (odd)
// first. Invariants: no crash, hang or leak on a corrupt database; a result
// never reports more hits than it counted.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "artifact_fixture.h"
#include "trawl/artifacts/artifacts.h"
#include "trawl/ioc/indicator.h"
#include "trawl/netmatch/netmatch.h"

namespace {

using Fixture = trawl::fuzz::ArtifactFixture;

Fixture& Get() {
  static Fixture* f = trawl::fuzz::MakeArtifactFixture(
      "browser", [](trawl::artifacts::Options& o, const std::string& dir) { o.temp_dir = dir; });
  return *f;
}

void Sweep(Fixture& fx, const std::string& path, trawl::artifacts::Type type) {
  trawl::artifacts::Target t;
  t.type = type;
  t.browser = type == trawl::artifacts::Type::kFirefoxPlaces ? "firefox" : "chrome";
  t.profile = "Default";
  auto r = fx.sweeper->Scan(path, t);
  if (r.ok() && r->hits.size() > r->hits_total) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1u << 20)) return 0;
  Fixture& fx = Get();
  std::string path = fx.dir + "/History";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();
  if (size && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  bool firefox_first = size && (data[0] & 1);
  using trawl::artifacts::Type;
  Sweep(fx, path, firefox_first ? Type::kFirefoxPlaces : Type::kChromiumHistory);
  Sweep(fx, path, firefox_first ? Type::kChromiumHistory : Type::kFirefoxPlaces);
  ::unlink(path.c_str());
  return 0;
}
