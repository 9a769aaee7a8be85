#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "trawl/core/text.h"
#include "trawl/logs/log_sweep.h"
#include "trawl/logs/logs.h"
#include "trawl/sweep/timeline.h"
#include "trawl/testsupport/sweep_recorder.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::logs {
namespace {

namespace fs = std::filesystem;
using ioc::Kind;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out << s;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  for (auto v : Split(s, '\n')) out.emplace_back(v);
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

class LogsTest : public ::testing::Test {
 protected:
  void Add(Kind k, const std::string& v) {
    ioc::Indicator ind;
    ind.kind = k;
    ind.value = v;
    ind.source = "test:1";
    ind.description = "test " + v;
    set_.Add(ind);
  }
  const netmatch::NetMatcher& Matcher() {
    if (!matcher_) {
      auto m = netmatch::NetMatcher::Build(set_);
      EXPECT_TRUE(m.ok());
      matcher_ = std::make_unique<netmatch::NetMatcher>(std::move(m).value());
    }
    return *matcher_;
  }
  LogFileResult Scan(const fs::path& p, LogOptions opts = {}) {
    LogScanner scanner(Matcher(), opts);
    auto r = scanner.Scan(p.string());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().message());
    return r.ok() ? std::move(r).value() : LogFileResult{};
  }
  static std::vector<std::uint64_t> HitLines(const LogFileResult& r) {
    std::vector<std::uint64_t> out;
    for (const auto& h : r.hits) out.push_back(h.line);
    return out;
  }

  testsupport::TempDir tmp_{"trawl-logs"};
  fs::path dir_ = tmp_.path();
  ioc::IndicatorSet set_;
  std::unique_ptr<netmatch::NetMatcher> matcher_;
};

const char* kSyslog =
    "Mar 30 10:00:01 host dnsmasq[1]: query[A] update.akamaicontainer.com from 10.0.0.5\n"
    "Mar 30 10:00:02 host dnsmasq[1]: query[A] notakamaicontainer.com from 10.0.0.5\n"
    "Mar 30 10:00:03 host kernel: nothing here\n"
    "Mar 30 10:00:04 host curl: GET "
    "https://raw.githubusercontent.com/IconStorages/images/main/icon3.ico\n"
    "Mar 30 10:00:05 host sshd[2]: connection from 1.2.3.4 port 22\n";

TEST_F(LogsTest, PlainFileLinesTimesExcerpts) {
  Add(Kind::kDomain, "akamaicontainer.com");
  Add(Kind::kUrl, "https://github.com/IconStorages/images");
  Add(Kind::kIpv4, "1.2.3.4");
  fs::path p = dir_ / "syslog";
  WriteFile(p, kSyslog);
  fs::last_write_time(p, fs::file_time_type::clock::now());
  auto r = Scan(p);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.lines, 5u);
  EXPECT_EQ(r.bytes, std::string(kSyslog).size());
  EXPECT_EQ(r.compression, "");
  ASSERT_EQ(HitLines(r), (std::vector<std::uint64_t>{1, 4, 5}));
  EXPECT_EQ(r.hits[0].matched, "update.akamaicontainer.com");
  EXPECT_EQ(r.hits[0].excerpt, Lines(kSyslog)[0]);
  EXPECT_EQ(std::string(kSyslog).substr(r.hits[0].offset, 26), "update.akamaicontainer.com");
  // Syslog has no year: it comes from the file's mtime (now), so only the day and time are fixed.
  EXPECT_NE(r.hits[0].time_text.find("-03-30T10:00:01Z"), std::string::npos) << r.hits[0].time_text;
  EXPECT_EQ(r.hits[1].indicator->kind, Kind::kUrl);
  EXPECT_EQ(r.hits_total, 3u);
  EXPECT_EQ(r.tally.size(), 3u);
}

TEST_F(LogsTest, EachCompression) {
  Add(Kind::kDomain, "akamaicontainer.com");
  Add(Kind::kIpv4, "1.2.3.4");
  std::string text;
  for (int i = 0; i < 2000; ++i) text += kSyslog;
  fs::path plain = dir_ / "messages";
  WriteFile(plain, text);
  auto want = Scan(plain);
  ASSERT_EQ(want.hits_total, 4000u);
  struct Tool {
    const char* cmd;
    const char* ext;
    const char* name;
  } tools[] = {{"gzip", "gz", "gzip"},
               {"bzip2", "bz2", "bzip2"},
               {"xz", "xz", "xz"},
               {"zstd -q", "zst", "zstd"}};
  for (const Tool& t : tools) {
    fs::path out = dir_ / (std::string("messages.1.") + t.ext);
    std::string cmd = std::string(t.cmd) + " -c '" + plain.string() + "' > '" + out.string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    LogOptions opts;
    opts.chunk_bytes = 64 * 1024;  // several chunks: the parallel path
    auto r = Scan(out, opts);
    EXPECT_FALSE(r.error) << t.name << ": " << *r.error;
    EXPECT_EQ(r.compression, t.name);
    EXPECT_EQ(r.bytes, text.size()) << t.name;
    EXPECT_EQ(r.lines, 10000u) << t.name;
    EXPECT_EQ(r.hits_total, want.hits_total) << t.name;
    EXPECT_EQ(HitLines(r), HitLines(want)) << t.name;
  }
}

TEST_F(LogsTest, TruncatedGzipKeepsEarlierHits) {
  Add(Kind::kDomain, "akamaicontainer.com");
  std::string text;
  // Varied lines so the compressed stream is long enough to cut in the middle.
  for (int i = 0; i < 40000; ++i)
    text += "line " + std::to_string(i * 7919 % 100003) + " q akamaicontainer.com id " +
            std::to_string(i) + "\n";
  fs::path plain = dir_ / "big.log";
  WriteFile(plain, text);
  fs::path gz = dir_ / "big.log.gz";
  ASSERT_EQ(std::system(("gzip -c '" + plain.string() + "' > '" + gz.string() + "'").c_str()), 0);
  fs::resize_file(gz, fs::file_size(gz) / 2);
  LogOptions opts;
  opts.chunk_bytes = 16 * 1024;
  opts.max_hits_per_file = 100000;
  auto r = Scan(gz, opts);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("decompression"), std::string::npos) << *r.error;
  EXPECT_GT(r.hits_total, 1000u);
  EXPECT_LT(r.hits_total, 40000u);
  for (std::size_t i = 0; i < r.hits.size(); ++i) ASSERT_EQ(r.hits[i].line, i + 1);
}

// Issue 11 / 15: a compressed log that expands far beyond its size (many
// concatenated streams of one repeated line) ends at the reader stage's
// ratio limit, soon, with the limit named; hits before it stand.
TEST_F(LogsTest, CompressedBombEndsAtTheRatioLimit) {
  Add(Kind::kDomain, "akamaicontainer.com");
  for (const std::string tool : {"gzip", "xz"}) {
    fs::path one = dir_ / ("one." + tool), bomb = dir_ / ("bomb.log." + tool);
    std::string cmd = "yes 'Mar 30 10:00:01 host q akamaicontainer.com' | head -c 8388608 | " +
                      tool + " -9 > '" + one.string() + "' && for i in $(seq 512); do cat '" +
                      one.string() + "'; done > '" + bomb.string() + "'";  // 4 GiB of lines
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    LogOptions opts;
    opts.max_hits_per_file = 10;
    auto t0 = std::chrono::steady_clock::now();
    auto r = Scan(bomb, opts);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 60);
    ASSERT_TRUE(r.limit) << tool;
    EXPECT_EQ(*r.limit, "archive_ratio") << tool;
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->find("--archive-ratio"), std::string::npos) << *r.error;
    EXPECT_LT(r.bytes, 1ull << 30) << tool;
    EXPECT_GT(r.hits_total, 0u);
    // A lower total cap ends it sooner, named as such.
    opts.unpack.max_bytes = 4 << 20;
    auto capped = Scan(bomb, opts);
    ASSERT_TRUE(capped.limit);
    EXPECT_EQ(*capped.limit, "archive_bytes");
    EXPECT_LE(capped.bytes, (4u << 20) + (1u << 20));
  }
}

// Regression (issue 11): plain logs had no byte cap (LogOptions::max_bytes
// existed, the CLI never set it). Past it the read stops, the hits before it
// are kept, and the result says so.
TEST_F(LogsTest, ByteCapStopsThePlainLogAndSaysSo) {
  Add(Kind::kDomain, "akamaicontainer.com");
  std::string text = "early akamaicontainer.com\n";
  text += std::string(64 << 10, 'x') + "\n";
  text += "late akamaicontainer.com\n";
  fs::path p = dir_ / "big.log";
  WriteFile(p, text);
  LogOptions opts;
  opts.max_bytes = 32 << 10;
  opts.chunk_bytes = 4 << 10;
  auto r = Scan(p, opts);
  EXPECT_TRUE(r.capped);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("--max-log-bytes"), std::string::npos) << *r.error;
  EXPECT_EQ(HitLines(r), std::vector<std::uint64_t>{1});
  EXPECT_LE(r.bytes, 32u << 10);
  auto whole = Scan(p);
  EXPECT_FALSE(whole.capped);
  EXPECT_EQ(HitLines(whole), (std::vector<std::uint64_t>{1, 3}));
}

// Issue 11: a time budget per file (--file-timeout) ends the read between
// reads and says so; a budget already spent reads nothing.
TEST_F(LogsTest, FileTimeoutEndsTheReadAndSaysSo) {
  Add(Kind::kDomain, "akamaicontainer.com");
  fs::path p = dir_ / "slow.log";
  WriteFile(p, "a akamaicontainer.com\n");
  LogOptions opts;
  opts.max_seconds = 1e-9;
  auto r = Scan(p, opts);
  EXPECT_TRUE(r.timed_out);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("--file-timeout"), std::string::npos) << *r.error;
  EXPECT_EQ(r.hits_total, 0u);
  opts.max_seconds = 3600;
  auto ok = Scan(p, opts);
  EXPECT_FALSE(ok.timed_out);
  EXPECT_EQ(ok.hits_total, 1u);
}

TEST_F(LogsTest, CrlfNulInvalidUtf8) {
  Add(Kind::kDomain, "akamaicontainer.com");
  std::string text = "first\r\n";
  text += std::string("nul\0\0 akamaicontainer.com \xff\xfe end\r\n", 34);
  text += "third akamaicontainer.com\r\n";
  fs::path p = dir_ / "win.log";
  WriteFile(p, text);
  auto r = Scan(p);
  ASSERT_EQ(HitLines(r), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(r.hits[0].excerpt, "nul\\x00\\x00 akamaicontainer.com \\xff\\xfe end");
  EXPECT_EQ(r.hits[1].excerpt, "third akamaicontainer.com");
  EXPECT_EQ(r.lines, 3u);
}

TEST_F(LogsTest, LineLongerThanChunkAndManyChunks) {
  Add(Kind::kDomain, "akamaicontainer.com");
  std::string text;
  std::vector<std::uint64_t> want;
  std::uint64_t line = 0;
  for (int i = 0; i < 3000; ++i) {
    ++line;
    if (i == 1500) {
      text += std::string(200000, 'a') + " akamaicontainer.com " + std::string(50000, 'b') + "\n";
      want.push_back(line);
    } else if (i % 97 == 0) {
      text += "hit " + std::to_string(i) + " akamaicontainer.com\n";
      want.push_back(line);
    } else {
      text += "filler line " + std::to_string(i) + " notakamaicontainer.com\n";
    }
  }
  text += "last line without newline akamaicontainer.com";
  want.push_back(++line);
  fs::path p = dir_ / "long.log";
  WriteFile(p, text);
  LogOptions opts;
  opts.chunk_bytes = 4096;
  auto r = Scan(p, opts);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.lines, line);
  EXPECT_EQ(HitLines(r), want);
  for (const auto& h : r.hits) EXPECT_LE(h.excerpt.size(), 512u + 6);
  const LogHit& big = r.hits[std::find(want.begin(), want.end(), 1501) - want.begin()];
  EXPECT_NE(big.excerpt.find("akamaicontainer.com"), std::string::npos);
  EXPECT_EQ(big.excerpt.substr(0, 3), "...");
  EXPECT_EQ(text.substr(big.offset, 19), "akamaicontainer.com");
}

TEST_F(LogsTest, EmptyFile) {
  Add(Kind::kDomain, "akamaicontainer.com");
  fs::path p = dir_ / "empty.log";
  WriteFile(p, "");
  auto r = Scan(p);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_EQ(r.lines, 0u);
  EXPECT_TRUE(r.hits.empty());
}

TEST_F(LogsTest, CapKeepsCounting) {
  Add(Kind::kDomain, "akamaicontainer.com");
  std::string text;
  for (int i = 0; i < 100; ++i)
    text += "2023-03-30T10:00:" + std::string(i < 10 ? "0" : "") + std::to_string(i % 60) +
            "Z q akamaicontainer.com\n";
  fs::path p = dir_ / "cap.log";
  WriteFile(p, text);
  LogOptions opts;
  opts.max_hits_per_file = 5;
  auto r = Scan(p, opts);
  EXPECT_EQ(r.hits.size(), 5u);
  EXPECT_EQ(r.hits_total, 100u);
  ASSERT_EQ(r.tally.size(), 1u);
  const Tally& t = r.tally.begin()->second;
  EXPECT_EQ(t.hits, 100u);
  EXPECT_EQ(FormatIsoUtc(*t.first_ms), "2023-03-30T10:00:00Z");
  EXPECT_EQ(FormatIsoUtc(*t.last_ms), "2023-03-30T10:00:59Z");
  sweep::ContactTimeline tl;  // the pipeline's timeline, fed as the log sweep feeds it
  tl.Add(Contacts(r.tally));
  tl.Add(Contacts(r.tally));
  auto e = tl.Entries(+[](const ioc::Indicator* i) { return std::string_view(i->value); });
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].hits, 200u);
  EXPECT_EQ(e[0].files, 2u);
  Finding f = ToFinding(p.string(), r.hits[0]);
  EXPECT_EQ(f.module, "log");
  ASSERT_EQ(f.reasons.size(), 1u);
  EXPECT_EQ(f.reasons[0].kind, "c2");
  EXPECT_EQ(f.level, Level::kAlert);
  EXPECT_EQ(std::get<std::int64_t>(f.extra[0].second), 1);
  EXPECT_EQ(f.extra[2].first, "time");
}

// Regression (issue 11): the cap was shared by all indicators, so one whose
// first hit came after 1,000 hits of another got no finding at all.
TEST_F(LogsTest, CapCountsPerIndicator) {
  Add(Kind::kDomain, "akamaicontainer.com");
  Add(Kind::kDomain, "planted-late.example");
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "noise " + std::to_string(i) + " akamaicontainer.com\n";
  text += "the one that matters planted-late.example\n";
  fs::path p = dir_ / "flood.log";
  WriteFile(p, text);
  LogOptions opts;
  opts.max_hits_per_file = 5;
  opts.chunk_bytes = 4096;  // many chunks, merged in order
  auto r = Scan(p, opts);
  EXPECT_EQ(r.hits_total, 3001u);
  ASSERT_EQ(r.hits.size(), 6u);
  EXPECT_EQ(r.hits.back().indicator->value, "planted-late.example");
  EXPECT_EQ(r.hits.back().line, 3001u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(r.hits[i].line, static_cast<std::uint64_t>(i + 1));
}

// Regression (issue 11): a line longer than max_line_bytes with no safe byte
// to cut at was cut anyway, splitting a domain across two chunks (missed).
TEST_F(LogsTest, ForcedCutNeverSplitsAToken) {
  Add(Kind::kDomain, "akamaicontainer.com");
  LogOptions opts;
  opts.chunk_bytes = 4096;
  opts.max_line_bytes = 65536;  // the forced cut falls at byte 65536
  for (std::size_t start : {std::size_t{65530}, std::size_t{65536 - 19}, std::size_t{65536},
                            std::size_t{65540}, std::size_t{2 * 65536 - 3}}) {
    SCOPED_TRACE(start);
    std::string line;  // path-like filler: no space, tab, quote or NUL to cut at
    while (line.size() < start) line += "x/";
    line.resize(start - 1);
    line += "/akamaicontainer.com/";
    while (line.size() < 300000) line += "y/";
    line += "\nnext line akamaicontainer.com\n";
    fs::path p = dir_ / "cut.log";
    WriteFile(p, line);
    auto r = Scan(p, opts);
    EXPECT_FALSE(r.error);
    ASSERT_EQ(r.hits.size(), 2u) << "found once each, never twice; total " << r.hits_total
                                 << " bytes " << r.bytes << " lines " << r.lines;
    EXPECT_EQ(r.hits[0].line, 1u);
    EXPECT_EQ(r.hits[0].offset, start);
    EXPECT_EQ(line.substr(r.hits[0].offset, 19), "akamaicontainer.com");
    EXPECT_EQ(r.hits[1].line, 2u);
    EXPECT_EQ(r.lines, 2u);
    EXPECT_EQ(r.bytes, line.size());
  }
}

// The contact index from the log sweep's own pass: every host, address and
// URL of every line, with counts, times and the first line naming it, the
// same however the file is cut into parallel chunks (and across a forced cut
// of an endless line: a token in the repeated overlap is counted once).
std::map<std::string, HostSeen> CollectAll(const LogScanner& scanner, const std::string& text) {
  std::map<std::string, HostSeen> out;
  scanner.ScanBuffer(text, "syslog", 1680300000, [&](std::vector<HostSeen>&& batch) {
    for (HostSeen& h : batch) {  // batches come in file order: merged as the inventory does
      std::string key = h.kind + " " + h.value;
      auto [it, fresh] = out.try_emplace(key, h);
      if (fresh) continue;
      HostSeen& m = it->second;
      m.count += h.count;
      if (h.first_ms && (!m.first_ms || *h.first_ms < *m.first_ms)) m.first_ms = h.first_ms;
      if (h.last_ms && (!m.last_ms || *h.last_ms > *m.last_ms)) m.last_ms = h.last_ms;
    }
  });
  return out;
}

TEST_F(LogsTest, HostsFromEveryLineAnyChunking) {
  std::string text;
  for (int i = 0; i < 400; ++i)
    text += "Mar 30 10:" + std::to_string(10 + i % 50) + ":00 web app: GET https://h" +
            std::to_string(i % 7) + ".example.com/p?q=" + std::to_string(i) + " from 10.0.0." +
            std::to_string(i % 3) + " [2001:db8::" + std::to_string(i % 2) + "]\n";
  text += "no time here but cdn.example.org\n";
  std::map<std::string, HostSeen> want;
  {
    LogOptions opts;  // one chunk
    LogScanner scanner(Matcher(), opts);
    want = CollectAll(scanner, text);
  }
  ASSERT_EQ(want.count("domain h3.example.com"), 1u);
  const HostSeen& h3 = want["domain h3.example.com"];
  EXPECT_EQ(h3.count, 57u);  // lines 4, 11, ... (400 / 7, rounded up for i % 7 == 3)
  EXPECT_EQ(h3.line, 4u);
  ASSERT_TRUE(h3.first_ms && h3.last_ms);
  EXPECT_EQ(FormatIsoUtc(*h3.first_ms), "2023-03-30T10:10:00Z");
  EXPECT_EQ(FormatIsoUtc(*h3.last_ms), "2023-03-30T10:59:00Z");
  EXPECT_EQ(want["ipv4 10.0.0.2"].count, 133u);
  EXPECT_EQ(want["ipv6 2001:db8::1"].line, 2u);
  EXPECT_EQ(want["url https://h0.example.com/p?q=0"].count, 1u);
  const HostSeen& cdn = want["domain cdn.example.org"];
  EXPECT_EQ(cdn.line, 401u);
  EXPECT_FALSE(cdn.first_ms);
  EXPECT_EQ(want.size(), 7u + 3u + 2u + 400u + 1u);
  for (std::size_t chunk : {std::size_t{64}, std::size_t{1000}, std::size_t{4096}}) {
    SCOPED_TRACE(chunk);
    LogOptions opts;
    opts.chunk_bytes = chunk;
    LogScanner scanner(Matcher(), opts);
    auto got = CollectAll(scanner, text);
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [k, w] : want) {
      const HostSeen& g = got[k];
      EXPECT_EQ(g.count, w.count) << k;
      EXPECT_EQ(g.line, w.line) << k;
      EXPECT_EQ(g.first_ms, w.first_ms) << k;
      EXPECT_EQ(g.last_ms, w.last_ms) << k;
    }
  }
  // An endless line cut by force: the host in the repeated overlap counts once.
  LogOptions opts;
  opts.chunk_bytes = 4096;
  opts.max_line_bytes = 65536;
  std::string line;
  while (line.size() < 65536 - 100) line += "x/";
  line += "/akamaicontainer.com/";
  while (line.size() < 200000) line += "y/";
  line += "\nnext.example.net\n";
  LogScanner scanner(Matcher(), opts);
  auto cut = CollectAll(scanner, line);
  EXPECT_EQ(cut["domain akamaicontainer.com"].count, 1u);
  EXPECT_EQ(cut["domain next.example.net"].line, 2u);
}

TEST_F(LogsTest, NotRegularOrMissing) {
  Add(Kind::kDomain, "akamaicontainer.com");
  LogScanner scanner(Matcher(), {});
  EXPECT_FALSE(scanner.Scan((dir_ / "missing.log").string()).ok());
  fs::path fifo = dir_ / "fifo.log";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_FALSE(scanner.Scan(fifo.string()).ok());  // refused, never blocks
  fs::path target = dir_ / "t.log";
  WriteFile(target, "akamaicontainer.com\n");
  fs::create_symlink(target, dir_ / "link.log");
  EXPECT_FALSE(scanner.Scan((dir_ / "link.log").string()).ok());
}

// --- Real sample logs: indicators picked from their own lines -------------

std::string Shared(const char* rel) { return std::string(TRAWL_SHARED_DATA) + "/logs/" + rel; }

TEST_F(LogsTest, ZeekDnsHostFromItsOwnLines) {
  std::string path = Shared("zeek_btest/opt.basic_dns.log");
  std::string text = ReadFile(path);
  Add(Kind::kDomain, "wikimedia.org");
  std::vector<std::uint64_t> want;
  auto lines = Lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty() || lines[i][0] == '#') continue;
    bool hit = false;
    for (auto field : Split(lines[i], '\t'))
      for (auto v : Split(field, ','))
        hit |=
            v == "wikimedia.org" || (v.size() > 14 && v.substr(v.size() - 14) == ".wikimedia.org");
    if (hit) want.push_back(i + 1);
  }
  ASSERT_GE(want.size(), 10u);  // meta. and upload.wikimedia.org, not *.ncsa.uiuc.edu
  auto r = Scan(path);
  auto all = HitLines(r);
  std::set<std::uint64_t> got(all.begin(), all.end());
  EXPECT_EQ(std::vector<std::uint64_t>(got.begin(), got.end()), want);
  EXPECT_EQ(r.format, Format::kZeek);
  for (const auto& h : r.hits) EXPECT_NE(h.matched.find("ncsa"), 0u);
}

TEST_F(LogsTest, ZeekConnIpAndTimes) {
  std::string path = Shared("lnav/logfile_bro_conn.log.0");
  std::string text = ReadFile(path);
  auto lines = Lines(text);
  // The responder address of the first data line.
  std::string ip;
  for (const auto& l : lines)
    if (!l.empty() && l[0] != '#') {
      ip = std::string(Split(l, '\t')[4]);
      break;
    }
  Add(Kind::kIpv4, ip);
  std::vector<std::uint64_t> want;
  std::vector<std::string> ts;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty() || lines[i][0] == '#') continue;
    auto f = Split(lines[i], '\t');
    bool hit = false;
    for (auto v : f) hit |= v == ip;
    if (hit) {
      want.push_back(i + 1);
      ts.emplace_back(f[0]);
    }
  }
  ASSERT_FALSE(want.empty());
  auto r = Scan(path);
  ASSERT_EQ(HitLines(r), want);
  for (std::size_t i = 0; i < want.size(); ++i) {
    auto dot = ts[i].find('.');
    std::int64_t ms = std::stoll(ts[i].substr(0, dot)) * 1000 + std::stoi(ts[i].substr(dot + 1, 3));
    ASSERT_TRUE(r.hits[i].time_unix_ms);
    EXPECT_EQ(*r.hits[i].time_unix_ms, ms);
  }
}

TEST_F(LogsTest, SquidUrlFromItsOwnLines) {
  std::string path = Shared("netdata_go.d/squid_access.log");
  std::string text = ReadFile(path);
  auto lines = Lines(text);
  const std::string url = "cache_object://localhost/counters";
  Add(Kind::kUrl, url);
  std::vector<std::uint64_t> want;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::string field;
    bool hit = false;
    while (in >> field) hit |= field.rfind(url, 0) == 0;
    if (hit) want.push_back(i + 1);
  }
  ASSERT_GT(want.size(), 100u);
  LogOptions opts;
  opts.max_hits_per_file = 100000;
  auto r = Scan(path, opts);
  EXPECT_EQ(HitLines(r), want);  // "localhost" alone (a client name) is not the URL
  EXPECT_EQ(r.format, Format::kSquid);
  ASSERT_FALSE(r.hits.empty());
  EXPECT_TRUE(r.hits[0].time_unix_ms);
}

TEST_F(LogsTest, W3cClientIpAndTime) {
  std::string path = Shared("lnav/logfile_w3c_big.0");
  std::string text = ReadFile(path);
  auto lines = Lines(text);
  std::string ip = "157.55.39.146";
  Add(Kind::kIpv4, ip);
  std::vector<std::uint64_t> want;
  std::vector<std::string> when;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty() || lines[i][0] == '#') continue;
    auto f = Split(lines[i], ' ');
    bool hit = false;
    for (auto v : f) hit |= v == ip;
    if (hit) {
      want.push_back(i + 1);
      when.push_back(std::string(f[0]) + "T" + std::string(f[1]) + "Z");
    }
  }
  ASSERT_FALSE(want.empty());
  auto r = Scan(path);
  ASSERT_EQ(HitLines(r), want);
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(r.hits[i].time_text, when[i]);
}

TEST_F(LogsTest, ScanBufferMatchesFile) {
  Add(Kind::kDomain, "akamaicontainer.com");
  LogScanner scanner(Matcher(), {});
  auto r = scanner.ScanBuffer(kSyslog, "syslog", 1680393600);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].time_text, "2023-03-30T10:00:01Z");
}

// Regression (issue 10): the log sweep opened a log by its full path and
// read whatever the name held by then. It now opens the walked entry in the
// directory the walk holds and only when it is the device and inode walked:
// a file put in its place after the walk is an error record, and not read.
TEST_F(LogsTest, SweepReportsALogSwappedAfterTheWalkAndDoesNotReadIt) {
  Add(Kind::kDomain, "akamaicontainer.com");
  WriteFile(dir_ / "app.log", "Mar 30 10:00:01 host nothing here\n");
  sweep::Engine engine;
  engine.net = &Matcher();
  sweep::Settings settings;
  std::vector<std::string> notes;
  auto made = LogSweepRegistration().make(engine, settings, notes);
  ASSERT_TRUE(made.ok()) << made.status().message();
  ASSERT_NE(*made, nullptr);
  sweep::Sweep& sw = **made;

  testsupport::WalkedFile walked(dir_.string(), "app.log");
  WriteFile(dir_ / "swap.tmp", kSyslog);  // another inode, with a hit
  ASSERT_EQ(::rename((dir_ / "swap.tmp").c_str(), (dir_ / "app.log").c_str()), 0);
  testsupport::Recorder rec;
  ASSERT_TRUE(sw.Claims(walked.Item()));
  sw.Scan(walked.Item(), nullptr, rec);
  EXPECT_TRUE(rec.findings.empty());
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].path, walked.path());
  EXPECT_EQ(rec.errors[0].module, "log");
  EXPECT_NE(rec.errors[0].message.find("replaced since it was walked"), std::string::npos)
      << rec.errors[0].message;

  // The same name walked afresh is read, and its hit found.
  testsupport::WalkedFile again(dir_.string(), "app.log");
  testsupport::Recorder rec2;
  sw.Scan(again.Item(), nullptr, rec2);
  EXPECT_TRUE(rec2.errors.empty());
  EXPECT_EQ(rec2.findings.size(), 2u);  // the hit, and its aggregate for people
}

}  // namespace
}  // namespace trawl::logs
