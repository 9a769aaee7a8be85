#include "trawl/match/filename.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <gtest/gtest.h>
#include <pcre2.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "trawl/testsupport/temp_dir.h"

namespace trawl::match {
namespace {

ioc::Indicator Filename(std::string regex, std::string fp = "", std::string source = "test:1") {
  ioc::Indicator ind;
  ind.kind = ioc::Kind::kFilename;
  ind.value = std::move(regex);
  ind.fp_regex = std::move(fp);
  ind.score = 80;
  ind.source = std::move(source);
  return ind;
}

std::vector<const ioc::Indicator*> Pointers(const std::vector<ioc::Indicator>& v) {
  std::vector<const ioc::Indicator*> out;
  for (const auto& i : v) out.push_back(&i);
  return out;
}

FilenameMatcher BuildOrDie(const std::vector<ioc::Indicator>& inds, BuildStats& stats) {
  auto m = FilenameMatcher::Build(Pointers(inds), stats);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.status().message());
  return std::move(m).value();
}

bool Matches(const std::string& regex, const std::string& fp, const std::string& path) {
  std::vector<ioc::Indicator> inds{Filename(regex, fp)};
  BuildStats stats;
  FilenameMatcher m = BuildOrDie(inds, stats);
  EXPECT_EQ(stats.patterns, 1u);
  EXPECT_EQ(stats.failed, 0u) << regex;
  auto scratch = m.MakeScratch();
  std::vector<const ioc::Indicator*> hits;
  m.Match(path, *scratch, hits);
  EXPECT_EQ(scratch->engine_errors(), 0u);
  EXPECT_LE(hits.size(), 1u);
  return !hits.empty();
}

struct Case {
  const char* regex;
  const char* fp;
  const char* path;
  bool match;
};

// Python re.search semantics, checked by hand against CPython.
const Case kCases[] = {
    // Search, not full match.
    {R"(mimikatz\.exe)", "", "/tmp/x/mimikatz.exe", true},
    {R"(mimikatz\.exe)", "", "/tmp/x/mimikatz.exe.bak", true},
    {R"(mimikatz\.exe)", "", "/tmp/x/mimikatz_exe", false},
    // Case-sensitive unless (?i).
    {R"(mimikatz\.exe)", "", "/tmp/MIMIKATZ.EXE", false},
    {R"((?i)mimikatz\.exe)", "", "/tmp/MIMIKATZ.EXE", true},
    {R"((?i)\\temp\\m\.exe)", "", R"(C:\TEMP\M.EXE)", true},
    // Windows separators: "\\" in the pattern is one literal backslash.
    {R"(\\Temp\\evil\.exe)", "", R"(C:\Users\a\Temp\evil.exe)", true},
    {R"(\\Temp\\evil\.exe)", "", "/home/a/Temp/evil.exe", false},
    {R"([Cc]:\\Windows\\[a-z]{3}\.exe)", "", R"(c:\Windows\abc.exe)", true},
    {R"([Cc]:\\Windows\\[a-z]{3}\.exe)", "", R"(c:\Windows\ab.exe)", false},
    // Anchors.
    {R"(^/tmp/)", "", "/tmp/a", true},
    {R"(^/tmp/)", "", "/var/tmp/a", false},
    {R"(\.exe$)", "", "/a/b.exe", true},
    {R"(\.exe$)", "", "/a/b.exe.txt", false},
    {R"(\.exe$)", "", "/a/b.exe\n", true},     // $ before a trailing newline
    {R"(\.exe$)", "", "/a/b.exe\n\n", false},  // but only one
    {R"(\.exe\Z)", "", "/a/b.exe\n", false},   // Python \Z: the very end
    {R"(\.exe\Z)", "", "/a/b.exe", true},
    {R"(^/a$)", "", "/x\n/a", false},  // no MULTILINE
    // `.` does not match a newline (no DOTALL).
    {R"(a.b)", "", "/a\nb", false},
    {R"(a.b)", "", "/a-b", true},
    {R"((?s)a.b)", "", "/a\nb", true},
    // The false-positive regex cancels the hit.
    {R"(\\svchost\.exe)", R"((?i)\\System32\\)", R"(C:\Windows\System32\svchost.exe)", false},
    {R"(\\svchost\.exe)", R"((?i)\\System32\\)", R"(C:\Users\a\svchost.exe)", true},
    // Constructs Vectorscan rejects go to PCRE2 and still match.
    {R"((ab)\1\.exe)", "", "/tmp/abab.exe", true},
    {R"((ab)\1\.exe)", "", "/tmp/abba.exe", false},
    {R"(evil(?=\.exe))", "", "/tmp/evil.exe", true},
    {R"(evil(?=\.exe))", "", "/tmp/evil.dll", false},
    {R"((?<!\.)evil)", "", "/tmp/x.evil", false},
    // Empty-width pattern: Python matches everything.
    {R"(x*)", "", "/anything", true},
};

TEST(FilenameMatcherTest, PythonSearchSemantics) {
  for (const Case& c : kCases) {
    EXPECT_EQ(Matches(c.regex, c.fp, c.path), c.match)
        << "regex=" << c.regex << " fp=" << c.fp << " path=" << c.path;
  }
}

TEST(FilenameMatcherTest, FallbackIsCountedAndReported) {
  std::vector<ioc::Indicator> inds{Filename(R"(plain\.exe)", "", "f.txt:1"),
                                   Filename(R"((a)\1)", "", "f.txt:2")};
  BuildStats stats;
  FilenameMatcher m = BuildOrDie(inds, stats);
  EXPECT_EQ(stats.patterns, 2u);
  EXPECT_EQ(stats.vectorscan, 1u);
  EXPECT_EQ(stats.fallback, 1u);
  EXPECT_EQ(stats.failed, 0u);
  ASSERT_EQ(stats.problems.size(), 1u);
  EXPECT_EQ(stats.problems[0].where, "f.txt:2");
  EXPECT_NE(stats.problems[0].message.find("compiled with PCRE2 fallback"), std::string::npos);
  EXPECT_FALSE(m.empty());
}

TEST(FilenameMatcherTest, UncompilablePatternIsReportedWithSource) {
  std::vector<ioc::Indicator> inds{Filename(R"(ok\.exe)", "", "f.txt:7"),
                                   Filename(R"(bad(\.exe)", "", "f.txt:8"),
                                   Filename(R"(ok2\.exe)", R"(unclosed[)", "f.txt:9")};
  BuildStats stats;
  FilenameMatcher m = BuildOrDie(inds, stats);
  EXPECT_EQ(stats.patterns, 3u);
  EXPECT_EQ(stats.vectorscan, 2u);
  EXPECT_EQ(stats.failed, 1u);
  EXPECT_EQ(stats.fp_failed, 1u);
  ASSERT_EQ(stats.problems.size(), 2u);
  EXPECT_EQ(stats.problems[0].where, "f.txt:9");
  EXPECT_NE(stats.problems[0].message.find("false-positive regex"), std::string::npos);
  EXPECT_EQ(stats.problems[1].where, "f.txt:8");
  EXPECT_NE(stats.problems[1].message.find("neither engine"), std::string::npos);
  // The rest still match; the indicator with a broken fp regex applies without it.
  auto scratch = m.MakeScratch();
  std::vector<const ioc::Indicator*> hits;
  m.Match("/x/ok.exe/ok2.exe", *scratch, hits);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0], &inds[0]);
  EXPECT_EQ(hits[1], &inds[2]);
}

// LOKI's parser leaked one line's fp regex into the next indicators; here an
// fp regex cancels only its own indicator.
TEST(FilenameMatcherTest, FpRegexDoesNotLeakToOtherIndicators) {
  std::vector<ioc::Indicator> inds{Filename(R"(\.exe)", R"(good)"), Filename(R"(evil)"),
                                   Filename(R"(goo+d)"), Filename(R"((x)\1|good)", R"(good)")};
  BuildStats stats;
  FilenameMatcher m = BuildOrDie(inds, stats);
  auto scratch = m.MakeScratch();
  std::vector<const ioc::Indicator*> hits;
  m.Match("/tmp/good/evil.exe", *scratch, hits);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0], &inds[1]);
  EXPECT_EQ(hits[1], &inds[2]);
}

TEST(FilenameMatcherTest, HitsInBuildOrderEachOnce) {
  std::vector<ioc::Indicator> inds{Filename("c"), Filename(R"((b)\1)"), Filename("a"),
                                   Filename("x")};
  BuildStats stats;
  FilenameMatcher m = BuildOrDie(inds, stats);
  auto scratch = m.MakeScratch();
  std::vector<const ioc::Indicator*> hits;
  m.Match("/aaa/bb/ccc/aaa", *scratch, hits);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0], &inds[0]);
  EXPECT_EQ(hits[1], &inds[1]);
  EXPECT_EQ(hits[2], &inds[2]);
}

TEST(FilenameMatcherTest, EmptyAndNonFilenameIndicators) {
  std::vector<ioc::Indicator> inds{Filename("x")};
  inds[0].kind = ioc::Kind::kMd5;
  BuildStats stats;
  FilenameMatcher m = BuildOrDie(inds, stats);
  EXPECT_EQ(stats.patterns, 0u);
  EXPECT_TRUE(m.empty());
  auto scratch = m.MakeScratch();
  std::vector<const ioc::Indicator*> hits;
  m.Match("/x", *scratch, hits);
  m.Match("", *scratch, hits);
  EXPECT_TRUE(hits.empty());
}

TEST(FilenameMatcherTest, ScratchPerThread) {
  std::vector<ioc::Indicator> inds{Filename(R"(\.exe$)"), Filename(R"((z)\1)")};
  BuildStats stats;
  const FilenameMatcher m = BuildOrDie(inds, stats);
  std::vector<std::size_t> counts(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      auto scratch = m.MakeScratch();
      std::vector<const ioc::Indicator*> hits;
      for (int i = 0; i < 2000; ++i) m.Match(i % 2 ? "/a.exe" : "/zz", *scratch, hits);
      counts[t] = hits.size();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counts[0], 2000u);
  EXPECT_EQ(counts[1], 2000u);
}

TEST(FilenameMatcherTest, DatabaseCache) {
  testsupport::TempDir tmp("trawl-hs");
  const std::string dir = tmp.path() + "/cache";
  std::vector<ioc::Indicator> inds{Filename(R"(\\evil\.exe$)"), Filename(R"((?i)mimi)"),
                                   Filename(R"((q)\1)")};
  auto run = [&](const BuildOptions& opt, BuildStats& stats) {
    auto m = FilenameMatcher::Build(Pointers(inds), stats, opt);
    EXPECT_TRUE(m.ok());
    auto scratch = m->MakeScratch();
    std::vector<const ioc::Indicator*> hits;
    m->Match(R"(C:\MIMI\qq\evil.exe)", *scratch, hits);
    return hits.size();
  };
  BuildStats first, second, third, other;
  EXPECT_EQ(run({dir}, first), 3u);
  EXPECT_FALSE(first.cache_hit);
  EXPECT_EQ(first.cache_error, "");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);

  EXPECT_EQ(run({dir}, second), 3u);  // same result from the cached database
  EXPECT_TRUE(second.cache_hit);
  EXPECT_EQ(second.vectorscan, 2u);
  EXPECT_EQ(second.fallback, 1u);

  // A corrupt cache file is rebuilt, not an error.
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.write("garbage!garbage!", 16);
  }
  EXPECT_EQ(run({dir}, third), 3u);
  EXPECT_FALSE(third.cache_hit);

  // Other patterns: another key.
  inds[1].value = "(?i)other";
  EXPECT_EQ(run({dir}, other), 2u);
  EXPECT_FALSE(other.cache_hit);
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file();
  EXPECT_EQ(n, 2u);

  // No cache dir: nothing written, no hit.
  BuildStats none;
  EXPECT_EQ(run({}, none), 2u);
  EXPECT_FALSE(none.cache_hit);
}

// --- The whole of signature-base's filename IOCs ---------------------------

// Parses REGEX;SCORE[;FP_REGEX] lines as LOKI does (comments and blanks skipped).
std::vector<ioc::Indicator> LoadSigBaseFilenames(const std::string& file) {
  std::vector<ioc::Indicator> out;
  std::ifstream in(file);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, ';')) cols.push_back(col);
    if (cols.empty()) continue;
    out.push_back(Filename(cols[0], cols.size() > 2 ? cols[2] : "",
                           "filename-iocs.txt:" + std::to_string(lineno)));
  }
  return out;
}

const std::string kSigBaseFile =
    std::string(TRAWL_SHARED_DATA) + "/signature-base/iocs/filename-iocs.txt";

TEST(FilenameMatcherSigBaseTest, EveryPatternAccountedFor) {
  std::vector<ioc::Indicator> inds = LoadSigBaseFilenames(kSigBaseFile);
  ASSERT_GT(inds.size(), 3000u);
  BuildStats stats;
  FilenameMatcher m = BuildOrDie(inds, stats);
  EXPECT_EQ(stats.patterns, inds.size());
  EXPECT_EQ(stats.vectorscan + stats.fallback + stats.failed, stats.patterns);
  EXPECT_EQ(stats.problems.size(), stats.fallback + stats.failed + stats.fp_failed);
  // Almost all go to Vectorscan (PLATFORM.md: all but one).
  EXPECT_GE(stats.vectorscan, stats.patterns - 10);
  for (const auto& p : stats.problems) {
    EXPECT_NE(p.where.find("filename-iocs.txt:"), std::string::npos);
    std::printf("  problem %s: %s\n", p.where.c_str(), p.message.c_str());
  }
  std::printf(
      "  patterns=%zu vectorscan=%zu fallback=%zu failed=%zu fp_failed=%zu db=%zu bytes, "
      "build %.2f s\n",
      stats.patterns, stats.vectorscan, stats.fallback, stats.failed, stats.fp_failed,
      m.database_bytes(), stats.seconds);
  EXPECT_GT(m.database_bytes(), 0u);

  // With the cache: the second build loads the database.
  testsupport::TempDir tmp("trawl-hs");
  const std::string& tmpl = tmp.path();
  BuildStats miss, hit;
  ASSERT_TRUE(FilenameMatcher::Build(Pointers(inds), miss, {tmpl}).ok());
  auto cached = FilenameMatcher::Build(Pointers(inds), hit, {tmpl});
  ASSERT_TRUE(cached.ok());
  EXPECT_TRUE(hit.cache_hit);
  EXPECT_EQ(hit.vectorscan, stats.vectorscan);
  EXPECT_EQ(cached->database_bytes(), m.database_bytes());
  std::printf("  with cache: miss %.2f s, hit %.2f s\n", miss.seconds, hit.seconds);
}

// Reference: each pattern alone on PCRE2, Python options.
struct PcreRef {
  std::vector<pcre2_code*> codes;
  ~PcreRef() {
    for (auto* c : codes) pcre2_code_free(c);
  }
};

std::string ToPcre(const std::string& p) {  // Python \Z is PCRE \z
  std::string out;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\' && i + 1 < p.size()) {
      out += '\\';
      out += p[i + 1] == 'Z' ? 'z' : p[i + 1];
      ++i;
    } else {
      out += p[i];
    }
  }
  return out;
}

// A string that pattern likely matches: literals kept, escapes resolved,
// first alternative taken, classes replaced by a member, quantifiers applied
// once (or `n` times for {n}).
std::string Witness(const std::string& p) {
  std::string out;
  std::size_t i = 0;
  if (p.rfind("(?i)", 0) == 0) i = 4;
  char last = 0;
  auto emit = [&](char c) {
    out += c;
    last = c;
  };
  while (i < p.size()) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char e = p[i + 1];
      i += 2;
      if (e == 'd')
        emit('1');
      else if (e == 'w')
        emit('a');
      else if (e == 's')
        emit(' ');
      else if (e == 'b' || e == 'B' || e == 'A' || e == 'Z')
        continue;
      else
        emit(e);
    } else if (c == '[') {
      std::size_t j = i + 1;
      bool neg = j < p.size() && p[j] == '^';
      if (neg) ++j;
      char member = p[j] == '\\' && j + 1 < p.size() ? p[j + 1] : p[j];
      if (p[j] == '\\' && j + 1 < p.size() && p[j + 1] == 'd') member = '1';
      ++j;
      while (j < p.size() && p[j] != ']') j += p[j] == '\\' ? 2 : 1;
      emit(neg ? 'Q' : member);
      i = j + 1;
    } else if (c == '|') {  // skip to the end of this group's alternatives
      int depth = 0;
      while (i < p.size()) {
        if (p[i] == '\\') {
          i += 2;
          continue;
        }
        if (p[i] == '(') ++depth;
        if (p[i] == ')') {
          if (depth == 0) break;
          --depth;
        }
        ++i;
      }
    } else if (c == '{') {
      std::size_t close = p.find('}', i);
      if (close == std::string::npos) {
        emit(c);
        ++i;
        continue;
      }
      int n = std::atoi(p.c_str() + i + 1);
      for (int k = 1; k < n && last; ++k) out += last;
      i = close + 1;
    } else if (c == '(') {
      ++i;
      if (i < p.size() && p[i] == '?') {
        while (i < p.size() && p[i] != ':' && p[i] != ')') ++i;
        ++i;
      }
    } else if (c == ')' || c == '?' || c == '*' || c == '+' || c == '^' || c == '$') {
      ++i;
    } else if (c == '.') {
      emit('x');
      ++i;
    } else {
      emit(c);
      ++i;
    }
  }
  return out;
}

// Vectorscan (through the matcher) and PCRE2 (pattern by pattern, the
// reference) must agree on every path for every pattern both compile.
TEST(FilenameMatcherSigBaseTest, VectorscanAgreesWithPcre2) {
  std::vector<ioc::Indicator> all = LoadSigBaseFilenames(kSigBaseFile);
  ASSERT_GT(all.size(), 3000u);
  for (auto& ind : all) ind.fp_regex.clear();  // compare the main patterns only

  PcreRef ref;
  std::vector<const ioc::Indicator*> both;
  for (const auto& ind : all) {
    int err = 0;
    PCRE2_SIZE off = 0;
    std::string pat = ToPcre(ind.value);
    pcre2_code* c = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pat.data()), pat.size(),
                                  PCRE2_NEVER_UTF, &err, &off, nullptr);
    if (c == nullptr) continue;
    pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
    ref.codes.push_back(c);
    both.push_back(&ind);
  }
  BuildStats stats;
  auto built = FilenameMatcher::Build(both, stats);
  ASSERT_TRUE(built.ok());
  const FilenameMatcher& m = *built;

  std::vector<std::string> paths = {
      R"(C:\Windows\System32\svchost.exe)", R"(C:\Users\Public\a.exe)", "/usr/bin/ls",
      R"(C:\Windows\Temp\x.bat)",           R"(C:\ProgramData\p.dll)",  "/tmp/.X11-unix/x"};
  for (std::size_t i = 0; i < all.size(); i += 5) {
    std::string w = Witness(all[i].value);
    paths.push_back(w);
    paths.push_back(R"(C:\Users\a)" + w);
    paths.push_back(w + "\n");
  }

  pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
  auto scratch = m.MakeScratch();
  std::size_t compared = 0, positives = 0;
  for (const std::string& path : paths) {
    std::vector<const ioc::Indicator*> hits;
    m.Match(path, *scratch, hits);
    std::set<const ioc::Indicator*> got(hits.begin(), hits.end());
    for (std::size_t k = 0; k < both.size(); ++k) {
      int rc = pcre2_match(ref.codes[k], reinterpret_cast<PCRE2_SPTR>(path.data()), path.size(), 0,
                           0, md, nullptr);
      ASSERT_TRUE(rc >= 0 || rc == PCRE2_ERROR_NOMATCH) << both[k]->value;
      bool want = rc >= 0;
      positives += want;
      ++compared;
      EXPECT_EQ(got.count(both[k]) == 1, want)
          << "pattern " << both[k]->source << " " << both[k]->value << " path " << path;
    }
  }
  pcre2_match_data_free(md);
  EXPECT_EQ(scratch->engine_errors(), 0u);
  std::printf("  %zu paths x %zu patterns compared, %zu matches\n", paths.size(), both.size(),
              positives);
  // The witnesses must exercise real matches, or the comparison proves little.
  EXPECT_GT(positives, paths.size() / 3);
}

}  // namespace
}  // namespace trawl::match
