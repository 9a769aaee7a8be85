// Sigma benchmark driver: loads Sigma rules, then reads EVTX files with the
// trawl::evtx reader (N threads) and matches every record against them.
//
//   sigma_bench [--threads N] [--no-prefilter] --rules DIR... -- FILE...
//
// Prints on stderr: rules loaded, records, hits, candidates evaluated,
// seconds (wall) and records/s.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "trawl/evtx/evtx.h"
#include "trawl/sigma/engine.h"
#include "trawl/sigma/events.h"

static double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char** argv) {
  unsigned threads = 1;
  bool prefilter = true;
  std::vector<std::string> rules, files;
  bool in_files = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (in_files) {
      files.push_back(a);
    } else if (a == "--threads" && i + 1 < argc) {
      threads = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (a == "--no-prefilter") {
      prefilter = false;
    } else if (a == "--rules" && i + 1 < argc) {
      rules.push_back(argv[++i]);
    } else if (a == "--") {
      in_files = true;
    } else {
      std::fprintf(stderr, "usage: sigma_bench [--threads N] [--no-prefilter] --rules DIR... -- FILE...\n");
      return 2;
    }
  }
  trawl::sigma::EngineOptions eo;
  eo.prefilter = prefilter;
  trawl::sigma::Engine engine(trawl::sigma::Mapping::Default(), eo);
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& r : rules) {
    trawl::Status st = engine.AddPath(r);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 2;
    }
  }
  if (!engine.Finish().ok()) return 2;
  auto t1 = std::chrono::steady_clock::now();
  double c1 = CpuSeconds();
  std::vector<std::unique_ptr<trawl::sigma::Engine::Scratch, void (*)(trawl::sigma::Engine::Scratch*)>> scratch;
  std::vector<trawl::sigma::EventBuilder> builders(threads);
  std::vector<std::uint64_t> hits(threads);
  for (unsigned i = 0; i < threads; ++i) scratch.push_back(engine.NewScratch());
  std::uint64_t records = 0;
  trawl::evtx::Options opts;
  opts.threads = threads;
  for (const auto& f : files) {
    auto st = trawl::evtx::ReadFile(
        f,
        [&](const trawl::evtx::Record& r) {
          unsigned w = r.worker;
          engine.MatchEvent(trawl::sigma::FromEvtx(r, builders[w]), *scratch[w],
                            [&](const trawl::sigma::Match&) { ++hits[w]; });
        },
        opts);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.status().message().c_str());
      return 2;
    }
    records += st->records;
  }
  auto t2 = std::chrono::steady_clock::now();
  double c2 = CpuSeconds();
  std::uint64_t h = 0, cand = 0;
  for (unsigned i = 0; i < threads; ++i) {
    h += hits[i];
    cand += trawl::sigma::Engine::Stats(*scratch[i]).candidates;
  }
  double load = std::chrono::duration<double>(t1 - t0).count();
  double secs = std::chrono::duration<double>(t2 - t1).count();
  std::fprintf(stderr,
               "rules=%llu load_s=%.2f records=%llu hits=%llu candidates=%llu match_s=%.3f "
               "match_cpu_s=%.3f rate=%.0f\n",
               static_cast<unsigned long long>(engine.rules().size()), load,
               static_cast<unsigned long long>(records), static_cast<unsigned long long>(h),
               static_cast<unsigned long long>(cand), secs, c2 - c1, records / secs);
  return 0;
}
