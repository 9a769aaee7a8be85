// The compiled-rules cache (--yara-cache): an entry written after compiling
// is loaded by the next Compile of the same rules and scans exactly as the
// compiled rules do; a change of any rule file, of the options, or a damaged
// entry is never trusted; a read-only cache writes nothing. And ScanMapped:
// a mapped file that shrinks under the scan is an error, not a crash.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cache.h"
#include "trawl/testsupport/temp_dir.h"
#include "trawl/yara/yara.h"

namespace trawl::yara {
namespace {
namespace fs = std::filesystem;
using testsupport::TempDir;

// Rules of several routes: PE-only with the pe module, ELF-only, a
// string-free one, a private rule referenced by another, one per size bucket.
const char* kRulesA = R"(
import "pe"
rule pe_marker {
  strings: $a = "PEMARKER"
  condition: uint16(0) == 0x5a4d and $a and (pe.is_pe == 0 or pe.is_pe == 1)
}
rule elf_marker {
  strings: $a = "ELFMARKER" nocase
  condition: uint32(0) == 0x464c457f and $a
}
rule tiny_file { condition: filesize < 8 }
private rule helper { strings: $h = { 48 45 4c 50 45 52 } condition: $h }
rule uses_helper { strings: $x = /any[0-9]+thing/ condition: helper or $x }
rule large_only {
  strings: $l = "BIGMARKER"
  condition: filesize > 1MB and $l
}
)";
const char* kRulesB = R"(
rule text_marker { strings: $t = "TEXTMARKER" wide ascii condition: $t }
)";
const char* kBroken = "rule broken { condition: nonsense_identifier }\n";

struct Sample {
  std::string name, data;
};

std::vector<Sample> Samples() {
  std::string big(1u << 21, 'x');
  big.replace(1000, 9, "BIGMARKER");
  return {{"pe", std::string("MZ") + std::string(200, '\0') + "PEMARKER"},
          {"elf", std::string("\x7f" "ELF", 4) + "junk elfmarker junk"},
          {"tiny", "abc"},
          {"helper", "text HELPER text"},
          {"regex", "text any42thing"},
          {"text", "TEXTMARKER"},
          {"wide", std::string("T\0E\0X\0T\0M\0A\0R\0K\0E\0R\0", 20)},
          {"nothing", std::string(4096, 'q')},
          {"big", big}};
}

using Hits = std::map<std::string, std::set<std::string>>;

Hits ScanSamples(const std::shared_ptr<const Rules>& rules) {
  Scanner scanner(rules, 60);
  Hits hits;
  for (const Sample& s : Samples()) {
    ScanReport report;
    Status st = scanner.Scan(reinterpret_cast<const std::uint8_t*>(s.data.data()), s.data.size(),
                             {}, report);
    EXPECT_TRUE(st.ok()) << s.name << ": " << st.message();
    for (const Match& m : report.matches) hits[s.name].insert(m.rule);
  }
  return hits;
}

struct Fixture {
  TempDir dir;
  std::string rules = dir.path() + "/rules";
  std::string cache = dir.path() + "/cache";
  Fixture() {
    dir.Write("rules/a.yar", kRulesA);
    dir.Write("rules/b.yar", kRulesB);
    dir.Write("rules/c_broken.yar", kBroken);
  }
  std::shared_ptr<const Rules> Load(CompileStats& stats, CompileOptions o = {}) const {
    o.cache_dir = cache;
    o.cache_tag = "test";
    auto r = Rules::Compile({rules}, {}, stats, o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().message());
    return r.ok() ? *r : nullptr;
  }
  std::vector<fs::path> Entries() const {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cache, ec)) out.push_back(e.path());
    return out;
  }
};

const Hits kExpected = {{"pe", {"pe_marker"}},     {"elf", {"elf_marker"}},
                        {"tiny", {"tiny_file"}},   {"helper", {"uses_helper"}},
                        {"regex", {"uses_helper"}}, {"text", {"text_marker"}},
                        {"wide", {"text_marker"}}, {"big", {"large_only"}}};

TEST(YaraCacheTest, WrittenThenLoadedAndScansTheSame) {
  Fixture f;
  CompileStats first;
  auto compiled = f.Load(first);
  ASSERT_TRUE(compiled);
  EXPECT_EQ(first.cache, "written") << first.cache_note;
  ASSERT_EQ(f.Entries().size(), 1u);
  EXPECT_EQ(first.cache_entry, f.Entries()[0].string());
  EXPECT_EQ(ScanSamples(compiled), kExpected);

  CompileStats second;
  auto loaded = f.Load(second);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(second.cache, "hit") << second.cache_note;
  EXPECT_EQ(second.cache_entry, first.cache_entry);
  // The load problems and counts are those of the compile, from the entry.
  EXPECT_EQ(second.files, first.files);
  EXPECT_EQ(second.files_ok, first.files_ok);
  EXPECT_EQ(second.rules, first.rules);
  ASSERT_EQ(second.problems.size(), 1u);
  EXPECT_EQ(second.problems[0].where, first.problems[0].where);
  EXPECT_NE(second.problems[0].where.find("c_broken.yar"), std::string::npos);
  EXPECT_EQ(loaded->rule_count(), compiled->rule_count());
  EXPECT_TRUE(loaded->routing());
  EXPECT_EQ(loaded->prefilter(), compiled->prefilter());
  EXPECT_EQ(loaded->skippable_rules(), compiled->skippable_rules());
  for (int c = 0; c < kRouteClasses; ++c) {
    EXPECT_EQ(loaded->RulesInClass(c), compiled->RulesInClass(c)) << c;
    EXPECT_EQ(loaded->PrefilterRulesInClass(c), compiled->PrefilterRulesInClass(c)) << c;
  }
  EXPECT_EQ(ScanSamples(loaded), kExpected);
}

TEST(YaraCacheTest, ExactModeIsCachedApart) {
  Fixture f;
  CompileStats routed, exact;
  ASSERT_TRUE(f.Load(routed));
  CompileOptions o;
  o.exact = true;
  auto r = f.Load(exact, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(exact.cache, "written");  // another key: not the routed entry
  EXPECT_EQ(f.Entries().size(), 2u);
  EXPECT_FALSE(r->routing());
  CompileStats again;
  auto r2 = f.Load(again, o);
  EXPECT_EQ(again.cache, "hit");
  EXPECT_EQ(ScanSamples(r2), kExpected);
}

TEST(YaraCacheTest, ChangedRuleFileIsCompiledAgain) {
  Fixture f;
  CompileStats first;
  ASSERT_TRUE(f.Load(first));
  f.dir.Write("rules/b.yar", std::string(kRulesB) + "rule added { strings: $n = \"NEWMARK\" condition: $n }\n");
  CompileStats second;
  auto r = f.Load(second);
  ASSERT_TRUE(r);
  EXPECT_EQ(second.cache, "written");
  EXPECT_NE(second.cache_entry, first.cache_entry);
  Scanner s(r, 10);
  auto m = s.Scan(reinterpret_cast<const std::uint8_t*>("a NEWMARK b"), 11, {});
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].rule, "added");
}

TEST(YaraCacheTest, DamagedEntryIsNotTrusted) {
  Fixture f;
  CompileStats first;
  ASSERT_TRUE(f.Load(first));
  const std::string entry = first.cache_entry;
  const auto size = fs::file_size(entry);
  auto flip = [&](std::uintmax_t at) {
    std::fstream io(entry, std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(static_cast<std::streamoff>(at));
    char c = 0;
    io.get(c);
    io.seekp(static_cast<std::streamoff>(at));
    io.put(static_cast<char>(c ^ 0x5a));
  };
  // A byte flipped in the whole set's blob (the first, after the 8-byte
  // magic): its SHA-256 differs, the entry is not used.
  flip(100);
  CompileStats second;
  auto r = f.Load(second);
  ASSERT_TRUE(r);
  EXPECT_EQ(second.cache, "written");
  EXPECT_NE(second.cache_note.find("not used"), std::string::npos) << second.cache_note;
  EXPECT_EQ(ScanSamples(r), kExpected);
  // A byte flipped in a class set's blob (loaded when first needed): that
  // set is compiled instead, the matches are the same.
  flip(size - 4096);
  CompileStats lazy;
  r = f.Load(lazy);
  ASSERT_TRUE(r);
  EXPECT_EQ(ScanSamples(r), kExpected);
  // Truncated: not an entry at all.
  fs::resize_file(entry, size / 3);
  CompileStats third;
  r = f.Load(third);
  ASSERT_TRUE(r);
  EXPECT_EQ(third.cache, "written");
  EXPECT_NE(third.cache_note.find("not a trawl YARA cache entry"), std::string::npos)
      << third.cache_note;
  CompileStats fourth;
  r = f.Load(fourth);
  EXPECT_EQ(fourth.cache, "hit");
  EXPECT_EQ(ScanSamples(r), kExpected);
}

TEST(YaraCacheTest, ReadOnlyCacheWritesNothing) {
  Fixture f;
  CompileOptions o;
  o.cache_read_only = true;
  o.cache_read_only_why = "inside the scan root /";
  CompileStats stats;
  auto r = f.Load(stats, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(stats.cache, "not written");
  EXPECT_NE(stats.cache_note.find("inside the scan root /"), std::string::npos);
  EXPECT_FALSE(fs::exists(f.cache));  // not even created
  // Filled elsewhere, it is read.
  CompileStats fill;
  ASSERT_TRUE(f.Load(fill));
  CompileStats ro;
  r = f.Load(ro, o);
  EXPECT_EQ(ro.cache, "hit");
  EXPECT_EQ(ScanSamples(r), kExpected);
}

TEST(YaraCacheTest, EntryFormatRejectsForeignFiles) {
  TempDir dir;
  std::string p = dir.Write("x.trawlyc", std::string(100, 'A'));
  auto e = cache::Entry::Open(p);
  EXPECT_FALSE(e.ok());
  auto w = cache::EntryWriter::Create(dir.path() + "/ok.trawlyc");
  ASSERT_TRUE(w.ok());
  auto b0 = (*w)->AddBlob("first blob");
  auto b1 = (*w)->AddBlob("");
  ASSERT_TRUE(b0.ok() && b1.ok());
  ASSERT_TRUE((*w)->Finish("the meta").ok());
  auto r = cache::Entry::Open(dir.path() + "/ok.trawlyc");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->meta(), "the meta");
  ASSERT_EQ((*r)->blob_count(), 2u);
  EXPECT_EQ(*(*r)->Blob(0), "first blob");
  EXPECT_EQ(*(*r)->Blob(1), "");
  EXPECT_FALSE((*r)->Blob(2).ok());
}

// A mapped file truncated under the scan: SIGBUS is caught, the scan is an
// error, and the scanner works for the next buffer.
TEST(YaraMappedTest, FileShrinkingUnderTheScanIsAnError) {
  TempDir dir;
  CompileStats stats;
  auto rules = Rules::Compile({dir.Write("r.yar", kRulesA)}, stats);
  ASSERT_TRUE(rules.ok());
  Scanner scanner(*rules, 10);
  const std::size_t size = 4u << 20;
  std::string path = dir.Write("victim", std::string(size, 'z'));
  int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_EQ(::ftruncate(fd, 0), 0);  // every page now past the end
  ScanReport report;
  Status st = scanner.ScanMapped(static_cast<const std::uint8_t*>(p), size, {}, report);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("SIGBUS"), std::string::npos) << st.message();
  EXPECT_TRUE(report.matches.empty());
  ::munmap(p, size);
  ::close(fd);
  std::string elf = std::string("\x7f" "ELF", 4) + " ELFMARKER";
  st = scanner.Scan(reinterpret_cast<const std::uint8_t*>(elf.data()), elf.size(), {}, report);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(report.matches.size(), 1u);
  EXPECT_EQ(report.matches[0].rule, "elf_marker");
  // And a mapped file that stays whole scans as a buffer does.
  std::string whole = dir.Write("whole", elf + std::string(size, ' '));
  fd = ::open(whole.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  p = ::mmap(nullptr, elf.size() + size, PROT_READ, MAP_PRIVATE, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  st = scanner.ScanMapped(static_cast<const std::uint8_t*>(p), elf.size() + size, {}, report);
  EXPECT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(report.matches.size(), 1u);
  EXPECT_EQ(report.matches[0].rule, "elf_marker");
  ::munmap(p, elf.size() + size);
  ::close(fd);
}

}  // namespace
}  // namespace trawl::yara
