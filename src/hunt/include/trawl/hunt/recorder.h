// The scan side of the host inventory: what `trawl scan --inventory FILE.db
// [--since OLD.db]` adds to the pipeline.
//
//   - Recorder: the sink of the walk and the sweeps. The pipeline hands it
//     every walked entry with the digests the file sweep computed (or reused),
//     the contacts the contact sweep saw, and at the end the summary (host
//     facts, indicator sets, installed products). It refuses a database path
//     inside a scan root unless forced (the inventory must not be written on
//     the scanned host, nor walked while written), and with --since answers
//     "are this file's digests still valid" from the old inventory.
//   - ContactSweep: every distinct host name, IPv4/IPv6 address and URL in
//     hosts files, with count and one example FILE:LINE, reported through
//     Context::SawHosts; made only when an inventory is written. Text logs
//     feed the index from the log sweep's own pass (logs::HostsFn, in its
//     parallel chunks), EVTX, journals and browser histories from the
//     artifact sweep's, connections from the network sweep's, not from a
//     second read. Every one counts through sweep::HostTally (the tokenizer
//     is netmatch::ExtractHosts).
//   - Archive members the file sweep looked inside are file rows of their
//     own (OnMember: path = the file on disk, member = the chain).
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/core/status.h"
#include "trawl/hunt/inventory_db.h"
#include "trawl/sweep/sweep.h"

namespace trawl::hunt {

class Recorder {
 public:
  struct Options {
    std::string path;                // --inventory
    std::string since;               // --since (may be empty)
    bool force = false;              // --force: allow a path inside a scan root
    std::vector<std::string> roots;  // the scan roots
    std::size_t batch_rows = 4096;
  };
  static Result<std::unique_ptr<Recorder>> Open(const Options& opts);

  // One walked entry (any type), with the digests computed for it (null:
  // none). Thread-safe.
  void OnEntry(const std::string& shown, const struct stat& st,
               const std::map<std::string, std::string>* hashes, bool reused,
               std::optional<std::uint64_t> members = std::nullopt);
  // An archive member of the walked entry `shown` (a row with path = the
  // file on disk, member = the chain; digests empty when not read). Thread-safe.
  void OnMember(const std::string& shown, std::string_view chain,
                std::optional<std::uint64_t> size, const std::map<std::string, std::string>& hashes,
                bool reused = false);
  // The file sweep's unpack settings (Context::RecordUnpacked), kept in the
  // header as unpack_limits. Thread-safe.
  void UnpackLimits(std::string_view limits);
  // --since: the old inventory's member rows of an unchanged file
  // (Context::PriorMembers). Thread-safe.
  std::optional<std::vector<sweep::Context::PriorMember>> PriorMembers(
      const std::string& shown, const struct stat& st, std::string_view limits) const;
  // --since: the old inventory's digests of an unchanged file. Thread-safe.
  std::optional<std::map<std::string, std::string>> Prior(const struct stat& st) const;
  void SawHosts(std::string_view module, std::vector<sweep::Context::HostSighting>&& hosts);
  // Writes the header (host facts, indicator sets) and the installed
  // products; adds inventory counters to `summary.extra`.
  Status Finish(Summary& summary, std::string_view trawl_version, std::string_view image_root);

  // Paths the walk must prune (the database and its journal).
  std::vector<std::string> ExcludePaths() const;

 private:
  Recorder() = default;
  Options opts_;
  std::string abs_path_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<Reader> since_;
  std::atomic<std::uint64_t> files_{0}, read_{0}, reused_{0}, members_{0}, members_reused_{0};
  std::mutex limits_mu_;
  std::string limits_;
};

// The contact sweep (not in the module registry: it is an inventory
// feature, made by the app when --inventory is given).
std::unique_ptr<sweep::Sweep> MakeContactSweep(const sweep::Settings& settings);

}  // namespace trawl::hunt
