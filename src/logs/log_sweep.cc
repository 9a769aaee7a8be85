#include "trawl/logs/log_sweep.h"

#include <fmt/format.h>

#include <atomic>

#include "trawl/ioc/indicator.h"
#include "trawl/logs/logs.h"
#include "trawl/core/text.h"

namespace trawl::logs {

std::map<const ioc::Indicator*, sweep::Context::Contact> Contacts(
    const std::map<const ioc::Indicator*, Tally>& tally) {
  std::map<const ioc::Indicator*, sweep::Context::Contact> out;
  for (const auto& [ind, t] : tally) out[ind] = {t.hits, t.first_ms, t.last_ms};
  return out;
}

namespace {

// Bytes read per log unless --max-log-bytes says otherwise: generous (a day
// of a busy proxy), but finite, so a planted 50 GB sparse "log" cannot hold
// a worker for hours.
constexpr std::uint64_t kDefaultMaxLogBytes = 16ull << 30;

LogOptions Options(const sweep::Settings& s, std::uint64_t max_bytes) {
  LogOptions o;
  o.extra_globs = s.log_globs;
  o.max_hits_per_file = s.max_hits_per_file;
  o.unpack = s.unpack;
  o.max_bytes = max_bytes;
  o.max_seconds = s.file_timeout;
  return o;
}

class LogSweep final : public sweep::Sweep {
 public:
  // `owned`: the matcher when the sweep runs only for the inventory's
  // contact index (no network indicator loaded: an empty one).
  LogSweep(std::unique_ptr<netmatch::NetMatcher> owned, const netmatch::NetMatcher& net,
           const sweep::Settings& s, std::uint64_t max_bytes)
      : settings_(s),
        options_(Options(s, max_bytes)),
        owned_(std::move(owned)),
        scanner_(net, options_) {}

  bool walks() const override { return true; }
  bool Claims(const sweep::Item& item) const override {
    return item.regular && IsLogPath(item.walked, options_);
  }

  sweep::Verdict Scan(const sweep::Item& item, sweep::Worker*, sweep::Context& ctx) override {
    // --inventory: every host name, address and URL of the log, from this
    // same pass (its parallel chunks), for the contact index.
    HostsFn on_hosts;
    if (ctx.wants_hosts())
      on_hosts = [&](std::vector<HostSeen>&& seen) {
        std::vector<sweep::Context::HostSighting> out;
        out.reserve(seen.size());
        for (HostSeen& h : seen)
          out.push_back({std::move(h.value), std::move(h.kind), h.count, h.first_ms, h.last_ms,
                         fmt::format("{}:{}", item.shown, h.line)});
        ctx.SawHosts(sweep::module::kLog, std::move(out));
      };
    // The walked entry, opened relative to the directory the walk holds (any
    // path length), and only if it is still the device and inode walked: a
    // file swapped in since is an error record, never read.
    auto file = sweep::OpenEntry(item);
    if (!file.ok()) {
      ctx.Error(item.walked, file.status().message(), sweep::module::kLog);
      return sweep::Verdict::kContinue;
    }
    LogFileResult result = scanner_.Scan(*file, on_hosts);
    logs_++;
    bytes_ += result.bytes;
    lines_ += result.lines;
    hits_ += result.hits_total;
    beyond_cap_ += result.hits_total - result.hits.size();
    if (result.limit) ctx.Skip(*result.limit);  // a decompression limit: counted
    if (result.capped) ctx.Skip("max_log_bytes");
    if (result.timed_out) ctx.Skip("file_timeout");
    if (result.error) ctx.Error(item.walked, *result.error, sweep::module::kLog);
    if (result.hits_total == 0) return sweep::Verdict::kContinue;
    ctx.AddContacts(Contacts(result.tally));

    for (const LogHit& hit : result.hits) {
      Finding f = ToFinding(item.shown, hit, settings_.thresholds);
      f.audience = Finding::Audience::kMachine;
      ctx.Emit(f);
    }
    // People get one line per indicator, with the first excerpt, however many hits.
    for (const auto& [ind, tally] : result.tally) {
      const LogHit* first = nullptr;
      for (const LogHit& hit : result.hits)
        if (hit.indicator == ind) {
          first = &hit;
          break;
        }
      if (!first) continue;
      Finding agg = Aggregate(ToFinding(item.shown, *first, settings_.thresholds), tally);
      ctx.Emit(agg);
    }
    return sweep::Verdict::kContinue;
  }

  void Summarize(Summary& s) const override {
    auto i64 = [](const std::atomic<std::uint64_t>& v) {
      return static_cast<std::int64_t>(v.load());
    };
    s.extra.push_back({"logs", i64(logs_)});
    s.extra.push_back({"log_bytes", i64(bytes_)});
    s.extra.push_back({"log_lines", i64(lines_)});
    s.extra.push_back({"log_hits", i64(hits_)});
    s.extra.push_back({"log_hits_beyond_cap", i64(beyond_cap_)});
  }

 private:
  const sweep::Settings& settings_;
  LogOptions options_;
  std::unique_ptr<netmatch::NetMatcher> owned_;
  LogScanner scanner_;
  std::atomic<std::uint64_t> logs_{0}, bytes_{0}, lines_{0}, hits_{0}, beyond_cap_{0};
};

Result<std::unique_ptr<sweep::Sweep>> Make(const sweep::Engine& e, const sweep::Settings& s,
                                           std::vector<std::string>& notes) {
  if (!s.Runs(sweep::module::kLog)) return std::unique_ptr<sweep::Sweep>();
  std::uint64_t max_bytes = kDefaultMaxLogBytes;
  if (const auto& v = s.Option("max-log-bytes"); !v.empty()) {
    auto n = ParseSize(v.back());
    if (!n || *n == 0)
      return Status::Error("--max-log-bytes: not a size (K, M, G, T; above 0): " + v.back());
    max_bytes = *n;
  }
  if (!e.net) {
    if (!s.inventory) {
      notes.push_back("log sweep: no network or keyword indicators loaded; skipped");
      return std::unique_ptr<sweep::Sweep>();
    }
    // Only for the inventory's contact index: an empty matcher.
    auto empty = netmatch::NetMatcher::Build(ioc::IndicatorSet());
    if (!empty.ok()) return empty.status();
    auto owned = std::make_unique<netmatch::NetMatcher>(std::move(*empty));
    const netmatch::NetMatcher& net = *owned;
    return std::unique_ptr<sweep::Sweep>(std::make_unique<LogSweep>(std::move(owned), net, s, max_bytes));
  }
  return std::unique_ptr<sweep::Sweep>(std::make_unique<LogSweep>(nullptr, *e.net, s, max_bytes));
}

}  // namespace

sweep::Registration LogSweepRegistration() {
  return {{{sweep::module::kLog, "network indicators and keywords in text logs"}},
          &Make,
          true,
          {{"max-log-bytes", "SIZE",
            "Bytes read per log, decompressed (default 16G; K, M, G, T); the rest is skipped, "
            "with an error record",
            false}}};
}

}  // namespace trawl::logs
