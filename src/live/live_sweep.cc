#include "trawl/live/live_sweep.h"

#include <chrono>
#include <optional>

#include "trawl/live/sweep.h"
#include "trawl/sweep/hosts.h"

namespace trawl::live {
namespace {

class LiveSweep final : public sweep::Sweep {
 public:
  LiveSweep(const sweep::Engine& e, const sweep::Settings& s) : engine_(e), settings_(s) {}

  void Finish(sweep::Context& ctx) override {
    LiveRequest lr =
        PlanLive(settings_.modules, settings_.paths, settings_.image, settings_.image_hosts);
    lr.options.process_memory = settings_.process_memory;
    lr.options.memory_cap = settings_.process_memory_cap;
    lr.options.max_file_size = settings_.max_file_size;
    lr.options.yara_timeout = settings_.yara_timeout;
    if (!settings_.live_sweeps) {  // --shard I/N with I > 1: shard 1 sweeps the live system
      lr.processes = lr.network = lr.hosts = false;
      lr.hosts_files.clear();
    }
    // --inventory: every connection's remote address, for the contact index,
    // seen at the time the socket table was read.
    std::optional<sweep::HostTally> hosts;
    if (ctx.wants_hosts()) {
      hosts.emplace("", [&](std::vector<sweep::Context::HostSighting>&& v) {
        ctx.SawHosts(sweep::module::kNetwork, std::move(v));
      });
      lr.on_connection = [&](const Socket& s) {
        std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
        hosts->AddText(s.remote_ip, now, ConnectionText(s));
      };
    }
    LiveEngine le{engine_.set,   engine_.filenames,  engine_.net,
                  engine_.rules, engine_.hash_algos, settings_.thresholds};
    auto os = MakeOs();
    ran_processes_ = lr.processes && os->supported();
    ran_network_ = (lr.network && os->supported()) || lr.hosts;
    report_ = RunLive(
        *os, lr, le,
        [&](const Finding& f) {
          Finding copy = f;
          ctx.Emit(copy);
        },
        [&](const ErrorRecord& e) { ctx.Error(e.path, e.message, e.module); });
    if (hosts) hosts->Flush();
  }

  bool Ran(std::string_view module, const sweep::Settings&) const override {
    if (module == sweep::module::kProcess) return ran_processes_;
    return ran_network_;
  }

  void Summarize(Summary& s) const override {
    for (const auto& kv : report_.summary) s.extra.push_back(kv);
    for (const std::string& note : report_.notes) s.extra.push_back({"live_note", note});
  }

 private:
  const sweep::Engine& engine_;
  const sweep::Settings& settings_;
  LiveReport report_;
  bool ran_processes_ = false, ran_network_ = false;
};

Result<std::unique_ptr<sweep::Sweep>> Make(const sweep::Engine& e, const sweep::Settings& s,
                                           std::vector<std::string>&) {
  // Always made: PlanLive decides (hosts files by default, "not requested" otherwise).
  return std::unique_ptr<sweep::Sweep>(std::make_unique<LiveSweep>(e, s));
}

}  // namespace

sweep::Registration LiveSweepRegistration() {
  return {{{sweep::module::kProcess, "running processes, their executables and mapped files"},
           {sweep::module::kNetwork, "connections and hosts files"}},
          &Make,
          true};
}

}  // namespace trawl::live
