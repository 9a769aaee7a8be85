// libFuzzer target: the journal sweep (sd-journal, libsystemd) on corrupt
// journal files: the input is the file. The target writes it into its own
// temporary folder as a .journal file and sweeps it. A journal is read through
// mmap: a file that is damaged (not truncated while read, which the SIGBUS
// guard covers) must give an error value or hits, never a crash or a hang.
// Seeds: small journals written by systemd-journal-remote (fuzz/corpus/journal).
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
      "journal", [](trawl::artifacts::Options& o, const std::string&) { o.browser = false; });
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (16u << 20)) return 0;
  Fixture& fx = Get();
  std::string path = fx.dir + "/system.journal";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();
  if (size && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  trawl::artifacts::Target t;
  t.type = trawl::artifacts::Type::kJournal;
  auto r = fx.sweeper->Scan(path, t);
  if (r.ok() && r->hits.size() > r->hits_total) __builtin_trap();
  ::unlink(path.c_str());
  return 0;
}
