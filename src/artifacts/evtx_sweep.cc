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

class EvtxScanImpl final : public Sweeper::EvtxScan {
 public:
  EvtxScanImpl(const netmatch::NetMatcher& m, ScratchPool::Lease lease, const Options& opts,
               sweep::HostTally* hosts)
      : m_(m), lease_(std::move(lease)), collect_(opts, result_), hosts_(hosts) {
    result_.type = Type::kEvtx;
  }

  void OnRecord(const evtx::Record& r) override {
    static const std::string kProvider = "System/Provider", kChannel = "System/Channel",
                             kComputer = "System/Computer";
    result_.items++;
    if (!engine_error_.ok()) return;
    values_.clear();
    names_.clear();
    values_.push_back(r.provider);
    names_.push_back(&kProvider);
    values_.push_back(r.channel);
    names_.push_back(&kChannel);
    values_.push_back(r.computer);
    names_.push_back(&kComputer);
    for (const evtx::Field& f : r.fields) {
      values_.push_back(f.value);
      names_.push_back(&f.name);
    }
    std::optional<std::int64_t> time_us;
    if (r.filetime > kFiletimeUnixEpoch / 2)  // 0 and other non-times: no time
      time_us = static_cast<std::int64_t>(r.filetime / 10) -
                static_cast<std::int64_t>(kFiletimeUnixEpoch / 10);
    if (hosts_) {  // the contact index: the same values, locator the record id
      std::optional<std::int64_t> ms;
      if (time_us) ms = FloorMillis(*time_us);
      for (std::string_view v : values_) hosts_->AddText(v, ms, r.id);
    }
    field_hits_.clear();
    Status st = scanner_.Scan(m_, lease_.get(), values_, field_hits_);
    if (!st.ok()) {
      engine_error_ = st;
      return;
    }
    if (field_hits_.empty()) return;
    for (FieldHit& fh : field_hits_) {
      if (!collect_.Count(fh.indicator, time_us)) continue;
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
          {"field", EscapeControl(*names_[fh.field])},
          {"value", Excerpt(values_[fh.field], fh.begin, fh.end)},
          {"matched", hit.matched},
          {"recovered", r.recovered},
          {"offset", static_cast<std::int64_t>(r.file_offset)},
      };
      if (r.checksum_mismatch) hit.fields.push_back({"checksum_mismatch", true});
      collect_.Keep(std::move(hit));
    }
  }

  Result<SweepResult> Finish(const Result<evtx::ReadStats>& stats, bool with_problems) override {
    if (!stats.ok()) return stats.status();
    result_.timed_out = stats->timed_out;
    if (!engine_error_.ok()) return Status::Error(path_ + ": " + engine_error_.message());
    result_.slack_unrecoverable = stats->slack_unrecoverable;
    if (with_problems) {
      for (const evtx::Problem& p : stats->problems)
        collect_.Error(fmt::format("offset {} (0x{:x}): {}", p.offset, p.offset, p.message));
      if (stats->problems_dropped)
        collect_.Error(
            fmt::format("{} more problems (not listed by the reader)", stats->problems_dropped));
    }
    collect_.Finish();
    return std::move(result_);
  }

  void set_path(std::string p) { path_ = std::move(p); }

 private:
  const netmatch::NetMatcher& m_;
  ScratchPool::Lease lease_;
  SweepResult result_;
  Collector collect_;
  FieldScanner scanner_;
  std::vector<std::string_view> values_;
  std::vector<const std::string*> names_;
  std::vector<FieldHit> field_hits_;
  Status engine_error_ = Status::Ok();
  std::string path_;
  sweep::HostTally* hosts_;
};

}  // namespace

Result<std::unique_ptr<Sweeper::EvtxScan>> MakeEvtxScan(const std::string& path,
                                                        const netmatch::NetMatcher& m,
                                                        ScratchPool& pool, const Options& opts,
                                                        sweep::HostTally* hosts) {
  auto lease = pool.Get();
  if (!lease.ok()) return lease.status();
  auto scan = std::make_unique<EvtxScanImpl>(m, std::move(*lease), opts, hosts);
  scan->set_path(path);
  return std::unique_ptr<Sweeper::EvtxScan>(std::move(scan));
}

Result<SweepResult> ScanEvtxFile(const std::string& path, const netmatch::NetMatcher& m,
                                 ScratchPool& pool, const Options& opts,
                                 sweep::HostTally* hosts) {
  auto lease = pool.Get();
  if (!lease.ok()) return lease.status();
  EvtxScanImpl scan(m, std::move(*lease), opts, hosts);
  scan.set_path(path);
  evtx::Options eo;
  eo.threads = 1;  // files run in parallel already; one scratch per file
  eo.checksum_best_effort = true;  // a flipped byte must not hide a chunk (records flagged)
  eo.max_seconds = opts.max_seconds;
  auto stats = evtx::ReadFile(
      path, [&](const evtx::Record& r) { scan.OnRecord(r); }, eo);
  return scan.Finish(stats, true);
}

}  // namespace trawl::artifacts::detail
