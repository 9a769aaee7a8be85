#include "trawl/artifacts/artifact_sweep.h"

#include <cerrno>
#include <cstdlib>

#include "trawl/artifacts/artifacts.h"
#include "trawl/logs/log_sweep.h"
#include "trawl/sweep/evtx_pass.h"
#include "trawl/sweep/hosts.h"

namespace trawl::artifacts {
namespace {

class ArtifactSweep final : public sweep::Sweep {
 public:
  // `owned`: the matcher when the sweep runs only for the inventory's
  // contact index (no network indicator loaded: an empty one).
  ArtifactSweep(std::unique_ptr<netmatch::NetMatcher> owned, const netmatch::NetMatcher& net,
                Options o, const sweep::Settings& s)
      : settings_(s), owned_(std::move(owned)), sweeper_(net, std::move(o)) {}

  bool walks() const override { return true; }
  std::vector<std::string> ExcludePaths() const override {
    // The private copies of browser databases are not evidence.
    if (sweeper_.private_root().empty()) return {};
    return {sweeper_.private_root()};
  }
  bool Claims(const sweep::Item& item) const override { return item.regular; }

  // An event log: records from the pipeline's one read (sweep::ReadEvtxOnce),
  // shared with the Sigma sweep.
  std::unique_ptr<sweep::EvtxSink> EvtxSinkFor(const sweep::Item& item, sweep::Worker*,
                                               sweep::Context& ctx) override {
    if (DetectItem(item).type != Type::kEvtx) return nullptr;
    // The sink owns the tally first, so the scan can point at it where it lives.
    auto sink = std::make_unique<Sink>(*this, item, Hosts(item, Type::kEvtx, ctx));
    auto scan = sweeper_.BeginEvtx(item.walked, sink->hosts());
    if (!scan.ok()) {
      ctx.Error(item.walked, scan.status().message(), ModuleName(Type::kEvtx));
      return nullptr;  // Scan tries again (and reports again if it fails)
    }
    sink->set_scan(std::move(*scan));
    return sink;
  }

  sweep::Verdict Scan(const sweep::Item& item, sweep::Worker*, sweep::Context& ctx) override {
    Target target = DetectItem(item);
    if (target.type == Type::kNone) return sweep::Verdict::kContinue;
    std::optional<sweep::HostTally> hosts = Hosts(item, target.type, ctx);
    // The walked entry, relative to the directory the walk holds and only
    // when still the device and inode walked (a swapped file: an error record).
    auto result = sweeper_.Scan(
        Walked{item.read_path, item.dir_fd, std::string(item.name), &item.st}, target,
        hosts ? &*hosts : nullptr);
    if (hosts) hosts->Flush();  // what was read before an error stands
    Report(item, target.type, std::move(result), ctx);
    return sweep::Verdict::kContinue;
  }

 private:
  // --inventory: every host name, address and URL of the file, from this
  // same read, for the contact index (handed on in bounded batches).
  static std::optional<sweep::HostTally> Hosts(const sweep::Item& item, Type type,
                                               sweep::Context& ctx) {
    std::optional<sweep::HostTally> hosts;
    if (!ctx.wants_hosts()) return hosts;
    const char* module = ModuleName(type);
    hosts.emplace(item.shown, [&ctx, module](std::vector<sweep::Context::HostSighting>&& v) {
      ctx.SawHosts(module, std::move(v));
    });
    return hosts;
  }

  class Sink final : public sweep::EvtxSink {
   public:
    // `hosts`: the tally the scan feeds (--inventory), kept here as long as it.
    Sink(ArtifactSweep& sweep, const sweep::Item& item, std::optional<sweep::HostTally> hosts)
        : sweep_(sweep), item_(item), hosts_(std::move(hosts)) {}
    sweep::HostTally* hosts() { return hosts_ ? &*hosts_ : nullptr; }
    void set_scan(std::unique_ptr<Sweeper::EvtxScan> scan) { scan_ = std::move(scan); }
    bool wants_checksum_mismatch() const override {
      return true;  // a flipped byte must not hide a chunk (records flagged)
    }
    double max_seconds() const override { return sweep_.sweeper_.options().max_seconds; }
    void OnRecord(const evtx::Record& r) override { scan_->OnRecord(r); }
    void OnDone(const Result<evtx::ReadStats>& stats, bool report_problems,
                sweep::Context& ctx) override {
      auto result = scan_->Finish(stats, report_problems);
      if (hosts_) hosts_->Flush();  // what was read before an error stands
      if (!result.ok() && !report_problems) return;  // the first sink reported it
      sweep_.Report(item_, Type::kEvtx, std::move(result), ctx);
    }

   private:
    ArtifactSweep& sweep_;
    const sweep::Item& item_;
    std::optional<sweep::HostTally> hosts_;
    std::unique_ptr<Sweeper::EvtxScan> scan_;
  };

  // The magic comes from the pipeline's one read of the entry's first bytes.
  Target DetectItem(const sweep::Item& item) const {
    return sweeper_.Detect(item.walked, item.st, item.read_path,
                           [&]() -> std::optional<std::string_view> {
                             auto h = sweep::Head(item);
                             if (!h.ok()) return std::nullopt;
                             return *h;
                           });
  }

  void Report(const sweep::Item& item, Type type, Result<SweepResult> result, sweep::Context& ctx) {
    const char* module = ModuleName(type);
    if (!result.ok()) {
      ctx.Error(item.walked, result.status().message(), module);
      return;
    }
    stats_.Add(*result);
    if (result->rows_capped) ctx.Skip("max_artifact_rows");
    if (result->timed_out) ctx.Skip("file_timeout");
    for (const std::string& e : result->errors) ctx.Error(item.walked, e, module);
    if (!result->tally.empty()) ctx.AddContacts(logs::Contacts(result->tally));
    for (Finding& f : ToFindings(item.shown, *result, settings_.thresholds)) ctx.Emit(f);
  }

 public:
  void Summarize(Summary& s) const override {
    for (auto& kv : stats_.SummaryFields(sweeper_.options())) s.extra.push_back(std::move(kv));
  }

 private:
  const sweep::Settings& settings_;
  std::unique_ptr<netmatch::NetMatcher> owned_;
  Sweeper sweeper_;
  SweepStats stats_;
};

Result<std::unique_ptr<sweep::Sweep>> Make(const sweep::Engine& e, const sweep::Settings& s,
                                           std::vector<std::string>&) {
  Options o;
  o.evtx = s.Runs(sweep::module::kEvtx);
  o.journal = s.Runs(sweep::module::kJournal);
  o.browser = s.Runs(sweep::module::kBrowser);
  o.max_hits_per_file = s.max_hits_per_file;
  o.max_seconds = s.file_timeout;
  if (const auto& rows = s.Option("max-artifact-rows"); !rows.empty()) {
    const std::string& v = rows.back();
    char* end = nullptr;
    errno = 0;
    unsigned long long n = v.empty() || v[0] == '-' ? 0 : std::strtoull(v.c_str(), &end, 10);
    if (n == 0 || errno != 0 || end == nullptr || *end != '\0')
      return Status::Error("--max-artifact-rows: not a positive row count: " + v);
    o.max_rows = n;
  }
  if (!(o.evtx || o.journal || o.browser)) return std::unique_ptr<sweep::Sweep>();
  if (!e.net) {
    if (!s.inventory) return std::unique_ptr<sweep::Sweep>();
    // Only for the inventory's contact index: an empty matcher (as the log sweep).
    auto empty = netmatch::NetMatcher::Build(ioc::IndicatorSet());
    if (!empty.ok()) return empty.status();
    auto owned = std::make_unique<netmatch::NetMatcher>(std::move(*empty));
    const netmatch::NetMatcher& net = *owned;
    return std::unique_ptr<sweep::Sweep>(
        std::make_unique<ArtifactSweep>(std::move(owned), net, std::move(o), s));
  }
  return std::unique_ptr<sweep::Sweep>(
      std::make_unique<ArtifactSweep>(nullptr, *e.net, std::move(o), s));
}

}  // namespace

sweep::Registration ArtifactSweepRegistration() {
  return {{{sweep::module::kEvtx, "network indicators and keywords in Windows event logs"},
           {sweep::module::kJournal, "the same in systemd journal files"},
           {sweep::module::kBrowser, "the same in browser histories"}},
          &Make,
          true,
          {{"max-artifact-rows", "N",
            "Rows read per browser history table (default 10000000); the rest are skipped, "
            "with an error record",
            false}}};
}

}  // namespace trawl::artifacts
