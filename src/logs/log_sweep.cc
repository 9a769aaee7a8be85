#include "trawl/logs/log_sweep.h"

#include <atomic>

#include "trawl/logs/logs.h"

namespace trawl::logs {

std::map<const ioc::Indicator*, sweep::Context::Contact> Contacts(
    const std::map<const ioc::Indicator*, Tally>& tally) {
  std::map<const ioc::Indicator*, sweep::Context::Contact> out;
  for (const auto& [ind, t] : tally) out[ind] = {t.hits, t.first_ms, t.last_ms};
  return out;
}

namespace {

LogOptions Options(const sweep::Settings& s) {
  LogOptions o;
  o.extra_globs = s.log_globs;
  o.max_hits_per_file = s.max_hits_per_file;
  o.unpack = s.unpack;
  return o;
}

class LogSweep final : public sweep::Sweep {
 public:
  LogSweep(const netmatch::NetMatcher& net, const sweep::Settings& s)
      : settings_(s), options_(Options(s)), scanner_(net, options_) {}

  bool walks() const override { return true; }
  bool Claims(const sweep::Item& item) const override {
    return item.regular && IsLogPath(item.walked, options_);
  }

  sweep::Verdict Scan(const sweep::Item& item, sweep::Worker*, sweep::Context& ctx) override {
    auto result = scanner_.Scan(item.read_path);
    if (!result.ok()) {
      ctx.Error(item.walked, result.status().message(), sweep::module::kLog);
      return sweep::Verdict::kContinue;
    }
    logs_++;
    bytes_ += result->bytes;
    lines_ += result->lines;
    hits_ += result->hits_total;
    beyond_cap_ += result->hits_total - result->hits.size();
    if (result->limit) ctx.Skip(*result->limit);  // a decompression limit: counted
    if (result->error) ctx.Error(item.walked, *result->error, sweep::module::kLog);
    if (result->hits_total == 0) return sweep::Verdict::kContinue;
    ctx.AddContacts(Contacts(result->tally));

    for (const LogHit& hit : result->hits) {
      Finding f = ToFinding(item.shown, hit, settings_.thresholds);
      f.audience = Finding::Audience::kMachine;
      ctx.Emit(f);
    }
    // People get one line per indicator, with the first excerpt, however many hits.
    for (const auto& [ind, tally] : result->tally) {
      const LogHit* first = nullptr;
      for (const LogHit& hit : result->hits)
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
  LogScanner scanner_;
  std::atomic<std::uint64_t> logs_{0}, bytes_{0}, lines_{0}, hits_{0}, beyond_cap_{0};
};

Result<std::unique_ptr<sweep::Sweep>> Make(const sweep::Engine& e, const sweep::Settings& s,
                                           std::vector<std::string>& notes) {
  if (!s.Runs(sweep::module::kLog)) return std::unique_ptr<sweep::Sweep>();
  if (!e.net) {
    notes.push_back("log sweep: no network or keyword indicators loaded; skipped");
    return std::unique_ptr<sweep::Sweep>();
  }
  return std::unique_ptr<sweep::Sweep>(std::make_unique<LogSweep>(*e.net, s));
}

}  // namespace

sweep::Registration LogSweepRegistration() {
  return {{{sweep::module::kLog, "network indicators and keywords in text logs"}}, &Make, true};
}

}  // namespace trawl::logs
