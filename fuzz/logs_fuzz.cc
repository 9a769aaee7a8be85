// libFuzzer target: the log sweep's parsers over hostile bytes: format
// detection, every timestamp parser, and a whole in-memory scan (host
// extraction, chunking, line counting, excerpts) with small chunks.
// Run with -detect_leaks=0: the scanner keeps Vectorscan scratch per TBB
// worker thread (tbb::enumerable_thread_specific), made lazily the first time
// a worker scans; LeakSanitizer cannot see through TBB's thread-local table and
// reports that once-per-thread allocation as a leak of the input that caused it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "trawl/logs/logs.h"
#include "trawl/netmatch/netmatch.h"

namespace {

using trawl::ioc::Kind;

// Kept for the whole run (the matcher points into it).
trawl::ioc::IndicatorSet* g_set = nullptr;

const trawl::netmatch::NetMatcher& Matcher() {
  static const trawl::netmatch::NetMatcher* m = [] {
    auto* set = g_set = new trawl::ioc::IndicatorSet();
    auto add = [&](Kind k, const char* v) {
      trawl::ioc::Indicator ind;
      ind.kind = k;
      ind.value = v;
      set->Add(ind);
    };
    add(Kind::kDomain, "akamaicontainer.com");
    add(Kind::kUrl, "https://github.com/IconStorages/images");
    add(Kind::kIpv4, "1.2.3.4");
    add(Kind::kIpv6, "2001:db8::1");
    add(Kind::kCidr, "10.0.0.0/8");
    add(Kind::kKeyword, "WCE SERVICE");
    auto built = trawl::netmatch::NetMatcher::Build(*set);
    if (!built.ok()) std::abort();
    return new trawl::netmatch::NetMatcher(std::move(built).value());
  }();
  return *m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Timestamps: every format, with and without detected headers.
  for (int f = 0; f <= static_cast<int>(trawl::logs::Format::kWindowsDns); ++f) {
    trawl::logs::TimeContext ctx;
    ctx.format = static_cast<trawl::logs::Format>(f);
    ctx.mtime_unix = 1680393600;
    ctx.ts_col = size % 5;
    ctx.date_col = size % 3;
    ctx.time_col = size % 4;
    if (auto t = trawl::logs::ParseTimestamp(text, ctx)) (void)trawl::logs::FormatIsoUtc(*t);
  }
  auto detected = trawl::logs::DetectFormat("fuzz.log", text, 1680393600);
  (void)trawl::logs::ParseTimestamp(text, detected);
  (void)trawl::logs::IsLogPath(text, {});
  // A whole scan with tiny chunks (forces splitting, long-line cuts, carries).
  static trawl::logs::LogOptions opts = [] {
    trawl::logs::LogOptions o;
    o.chunk_bytes = 64;
    o.max_line_bytes = 256;
    o.max_hits_per_file = 8;
    return o;
  }();
  static trawl::logs::LogScanner scanner(Matcher(), opts);
  // With the contact index's tokenizing in the same pass: every sighting is
  // counted, named, and on a line the scan counted.
  std::uint64_t host_lines_bad = 0;
  auto r = scanner.ScanBuffer(
      text, "fuzz.log", 1680393600, [&](std::vector<trawl::logs::HostSeen>&& batch) {
        for (const auto& h : batch)
          if (h.count == 0 || h.value.empty() || h.kind.empty() || h.line == 0) ++host_lines_bad;
      });
  if (r.bytes != size || host_lines_bad) std::abort();
  std::uint64_t counted = 0;
  for (const auto& [ind, t] : r.tally) counted += t.hits;
  if (counted != r.hits_total || r.hits.size() > opts.max_hits_per_file) std::abort();
  std::uint64_t last = 0;
  for (const auto& h : r.hits) {
    if (h.line < 1 || h.line > r.lines || h.offset >= size || h.line < last) std::abort();
    last = h.line;
  }
  return 0;
}
