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

#include "trawl/artifacts/artifacts.h"
#include "trawl/ioc/indicator.h"
#include "trawl/netmatch/netmatch.h"

namespace {

using trawl::ioc::Kind;

struct Fixture {
  trawl::ioc::IndicatorSet set;
  std::unique_ptr<trawl::netmatch::NetMatcher> net;
  std::unique_ptr<trawl::artifacts::Sweeper> sweeper;
  std::string dir;
};

Fixture& Get() {
  static Fixture* f = [] {
    auto* fx = new Fixture();
    auto add = [&](Kind k, const char* v) {
      trawl::ioc::Indicator ind;
      ind.kind = k;
      ind.value = v;
      fx->set.Add(ind);
    };
    add(Kind::kDomain, "akamaicontainer.com");
    add(Kind::kIpv4, "1.2.3.4");
    add(Kind::kKeyword, "WCE SERVICE");
    auto m = trawl::netmatch::NetMatcher::Build(fx->set);
    if (!m.ok()) __builtin_trap();
    fx->net = std::make_unique<trawl::netmatch::NetMatcher>(std::move(*m));
    char tmpl[] = "/tmp/trawl-journal-fuzz-XXXXXX";
    if (!mkdtemp(tmpl)) __builtin_trap();
    fx->dir = tmpl;
    trawl::artifacts::Options opts;
    opts.browser = false;
    opts.max_hits_per_file = 50;
    fx->sweeper = std::make_unique<trawl::artifacts::Sweeper>(*fx->net, opts);
    return fx;
  }();
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
