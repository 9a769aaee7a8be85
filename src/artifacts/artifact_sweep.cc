#include "trawl/artifacts/artifact_sweep.h"

#include <cerrno>
#include <cstdlib>

#include "trawl/artifacts/artifacts.h"
#include "trawl/logs/log_sweep.h"
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

  sweep::Verdict Scan(const sweep::Item& item, sweep::Worker*, sweep::Context& ctx) override {
    // The magic comes from the pipeline's one read of the entry's first bytes.
    Target target = sweeper_.Detect(item.walked, item.st, item.read_path,
                                    [&]() -> std::optional<std::string_view> {
                                      auto h = sweep::Head(item);
                                      if (!h.ok()) return std::nullopt;
                                      return *h;
                                    });
    if (target.type == Type::kNone) return sweep::Verdict::kContinue;
    const char* module = ModuleName(target.type);
    // --inventory: every host name, address and URL of the file, from this
    // same read, for the contact index (handed on in bounded batches).
    std::optional<sweep::HostTally> hosts;
    if (ctx.wants_hosts())
      hosts.emplace(item.shown, [&](std::vector<sweep::Context::HostSighting>&& v) {
        ctx.SawHosts(module, std::move(v));
      });
    // The walked entry, relative to the directory the walk holds and only
    // when still the device and inode walked (a swapped file: an error record).
    auto result = sweeper_.Scan(
        Walked{item.read_path, item.dir_fd, std::string(item.name), &item.st}, target,
        hosts ? &*hosts : nullptr);
    if (hosts) hosts->Flush();  // what was read before an error stands
    if (!result.ok()) {
      ctx.Error(item.walked, result.status().message(), module);
      return sweep::Verdict::kContinue;
    }
    stats_.Add(*result);
    if (result->rows_capped) ctx.Skip("max_artifact_rows");
    if (result->timed_out) ctx.Skip("file_timeout");
    for (const std::string& e : result->errors) ctx.Error(item.walked, e, module);
    if (!result->tally.empty()) ctx.AddContacts(logs::Contacts(result->tally));
    for (Finding& f : ToFindings(item.shown, *result, settings_.thresholds)) ctx.Emit(f);
    return sweep::Verdict::kContinue;
  }

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
