// Internal pieces shared by the artifact sweeps (not part of the public API).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/artifacts/artifacts.h"
#include "trawl/netmatch/netmatch.h"
#include "trawl/read/read.h"

namespace trawl::artifacts::detail {

// Unix microseconds floored to milliseconds (the timeline's and the contact
// index's unit), also before 1970.
inline std::int64_t FloorMillis(std::int64_t us) { return us / 1000 - (us % 1000 < 0 ? 1 : 0); }

// Vectorscan scratch spaces for one matcher, lent to one thread at a time.
class ScratchPool {
 public:
  explicit ScratchPool(const netmatch::NetMatcher& m) : matcher_(m) {}

  class Lease {
   public:
    Lease(ScratchPool* pool, std::unique_ptr<netmatch::NetMatcher::Scratch> s)
        : pool_(pool), s_(std::move(s)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ && s_) pool_->Put(std::move(s_));
    }
    netmatch::NetMatcher::Scratch& get() { return *s_; }

   private:
    ScratchPool* pool_;
    std::unique_ptr<netmatch::NetMatcher::Scratch> s_;
  };

  // Error only when Vectorscan cannot allocate scratch space.
  Result<Lease> Get();

 private:
  void Put(std::unique_ptr<netmatch::NetMatcher::Scratch> s);
  const netmatch::NetMatcher& matcher_;
  std::mutex mu_;
  std::vector<std::unique_ptr<netmatch::NetMatcher::Scratch>> free_;
};

// Counts hits into a SweepResult: every hit tallied, the first
// max_hits_per_file of each indicator kept (one indicator's flood never hides
// another's hits); problems listed up to max_errors_per_file.
class Collector {
 public:
  Collector(const Options& opts, SweepResult& result) : opts_(opts), r_(result) {}
  // Counts a hit of `ind` at `time_us`; returns true when it is to be kept
  // (then the caller builds it and calls Keep).
  bool Count(const ioc::Indicator* ind, std::optional<std::int64_t> time_us);
  void Keep(Hit hit) { r_.hits.push_back(std::move(hit)); }
  void Error(std::string message);
  // Adds the "N more problems" line; call once at the end.
  void Finish();

 private:
  const Options& opts_;
  SweepResult& r_;
  std::uint64_t errors_dropped_ = 0;
};

// Named values scanned together as one text: values joined by '\n' (no
// network token spans a line break), each hit mapped back to its value.
struct FieldHit {
  std::size_t field = 0;  // index into the values given
  const ioc::Indicator* indicator = nullptr;
  std::size_t begin = 0, end = 0;  // of the match inside that value
  std::string matched;
};

class FieldScanner {
 public:
  // Scans `values` and returns the hits, at most one per (value, indicator),
  // in value order. Error only from the engine.
  Status Scan(const netmatch::NetMatcher& m, netmatch::NetMatcher::Scratch& scratch,
              const std::vector<std::string_view>& values, std::vector<FieldHit>& out);

 private:
  std::string buf_;
  std::vector<std::size_t> starts_;
  std::vector<netmatch::Hit> hits_;
};

// Sweeps (one per file type). `opts` is the sweeper's.
// `hosts` (may be null): the contact index's tally (Sweeper::Scan).
Result<SweepResult> ScanEvtxFile(const std::string& path, const netmatch::NetMatcher& m,
                                 ScratchPool& pool, const Options& opts,
                                 sweep::HostTally* hosts = nullptr);
// The same per record, for a read the caller does (Sweeper::BeginEvtx).
Result<std::unique_ptr<Sweeper::EvtxScan>> MakeEvtxScan(const std::string& path,
                                                        const netmatch::NetMatcher& m,
                                                        ScratchPool& pool, const Options& opts,
                                                        sweep::HostTally* hosts = nullptr);
Result<SweepResult> ScanJournalFile(const Walked& file, const netmatch::NetMatcher& m,
                                    ScratchPool& pool, const Options& opts,
                                    sweep::HostTally* hosts = nullptr);
// `private_root`: the sweeper's directory for copies (or empty, see Sweeper).
Result<SweepResult> ScanBrowserFile(const Walked& file, const Target& target,
                                    const netmatch::NetMatcher& m, const Options& opts,
                                    const std::string& private_root,
                                    sweep::HostTally* hosts = nullptr);
// Opens `file` as Walked says (the reader stage's read::File); `suffix`
// names a neighbour ("-wal": the database's WAL beside it), which is not
// compared with the walk's stat.
Result<read::File> OpenWalked(const Walked& file, const std::string& suffix = "");
// The temp dir Options name ($TMPDIR, else /tmp, when empty).
std::string TempBase(const Options& opts);
// Removes `dir` and the files directly in it (best effort; never follows links).
void RemovePrivateDir(const std::string& dir) noexcept;

}  // namespace trawl::artifacts::detail
