// Routing end to end: trawl's routed scan finds, file for file and rule for
// rule, what the whole rule set finds (exact mode) and what `yara -r` finds,
// over a corpus this test builds; the split after a timeout; md5 only when a
// rule needs it.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "route.h"
#include "trawl/testsupport/temp_dir.h"
#include "trawl/yara/yara.h"

namespace trawl::yara {
namespace {
namespace fs = std::filesystem;

using testsupport::TempDir;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<const Rules> Load(const std::vector<std::string>& paths, bool exact) {
  CompileStats stats;
  CompileOptions o;
  o.exact = exact;
  auto r = Rules::Compile(paths, {}, stats, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().message());
  EXPECT_TRUE(stats.problems.empty()) << stats.problems.front().where << ": "
                                      << stats.problems.front().message;
  return r.ok() ? *r : nullptr;
}

using Hits = std::map<std::string, std::set<std::string>>;  // file -> "ns:rule"

Hits ScanAll(const std::shared_ptr<const Rules>& rules, const std::vector<fs::path>& files,
             ScanCounters* counters = nullptr) {
  Scanner scanner(rules, 60);
  Hits hits;
  for (const fs::path& f : files) {
    std::string data = ReadAll(f);
    ScanReport report;
    Status s = scanner.Scan(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), {},
                            report);
    EXPECT_TRUE(s.ok()) << f << ": " << s.message();
    EXPECT_TRUE(report.timed_out.empty()) << f;
    auto& h = hits[f.string()];
    for (const Match& m : report.matches) h.insert(m.ns_file + ":" + m.rule);
  }
  if (counters) *counters = scanner.counters();
  return hits;
}

// `yara -r` over `dir` with every rule file in its own namespace (its path),
// the externals declared empty as trawl's test scans leave them.
Hits YaraCli(const std::vector<std::string>& rule_files, const fs::path& dir,
             const std::vector<fs::path>& files) {
  std::string cmd = "yara -r -e -N -w -d filename= -d filepath= -d extension= -d filetype= "
                    "-d owner= -d md5=";
  for (const std::string& r : rule_files) cmd += " '" + r + ":" + r + "'";
  cmd += " '" + dir.string() + "' 2>&1";
  Hits hits;
  for (const fs::path& f : files) hits[f.string()];
  FILE* p = popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  if (!p) return hits;
  char line[8192];
  while (std::fgets(line, sizeof line, p)) {
    std::string l(line);
    if (!l.empty() && l.back() == '\n') l.pop_back();
    // "<ns>:<rule> <path>"; the namespace is a path without spaces.
    std::size_t sp = l.find(' ');
    EXPECT_NE(sp, std::string::npos) << l;
    if (sp == std::string::npos) continue;
    hits[l.substr(sp + 1)].insert(l.substr(0, sp));
  }
  EXPECT_EQ(pclose(p), 0) << cmd;
  return hits;
}

void ExpectSame(const Hits& want, const Hits& got, const char* what) {
  for (const auto& [file, rules] : want) {
    auto it = got.find(file);
    std::set<std::string> g = it == got.end() ? std::set<std::string>{} : it->second;
    EXPECT_EQ(g, rules) << what << ": " << file;
  }
  EXPECT_EQ(want.size(), got.size()) << what;
}

std::size_t Count(const Hits& h) {
  std::size_t n = 0;
  for (const auto& [f, r] : h) n += r.size();
  return n;
}

// Rules of every kind the router treats differently.
const char* kPeRules = R"(import "pe"
rule pe_gated { strings: $s = "PE_MARK" condition: uint16(0) == 0x5a4d and $s }
rule pe_imphash_or_strings {
  strings: $s = "PE_MARK" $t = "ANY_MARK"
  condition: (uint16(0) == 0x5a4d and pe.number_of_sections > 0 and $s) or $t }
rule pe_is_pe { condition: pe.is_pe }
rule not_pe_is_pe { strings: $t = "ANY_MARK" condition: not pe.is_pe and $t }
rule not_exports { strings: $t = "ANY_MARK" condition: $t and not pe.exports("NoSuchExport") }
rule not_is_dll { strings: $t = "ANY_MARK" condition: not pe.is_dll() and $t }
rule sections_loop {
  condition: for any i in (0 .. pe.number_of_sections - 1) : ( pe.sections[i].name == ".text" ) }
rule for_all_sections {
  strings: $t = "ANY_MARK"
  condition: $t and for all i in (0 .. pe.number_of_sections - 1) : ( pe.sections[i].raw_data_size > 0 ) }
rule entry_at { strings: $t = "ANY_MARK" condition: $t at pe.entry_point or $t at 0 }
rule machine { condition: pe.machine == pe.MACHINE_AMD64 }
)";

const char* kMagicRules = R"(
private rule IsElf { condition: uint32(0) == 0x464c457f }
rule elf_mark { strings: $e = "ELF_MARK" condition: IsElf and $e }
rule not_elf_mark { strings: $e = "ELF_MARK" condition: not IsElf and $e }
rule zip_or_ole_or_str {
  strings: $x = "ANY_MARK"
  condition: uint16(0) == 0x4b50 or uint32(0) == 0xe011cfd0 or uint32be(0) == 0x25504446 or $x }
rule hash_bang_loop { condition: for any i in (0..1) : ( uint8(i) == 0x23 ) }
rule php { strings: $p = "PHP_MARK" condition: uint16(0) == 0x3f3c and $p }
rule asp_or_rtf { condition: uint16(0) == 0x253c or uint32(0) == 0x74725c7b }
rule not_mz_small { condition: uint16(0) != 0x5a4d and filesize < 64 }
rule lnk { condition: uint32(0) == 0x0000004c }
rule macho { condition: uint32(0) == 0xfeedfacf or uint32(0) == 0xcafebabe }
rule short_elf_prefix { condition: uint16(0) == 0x457f }
rule big_any { condition: filesize > 100KB and uint8(0) != 0x4d }
rule uses_elf { condition: elf_mark or php }
rule small_mark { strings: $x = "ANY_MARK" condition: filesize < 1MB and $x }
rule large_mark { strings: $x = "ANY_MARK" condition: filesize >= 1MB and $x }
rule exactly_1mb { condition: filesize == 1048576 }
rule zip_upto_1mb { condition: filesize <= 1MB and uint16(0) == 0x4b50 }
rule not_small { strings: $x = "ANY_MARK" condition: not (filesize < 1048576) and $x }
)";

// A global rule limits its whole file: the file is compiled whole everywhere.
const char* kGlobalRules = R"(
global rule min_size { condition: filesize > 3 }
rule tiny_ok { strings: $a = "ANY_MARK" condition: $a }
)";

const char* kIncluded = R"(rule included_rule { strings: $a = "INC_MARK" condition: $a })";
const char* kIncluding = R"(include "inc/included.inc"
rule after_include { condition: included_rule and uint16(0) == 0x5a4d })";

// Builds a PE with MinGW (as the inventory tests do) and an ELF with cc.
std::string BuildBinary(const fs::path& dir, bool pe) {
  fs::path src = dir / (pe ? "pe.c" : "elf.c");
  std::ofstream(src) << "const char* m = \"" << (pe ? "PE_MARK" : "ELF_MARK")
                     << " ANY_MARK\";\nint main(void) { return m[0] == 0; }\n";
  fs::path out = dir / (pe ? "pe.exe" : "elf.bin");
  std::string cmd = std::string(pe ? "x86_64-w64-mingw32-gcc" : "cc") + " -o '" + out.string() +
                    "' '" + src.string() + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << ": needs gcc and gcc-mingw-w64-x86-64";
  fs::remove(src);
  return ReadAll(out);
}

TEST(RoutingTest, RoutedHitsEqualExactAndYaraCli) {
  TempDir rules_dir, corpus;
  std::vector<std::string> rule_files = {
      rules_dir.Write("pe.yar", kPeRules), rules_dir.Write("magic.yar", kMagicRules),
      rules_dir.Write("global.yar", kGlobalRules), rules_dir.Write("including.yar", kIncluding)};
  rules_dir.Write("inc/included.inc", kIncluded);

  const std::string marks = "\nPE_MARK ELF_MARK ANY_MARK PHP_MARK INC_MARK\n";
  const std::vector<std::pair<std::string, std::string>> heads = {
      {"mz", "MZ"},
      {"elfhead", std::string("\x7f" "ELF", 4)},
      {"macho", "\xcf\xfa\xed\xfe"},
      {"fat", "\xca\xfe\xba\xbe"},
      {"ole", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"},
      {"zip", "PK\x03\x04"},
      {"pdf", "%PDF-1.4"},
      {"sh", "#!/bin/sh"},
      {"php", "<?php"},
      {"asp", "<%@ Page"},
      {"lnk", std::string("\x4c\0\0\0\x01\x14\x02\0", 8)},
      {"rtf", "{\\rtf1"},
      {"text", "plain text"},
      {"short_elf", "\x7f" "Eab"}};
  std::vector<fs::path> files;
  auto add = [&](const std::string& name, const std::string& bytes) {
    files.push_back(corpus.Write(name, bytes));
  };
  for (const auto& [name, head] : heads) {
    add(name + "_bare", head);
    add(name + "_marks", head + marks);
    add(name + "_big", head + marks + std::string(150 << 10, 'x'));
  }
  for (std::size_t n : {0, 1, 2, 3, 4, 63, 64, 65}) add("size_" + std::to_string(n), std::string(n, 'M'));
  // Around the large-file bucket (1 MiB): its own sets, filesize bounds decided.
  for (const char* h : {"mz", "elfhead", "zip", "text"}) {
    std::string head;
    for (const auto& [name, bytes] : heads) {
      if (name == h) head = bytes + marks;
    }
    for (std::size_t n : {1048575, 1048576, 1048577, 2100000}) {
      add(std::string(h) + "_" + std::to_string(n), head + std::string(n - head.size(), 'y'));
    }
  }
  add("M_only", "M");
  add("MZ_only", "MZ");
  TempDir build;
  add("pe_real.exe", BuildBinary(build.path(), true));
  add("elf_real", BuildBinary(build.path(), false));
  std::sort(files.begin(), files.end());

  auto exact = Load(rule_files, true);
  auto routed = Load(rule_files, false);
  ASSERT_TRUE(exact && routed);
  EXPECT_FALSE(exact->routing());
  EXPECT_TRUE(routed->routing());

  Hits want = ScanAll(exact, files);
  ScanCounters counters;
  Hits got = ScanAll(routed, files, &counters);
  Hits cli = YaraCli(rule_files, corpus.path(), files);
  ExpectSame(cli, want, "exact vs yara -r");
  ExpectSame(want, got, "routed vs exact");
  ExpectSame(cli, got, "routed vs yara -r");
  // The corpus exercises the rules: many hits, every class seen.
  EXPECT_GT(Count(want), 150u);
  for (int c = 0; c < kRouteClasses; ++c) EXPECT_GT(counters.files_by_class[c], 0u) << c;
  EXPECT_EQ(counters.large_files, 12u);  // 4 heads x 3 sizes of 1 MiB or more
  // Rules that cannot match outside their class are left out of it.
  EXPECT_LT(routed->RulesInClass(route::kOther), routed->rule_count());
  EXPECT_LT(routed->RulesInClass(route::kElf), routed->rule_count());
  EXPECT_LT(routed->RulesInClass(route::kPe), routed->rule_count());
}

// Per routing decision: a rule the analysis cannot prove is in every set.
TEST(RoutingTest, UnprovableRulesAreInEverySet) {
  TempDir dir;
  std::string file = dir.Write("r.yar", R"(
rule pe_only { condition: uint16(0) == 0x5a4d }
rule strings_only { strings: $a = "x" condition: $a }
rule loop { condition: for any i in (0..2) : ( uint16(i) == 0x5a4d ) }
rule arithmetic { condition: (uint16(0) + 1) == 0x5a4e }
rule ext { condition: filename == "a" }
)");
  auto rules = Load({file}, false);
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->RulesInClass(route::kPe), 5u);
  for (int c = 0; c < kRouteClasses; ++c) {
    if (c != route::kPe) {
      EXPECT_EQ(rules->RulesInClass(c), 4u) << RouteClassName(c);
    }
  }
}

TEST(RoutingTest, GlobalAndIncludingFilesAreInEverySet) {
  TempDir dir;
  dir.Write("inc/included.inc", kIncluded);
  std::string g = dir.Write("g.yar", kGlobalRules);
  std::string i = dir.Write("i.yar", kIncluding);
  std::string pe = dir.Write("pe.yar", "rule pe_only { condition: uint16(0) == 0x5a4d }");
  auto rules = Load({g, i, pe}, false);
  ASSERT_TRUE(rules);
  // min_size + tiny_ok, the including file (counted as one unit), pe_only.
  EXPECT_EQ(rules->RulesInClass(route::kPe), 4u);
  EXPECT_EQ(rules->RulesInClass(route::kOther), 3u);
}

TEST(RoutingTest, ExactModeFromTheEnvironment) {
  TempDir dir;
  std::string file = dir.Write("r.yar", "rule pe_only { condition: uint16(0) == 0x5a4d }");
  setenv("TRAWL_YARA_EXACT", "1", 1);
  auto exact = Load({file}, false);
  unsetenv("TRAWL_YARA_EXACT");
  ASSERT_TRUE(exact);
  EXPECT_FALSE(exact->routing());
  EXPECT_EQ(exact->RulesInClass(route::kOther), 1u);
  auto routed = Load({file}, false);
  EXPECT_EQ(routed->RulesInClass(route::kOther), 0u);
}

TEST(RoutingTest, NeedsMd5OnlyWhenAConditionUsesIt) {
  TempDir dir;
  std::string meta = dir.Write("meta.yar", R"(import "hash"
rule m { meta: md5 = "abc" strings: $md5 = "x" condition: $md5 or hash.md5(0, filesize) == "y" })");
  std::string uses = dir.Write("uses.yar", R"(rule u { condition: md5 == "abc" })");
  EXPECT_FALSE(Load({meta}, false)->NeedsMd5());
  EXPECT_TRUE(Load({meta, uses}, false)->NeedsMd5());
  EXPECT_TRUE(Load({uses}, true)->NeedsMd5());
}

// issue 11: a timeout loses no other rule's match and names the slow rule.
TEST(RoutingTest, TimeoutSplitsTheSetAndNamesTheSlowRule) {
  TempDir dir;
  std::string slow = dir.Write("slow.yar", R"(
rule slow {
  condition:
    for all i in (0..filesize - 1) : (
      for all j in (0..filesize - 1) : ( uint8(i) == uint8(j) )
    )
}
private rule marker { strings: $q = "QUICK" condition: $q }
rule quick { condition: marker }
)");
  std::string other = dir.Write("other.yar", R"(
rule other_a { strings: $a = "QUICK" condition: $a }
rule other_b { condition: filesize > 1000 }
rule other_c { strings: $n = "NOPE" condition: $n }
)");
  for (bool exact : {true, false}) {
    auto rules = Load({slow, other}, exact);
    ASSERT_TRUE(rules);
    Scanner scanner(rules, 1);
    std::string big(4 << 20, '\0');
    big.replace(100, 5, "QUICK");
    ScanReport report;
    Status s = scanner.Scan(reinterpret_cast<const std::uint8_t*>(big.data()), big.size(), {},
                            report);
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_EQ(report.timed_out.size(), 1u);
    EXPECT_EQ(report.timed_out[0].rule, "slow");
    EXPECT_EQ(report.timed_out[0].ns_file, slow);
    std::set<std::string> got;
    for (const Match& m : report.matches) got.insert(m.rule);
    EXPECT_EQ(got, (std::set<std::string>{"quick", "other_a", "other_b"}));
    EXPECT_EQ(scanner.counters().timeouts, 1u);
    EXPECT_GT(scanner.counters().split_rescans, 1u);
  }
}

// The real-world set: signature-base over a corpus built from its own
// strings, two files per rule file (its text strings behind no magic, and
// behind the magic of a class taken in turn; some also padded past 1 MiB):
// the routed hits equal the whole set's.
TEST(RoutingTest, SignatureBaseRoutedEqualsExact) {
  const fs::path sb = fs::path(TRAWL_SHARED_DATA) / "signature-base" / "yara";
  ASSERT_TRUE(fs::is_directory(sb)) << sb;
  std::vector<fs::path> rule_files;
  for (const auto& e : fs::directory_iterator(sb)) {
    std::string ext = e.path().extension().string();
    if (ext == ".yar" || ext == ".yara") rule_files.push_back(e.path());
  }
  std::sort(rule_files.begin(), rule_files.end());
  ASSERT_GT(rule_files.size(), 500u);

  TempDir corpus;
  const std::vector<std::pair<std::string, std::string>> heads = {
      {"pe", "MZ\x90"}, {"elf", std::string("\x7f" "ELF\x02\x01", 6)}, {"sh", "#!/bin/bash\n"},
      {"php", "<?php\n"}, {"zip", "PK\x03\x04"}, {"ole", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"},
      {"txt", "\n"}};
  const std::regex text_string(R"re(\$[A-Za-z0-9_]*\s*=\s*"((?:[^"\\\n]|\\.)*)")re");
  std::vector<fs::path> files;
  for (std::size_t i = 0; i < rule_files.size(); ++i) {
    std::string text = ReadAll(rule_files[i]);
    std::string body;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), text_string);
         it != std::sregex_iterator(); ++it) {
      std::string s = (*it)[1];
      // The common escapes; the rest stays as written (still bytes of the rule).
      s = std::regex_replace(s, std::regex(R"(\\")"), "\"");
      s = std::regex_replace(s, std::regex(R"(\\\\)"), "\\");
      body += s + "\n";
    }
    const auto& [name, head] = heads[i % (heads.size() - 1)];
    files.push_back(corpus.Write(name + "/" + std::to_string(i), head + body));
    files.push_back(corpus.Write("txt/" + std::to_string(i), heads.back().second + body));
    if (i % 37 == 0) {  // some files of 1 MiB or more: the large-file sets
      std::string big = head + body;
      big.resize(std::max<std::size_t>(big.size(), 1100000), ' ');
      files.push_back(corpus.Write("big/" + std::to_string(i), big));
    }
  }
  std::vector<std::string> paths;
  for (const fs::path& p : rule_files) paths.push_back(p.string());
  CompileStats se, sr;
  CompileOptions exact_opt;
  exact_opt.exact = true;
  auto exact = Rules::Compile(paths, {}, se, exact_opt);
  auto routed = Rules::Compile(paths, {}, sr, CompileOptions{});
  ASSERT_TRUE(exact.ok() && routed.ok());
  Hits want = ScanAll(*exact, files);
  Hits got = ScanAll(*routed, files);
  ExpectSame(want, got, "signature-base routed vs exact");
  EXPECT_GT(Count(want), 1000u);  // the corpus does trigger rules
}

}  // namespace
}  // namespace trawl::yara
