// EVTX sweep: every record of one event log (trawl::evtx), its System
// Provider/Channel/Computer and every EventData/UserData value scanned with
// the network rules.
#include <fmt/format.h>

#include "internal.h"
#include "trawl/core/text.h"
#include "trawl/evtx/evtx.h"
#include "trawl/sweep/hosts.h"

namespace trawl::artifacts::detail {

namespace {

// FILETIME ticks (100 ns since 1601) between 1601-01-01 and 1970-01-01.
constexpr std::uint64_t kFiletimeUnixEpoch = 116444736000000000ULL;

}  // namespace

Result<SweepResult> ScanEvtxFile(const std::string& path, const netmatch::NetMatcher& m,
                                 ScratchPool& pool, const Options& opts,
                                 sweep::HostTally* hosts) {
  auto lease = pool.Get();
  if (!lease.ok()) return lease.status();
  netmatch::NetMatcher::Scratch& scratch = lease->get();

  SweepResult result;
  result.type = Type::kEvtx;
  Collector collect(opts, result);
  FieldScanner scanner;
  std::vector<std::string_view> values;
  std::vector<const std::string*> names;
  std::vector<FieldHit> field_hits;
  static const std::string kProvider = "System/Provider", kChannel = "System/Channel",
                           kComputer = "System/Computer";
  Status engine_error = Status::Ok();

  evtx::Options eo;
  eo.threads = 1;  // files run in parallel already; one scratch per file
  eo.checksum_best_effort = true;  // a flipped byte must not hide a chunk (records flagged)
  eo.max_seconds = opts.max_seconds;
  auto stats = evtx::ReadFile(
      path,
      [&](const evtx::Record& r) {
        result.items++;
        if (!engine_error.ok()) return;
        values.clear();
        names.clear();
        values.push_back(r.provider);
        names.push_back(&kProvider);
        values.push_back(r.channel);
        names.push_back(&kChannel);
        values.push_back(r.computer);
        names.push_back(&kComputer);
        for (const evtx::Field& f : r.fields) {
          values.push_back(f.value);
          names.push_back(&f.name);
        }
        std::optional<std::int64_t> time_us;
        if (r.filetime > kFiletimeUnixEpoch / 2)  // 0 and other non-times: no time
          time_us = static_cast<std::int64_t>(r.filetime / 10) -
                    static_cast<std::int64_t>(kFiletimeUnixEpoch / 10);
        if (hosts) {  // the contact index: the same values, locator the record id
          std::optional<std::int64_t> ms;
          if (time_us) ms = FloorMillis(*time_us);
          for (std::string_view v : values) hosts->AddText(v, ms, r.id);
        }
        field_hits.clear();
        Status st = scanner.Scan(m, scratch, values, field_hits);
        if (!st.ok()) {
          engine_error = st;
          return;
        }
        if (field_hits.empty()) return;
        for (FieldHit& fh : field_hits) {
          if (!collect.Count(fh.indicator, time_us)) continue;
          Hit hit;
          hit.indicator = fh.indicator;
          hit.time_unix_us = time_us;
          if (time_us) hit.time_text = r.time_text;
          hit.matched = std::move(fh.matched);
          hit.fields = {
              {"record", static_cast<std::int64_t>(r.id)},
              {"channel", EscapeControl(r.channel)},
              {"event_id", static_cast<std::int64_t>(r.event_id)},
              {"provider", EscapeControl(r.provider)},
              {"computer", EscapeControl(r.computer)},
              {"field", EscapeControl(*names[fh.field])},
              {"value", Excerpt(values[fh.field], fh.begin, fh.end)},
              {"matched", hit.matched},
              {"recovered", r.recovered},
              {"offset", static_cast<std::int64_t>(r.file_offset)},
          };
          if (r.checksum_mismatch) hit.fields.push_back({"checksum_mismatch", true});
          collect.Keep(std::move(hit));
        }
      },
      eo);
  if (!stats.ok()) return stats.status();
  result.timed_out = stats->timed_out;
  if (!engine_error.ok()) return Status::Error(path + ": " + engine_error.message());
  result.slack_unrecoverable = stats->slack_unrecoverable;
  for (const evtx::Problem& p : stats->problems)
    collect.Error(fmt::format("offset {} (0x{:x}): {}", p.offset, p.offset, p.message));
  if (stats->problems_dropped)
    collect.Error(
        fmt::format("{} more problems (not listed by the reader)", stats->problems_dropped));
  collect.Finish();
  return result;
}

}  // namespace trawl::artifacts::detail
