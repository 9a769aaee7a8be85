// evtx_bench: reads EVTX files with trawl::evtx and renders every record's
// fields (like evtxexport renders every record), reporting records/s and MB/s.
//
//   evtx_bench [--threads N] [--xml|--json|--fields] [--print] FILE...
//
// --fields (default) formats each record's System values and fields into a
// line of text (the work a matcher needs); --xml renders full XML per record
// (like evtxexport -f xml; fields are then not extracted separately); --json
// renders JSON. --print writes the rendered text to stdout.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "trawl/evtx/evtx.h"

int main(int argc, char** argv) {
  unsigned threads = 1;
  enum { kFields, kXml, kJson } mode = kFields;
  bool print = false, problems = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (a == "--xml") {
      mode = kXml;
    } else if (a == "--json") {
      mode = kJson;
    } else if (a == "--fields") {
      mode = kFields;
    } else if (a == "--print") {
      print = true;
    } else if (a == "--problems") {
      problems = true;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr,
                 "usage: evtx_bench [--threads N] [--xml|--json|--fields] [--print] FILE...\n");
    return 2;
  }
  std::vector<std::string> out(threads);
  std::vector<std::uint64_t> chars(threads);
  std::mutex print_mu;
  trawl::evtx::Options opts;
  opts.threads = threads;
  // Full XML holds the fields already: only the System values are extracted.
  opts.extract_fields = mode == kFields || mode == kJson;
  std::uint64_t records = 0, bytes = 0, bad = 0, recovered = 0, nproblems = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (const std::string& f : files) {
    auto r = trawl::evtx::ReadFile(
        f,
        [&](const trawl::evtx::Record& rec) {
          std::string& s = out[rec.worker];
          s.clear();
          if (mode == kXml) {
            if (!trawl::evtx::AppendXml(rec, s).ok()) s.clear();
          } else if (mode == kJson) {
            auto x = trawl::evtx::RenderJson(rec);
            if (x.ok()) s = std::move(*x);
          } else {
            s += std::to_string(rec.id);
            s += ' ';
            s += rec.time_text;
            s += ' ';
            s += rec.provider;
            s += ' ';
            s += std::to_string(rec.event_id);
            s += ' ';
            s += rec.channel;
            s += ' ';
            s += rec.computer;
            for (const auto& fl : rec.fields) {
              s += ' ';
              s += fl.name;
              s += '=';
              s += fl.value;
            }
            if (rec.recovered) s += " [recovered]";
            s += '\n';
          }
          chars[rec.worker] += s.size();
          if (print) {
            std::lock_guard<std::mutex> lock(print_mu);
            std::fwrite(s.data(), 1, s.size(), stdout);
          }
        },
        opts);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().message().c_str());
      continue;
    }
    records += r->records;
    bytes += r->bytes;
    bad += r->records_bad;
    recovered += r->records_recovered;
    nproblems += r->problems.size() + r->problems_dropped;
    if (problems) {
      for (const auto& p : r->problems) {
        std::fprintf(stderr, "%s: 0x%llx: %s\n", f.c_str(),
                     static_cast<unsigned long long>(p.offset), p.message.c_str());
      }
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::uint64_t total_chars = 0;
  for (auto c : chars) total_chars += c;
  std::fprintf(stderr,
               "records=%llu bad=%llu recovered=%llu problems=%llu bytes=%llu seconds=%.3f "
               "records_per_s=%.0f MB_per_s=%.1f rendered_chars=%llu\n",
               static_cast<unsigned long long>(records), static_cast<unsigned long long>(bad),
               static_cast<unsigned long long>(recovered),
               static_cast<unsigned long long>(nproblems), static_cast<unsigned long long>(bytes),
               secs, records / secs, bytes / secs / 1e6,
               static_cast<unsigned long long>(total_chars));
  return 0;
}
