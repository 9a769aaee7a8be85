#include "trawl/sweep/evtx_pass.h"

#include <algorithm>

#include "trawl/evtx/evtx.h"

namespace trawl::sweep {

void ReadEvtxOnce(const Item& item, const std::vector<std::unique_ptr<EvtxSink>>& sinks,
                  Context& ctx) {
  if (sinks.empty()) return;
  evtx::Options eo;
  eo.threads = 1;  // entries run in parallel already; sinks keep per-file state
  bool all_mismatch = true;
  for (const auto& s : sinks) {
    eo.checksum_best_effort |= s->wants_checksum_mismatch();
    all_mismatch &= s->wants_checksum_mismatch();
    eo.max_seconds = std::max(eo.max_seconds, s->max_seconds());
  }
  Result<evtx::ReadStats> stats = Status::Error("");
  auto file = OpenEntry(item);
  if (!file.ok()) {
    stats = file.status();
  } else {
    stats = evtx::ReadFile(
        std::move(*file),
        [&](const evtx::Record& r) {
          for (const auto& s : sinks)
            if (all_mismatch || !r.checksum_mismatch || s->wants_checksum_mismatch())
              s->OnRecord(r);
        },
        eo);
  }
  for (std::size_t i = 0; i < sinks.size(); ++i) sinks[i]->OnDone(stats, i == 0, ctx);
}

}  // namespace trawl::sweep
