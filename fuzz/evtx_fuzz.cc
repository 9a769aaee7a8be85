// libFuzzer target: the EVTX reader over arbitrary bytes. Every delivered
// record is rendered as XML and JSON, so the walker and renderers are fuzzed
// too; damaged chunks are salvaged so the strict (slack) paths run as well.
//
// Build (clang): clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined
//   -Isrc/core/include -Isrc/evtx/include fuzz/evtx_fuzz.cc src/evtx/*.cc
//   (without the *_test.cc files); seeds: ../shared/data/evtx, fuzz/corpus/evtx.
#include <cstddef>
#include <cstdint>
#include <span>

#include "trawl/evtx/evtx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  trawl::evtx::Options opts;
  opts.salvage_bad_chunks = (size % 2) == 0;
  std::size_t chars = 0;
  auto r = trawl::evtx::ReadBuffer(
      std::span<const std::uint8_t>(data, size),
      [&](const trawl::evtx::Record& rec) {
        auto x = trawl::evtx::RenderXml(rec);
        if (x.ok()) chars += x->size();
        auto j = trawl::evtx::RenderJson(rec);
        if (j.ok()) chars += j->size();
        for (const auto& f : rec.fields) chars += f.name.size() + f.value.size();
      },
      opts);
  (void)r;
  (void)chars;
  return 0;
}
