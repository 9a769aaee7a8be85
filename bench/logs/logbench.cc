// Benchmark driver for the log sweep: loads indicator files, scans the given
// log files with trawl::logs::LogScanner on N threads (files in parallel, big
// files split in chunks) and writes every hit as "file<TAB>line<TAB>indicator".
// Stands in for `trawl scan --modules log` until the app wires the sweep in.
//
// usage: trawl_logbench --threads N --out HITS.tsv --iocs FILE [--iocs FILE...] LOG...
#include <tbb/global_control.h>
#include <tbb/parallel_for_each.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "trawl/ioc/loader.h"
#include "trawl/logs/logs.h"
#include "trawl/netmatch/netmatch.h"

int main(int argc, char** argv) {
  int threads = 2;
  std::string out_path;
  std::vector<std::string> iocs, files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (a == "--out" && i + 1 < argc)
      out_path = argv[++i];
    else if (a == "--iocs" && i + 1 < argc)
      iocs.push_back(argv[++i]);
    else
      files.push_back(a);
  }
  if (iocs.empty() || files.empty()) {
    std::fprintf(stderr, "usage: %s --threads N --out HITS.tsv --iocs FILE... LOG...\n", argv[0]);
    return 2;
  }
  auto t0 = std::chrono::steady_clock::now();
  trawl::ioc::IndicatorSet set;
  for (const auto& f : iocs) {
    auto st = trawl::ioc::LoadFile(f, trawl::ioc::DetectFormat(f), set);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.status().message().c_str());
      return 2;
    }
    std::uint64_t loaded = 0, skipped = 0;
    for (const auto& [k, n] : st->loaded) loaded += n;
    for (const auto& [k, n] : st->skipped) skipped += n;
    std::fprintf(stderr, "indicators: %s: %llu loaded, %llu skipped\n", f.c_str(),
                 static_cast<unsigned long long>(loaded), static_cast<unsigned long long>(skipped));
  }
  auto m = trawl::netmatch::NetMatcher::Build(set);
  if (!m.ok()) {
    std::fprintf(stderr, "%s\n", m.status().message().c_str());
    return 2;
  }
  for (const auto& p : m->problems())
    std::fprintf(stderr, "unused indicator: %s: %s\n", p.where.c_str(), p.message.c_str());
  auto t1 = std::chrono::steady_clock::now();
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, threads);
  trawl::logs::LogOptions opts;
  opts.max_hits_per_file = ~0ull;
  trawl::logs::LogScanner scanner(*m, opts);
  trawl::logs::Timeline timeline;
  std::mutex mu;
  std::FILE* out = out_path.empty() ? stdout : std::fopen(out_path.c_str(), "w");
  if (!out) {
    std::perror(out_path.c_str());
    return 2;
  }
  std::uint64_t bytes = 0, lines = 0, hits = 0, errors = 0;
  tbb::parallel_for_each(files.begin(), files.end(), [&](const std::string& f) {
    auto r = scanner.Scan(f);
    std::lock_guard<std::mutex> lock(mu);
    if (!r.ok()) {
      ++errors;
      std::fprintf(stderr, "error: %s\n", r.status().message().c_str());
      return;
    }
    if (r->error) {
      ++errors;
      std::fprintf(stderr, "error: %s: %s\n", f.c_str(), r->error->c_str());
    }
    bytes += r->bytes;
    lines += r->lines;
    hits += r->hits_total;
    timeline.Add(*r);
    for (const auto& h : r->hits)
      std::fprintf(out, "%s\t%llu\t%s\n", f.c_str(), static_cast<unsigned long long>(h.line),
                   h.indicator->value.c_str());
  });
  if (out != stdout) std::fclose(out);
  auto t2 = std::chrono::steady_clock::now();
  double load = std::chrono::duration<double>(t1 - t0).count();
  double scan = std::chrono::duration<double>(t2 - t1).count();
  std::fprintf(stderr,
               "trawl_logbench: %zu files, %llu bytes, %llu lines, %llu hits, %llu errors, "
               "%zu indicators (%zu patterns), load %.3f s, scan %.3f s (%.0f MB/s)\n",
               files.size(), static_cast<unsigned long long>(bytes),
               static_cast<unsigned long long>(lines), static_cast<unsigned long long>(hits),
               static_cast<unsigned long long>(errors), m->indicator_count(), m->pattern_count(),
               load, scan, bytes / 1e6 / scan);
  for (const auto& e : timeline.Entries())
    std::fprintf(stderr, "  timeline: %s: %llu hits in %llu files, first %s, last %s\n",
                 e.indicator->value.c_str(), static_cast<unsigned long long>(e.hits),
                 static_cast<unsigned long long>(e.files),
                 e.first_ms ? trawl::logs::FormatIsoUtc(*e.first_ms).c_str() : "-",
                 e.last_ms ? trawl::logs::FormatIsoUtc(*e.last_ms).c_str() : "-");
  return errors ? 1 : 0;
}
