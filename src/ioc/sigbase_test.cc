// signature-base grammars: tables of good and bad lines, and the real files.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.h"
#include "trawl/core/text.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {
namespace {

using testing::Loaded;
using testing::ProblemsText;
using testing::Skipped;

TEST(SigBaseHash, Grammar) {
  const std::string md5 = "0c2674c3a97c53082187d930efb645c2";
  const std::string sha1 = "20d554a80d759c50d6537dd7097fed84dd258b3e";
  const std::string sha256 = "c03318cb12b827c03d556c8747b1e323225df97bdc4258c2756b0d6a4fd52b47";
  struct Row {
    std::string line;
    Kind kind;
    int score;
    std::string description;
  };
  const Row rows[] = {
      {md5 + ";DEEP PANDA Sakula", Kind::kMd5, 100, "DEEP PANDA Sakula"},
      {sha1 + ";80;Named score", Kind::kSha1, 80, "Named score"},
      {sha256 + ";0;zero is a score", Kind::kSha256, 0, "zero is a score"},
      // ';' inside descriptions (real lines of signature-base look like this).
      {sha256 + ";Triton - flogon.js; - https://x", Kind::kSha256, 100,
       "Triton - flogon.js; - https://x"},
      {md5 + ";used by X; uses GitHub gist", Kind::kMd5, 100, "used by X; uses GitHub gist"},
      // A second field that is not a number belongs to the description (a
      // number out of 0..100 is a bad score: freetext_test.cc, issue 11).
      {md5 + ";1.5;not a score", Kind::kMd5, 100, "1.5;not a score"},
      {md5 + ";80", Kind::kMd5, 100, "80"},  // HASH;DESCRIPTION
      {md5 + ";90;a;b;c", Kind::kMd5, 90, "a;b;c"},
      {"  " + md5 + " ;  spaced  ", Kind::kMd5, 100, "spaced"},
      {"0C2674C3A97C53082187D930EFB645C2;upper", Kind::kMd5, 100, "upper"},
  };
  for (const Row& r : rows) {
    IndicatorSet set;
    LoadStats st = LoadText(r.line + "\n", Format::kSigBaseHash, "h.txt", set);
    ASSERT_EQ(set.size(), 1u) << r.line << "\n" << ProblemsText(st);
    const Indicator ind = set.Materialize()[0];
    EXPECT_EQ(ind.kind, r.kind) << r.line;
    EXPECT_EQ(ind.value, ToLowerAscii(TrimAscii(r.line.substr(0, r.line.find(';'))))) << r.line;
    EXPECT_EQ(ind.score, r.score) << r.line;
    EXPECT_EQ(ind.description, r.description) << r.line;
    EXPECT_EQ(ind.source, "h.txt:1");
    EXPECT_TRUE(st.problems.empty());
  }
}

TEST(SigBaseHash, CommentDescribesHashWithoutDescription) {
  IndicatorSet set;
  std::string text =
      "# Group A\n"
      "0c2674c3a97c53082187d930efb645c2\n"
      "000c907d39924de62b5891f8d0e03116;own description\n"
      "#\n"  // empty comment lines do not clear the description
      "\n"
      "1c2674c3a97c53082187d930efb645c2;\n";
  LoadStats st = LoadText(text, Format::kSigBaseHash, "h.txt", set);
  ASSERT_EQ(set.size(), 3u) << ProblemsText(st);
  EXPECT_EQ(set.Materialize()[0].description, "Group A");
  EXPECT_EQ(set.Materialize()[1].description, "own description");
  EXPECT_EQ(set.Materialize()[2].description, "Group A");
  EXPECT_EQ(set.Materialize()[2].source, "h.txt:6");
}

TEST(SigBaseHash, BadLinesAreReportedWithFileAndLine) {
  struct Row {
    std::string line;
    std::string reason;
  };
  const Row rows[] = {
      {"0c2674c3a97c53082187d930efb645c;31 hex digits", "bad hash length"},
      {"0c2674c3a97c53082187d930efb645c2aa;34", "bad hash length"},
      {"0c2674c3a97c53082187d930efb645cz;not hex", "not hex"},
      {";no hash", "empty hash"},
      {"evil.com;a domain in a hash file", "not hex"},
      {"d41d8cd98f00b204e9800998ecf8427e;empty file", "hash of an empty or newline-only file"},
      {std::string("0c2674c3a97c53082187d930efb645c2;nul\0byte", 42), "NUL byte"},
      {"0c2674c3a97c53082187d930efb645c2;bad \xff utf8", "invalid UTF-8"},
      {"0c2674c3a97c53082187d930efb645c2;esc \x1b[31m", "control character"},
  };
  for (const Row& r : rows) {
    IndicatorSet set;
    std::string text = "# header\n\n" + r.line + "\n";
    LoadStats st = LoadText(text, Format::kSigBaseHash, "dir/h.txt", set);
    EXPECT_EQ(set.size(), 0u) << r.line;
    ASSERT_EQ(st.problems.size(), 1u) << r.line;
    EXPECT_EQ(st.problems[0].where, "dir/h.txt:3") << r.line;
    EXPECT_EQ(st.problems[0].message.rfind(r.reason, 0), 0u) << st.problems[0].message;
    EXPECT_EQ(Skipped(st, r.reason), 1u) << r.line;
    // The message never carries raw control bytes.
    for (char c : st.problems[0].message) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
  }
}

TEST(SigBaseHash, DuplicatesCountedNotProblems) {
  IndicatorSet set;
  LoadStats st =
      LoadText("0c2674c3a97c53082187d930efb645c2;a\n0C2674C3A97C53082187D930EFB645C2;b\n",
               Format::kSigBaseHash, "h.txt", set);
  EXPECT_EQ(set.size(), 1u);
  EXPECT_EQ(Skipped(st, "duplicate"), 1u);
  EXPECT_TRUE(st.problems.empty());
  EXPECT_EQ(set.Materialize()[0].description, "a");
}

TEST(SigBaseHash, TrustedHashesSuppressAndAreNotIndicators) {
  IndicatorSet set;
  LoadStats st = LoadText(
      "# known good\n0C2674C3A97C53082187D930EFB645C2;vendor tool\n"
      "d41d8cd98f00b204e9800998ecf8427e;empty file may be trusted\nnot-a-hash\n",
      Format::kSigBaseTrustedHash, "falsepositive-hashes.txt", set);
  EXPECT_EQ(set.size(), 0u);
  EXPECT_TRUE(set.IsTrustedHash("0c2674c3a97c53082187d930efb645c2"));
  EXPECT_TRUE(set.IsTrustedHash("d41d8cd98f00b204e9800998ecf8427e"));
  EXPECT_EQ(st.loaded.at("trusted_hash"), 2u);
  ASSERT_EQ(st.problems.size(), 1u);
  EXPECT_EQ(st.problems[0].where, "falsepositive-hashes.txt:4");
}

TEST(SigBaseFilename, Grammar) {
  struct Row {
    std::string line;
    std::string regex;
    int score;
    std::string fp;
  };
  const Row rows[] = {
      {"\\\\svcsstat\\.exe;70", "\\\\svcsstat\\.exe", 70, ""},
      {"(?i)\\\\procdump(64)?(a)?\\.(exe|zip);50;(?i)(SysInternals\\\\)",
       "(?i)\\\\procdump(64)?(a)?\\.(exe|zip)", 50, "(?i)(SysInternals\\\\)"},
      {"\\\\x\\.exe;60;", "\\\\x\\.exe", 60, ""},   // empty FP regex: none
      {"\\\\x\\.exe;60  ", "\\\\x\\.exe", 60, ""},  // trailing blanks dropped
      {"  leading kept;40", "  leading kept", 40, ""},
      {"[^;]+\\.evil;75", "[^;]+\\.evil", 75, ""},  // ';' inside the regex
      {"a;b\\.exe;65;fp;with;semis", "a;b\\.exe", 65, "fp;with;semis"},
      {"\\\\(server|svchost)\\.exe$;0", "\\\\(server|svchost)\\.exe$", 0, ""},
      {"C:\\\\Users\\\\caf\xc3\xa9\\\\x\\.exe;80", "C:\\\\Users\\\\caf\xc3\xa9\\\\x\\.exe", 80, ""},
  };
  for (const Row& r : rows) {
    IndicatorSet set;
    LoadStats st = LoadText("# Desc\n" + r.line + "\r\n", Format::kSigBaseFilename, "f.txt", set);
    ASSERT_EQ(set.size(), 1u) << r.line << "\n" << ProblemsText(st);
    const Indicator ind = set.Materialize()[0];
    EXPECT_EQ(ind.kind, Kind::kFilename);
    EXPECT_EQ(ind.value, r.regex) << r.line;
    EXPECT_EQ(ind.score, r.score) << r.line;
    EXPECT_EQ(ind.fp_regex, r.fp) << r.line;
    EXPECT_EQ(ind.description, "Desc");
    EXPECT_EQ(ind.source, "f.txt:2");
  }
}

TEST(SigBaseFilename, BadLines) {
  struct Row {
    std::string line;
    std::string reason;
  };
  const Row rows[] = {
      {"\\\\x\\.exe", "missing score"},
      {"\\\\x\\.exe;high", "bad score"},
      {"\\\\x\\.exe;101", "bad score"},
      {"\\\\x\\.exe;-5", "bad score"},
      {"\\\\x\\.exe;1000;fp", "bad score"},
      {";80", "empty regex"},
      {"   ;80", "empty regex"},
  };
  for (const Row& r : rows) {
    IndicatorSet set;
    LoadStats st = LoadText("\n" + r.line + "\n", Format::kSigBaseFilename, "f.txt", set);
    EXPECT_EQ(set.size(), 0u) << r.line;
    ASSERT_EQ(st.problems.size(), 1u) << r.line;
    EXPECT_EQ(st.problems[0].where, "f.txt:2");
    EXPECT_EQ(st.problems[0].message.rfind(r.reason, 0), 0u) << st.problems[0].message;
    EXPECT_EQ(Skipped(st, r.reason), 1u);
  }
}

// Regression for LOKI's leak: the FP regex of one line applied to the next.
TEST(SigBaseFilename, NoFalsePositiveRegexLeaksIntoTheNextLine) {
  IndicatorSet set;
  LoadStats st =
      LoadText("a\\.exe;50;Program Files\nb\\.exe;60\n", Format::kSigBaseFilename, "f.txt", set);
  ASSERT_EQ(set.size(), 2u) << ProblemsText(st);
  EXPECT_EQ(set.Materialize()[0].fp_regex, "Program Files");
  EXPECT_EQ(set.Materialize()[1].fp_regex, "");
  EXPECT_EQ(set.Materialize()[1].score, 60);
}

// Regression for LOKI's C2 bug: entries kept with their line break never match.
TEST(SigBaseC2, LineBreaksStrippedAndCommentBlocksDescribe) {
  IndicatorSet set;
  std::string text =
      "# FireEye Operation Snowman\r\n"
      "suroot.com\r\n"
      "58.64.143.244\r\n"
      "\r\n"
      "after-blank.org\r\n"
      "# Second group\n"
      "Upper.Example.NET.;65\n"
      "2001:DB8::1\n"
      "10.0.0.0/8;40\n"
      "hxxps://evil[.]com/x\n";
  LoadStats st = LoadText(text, Format::kSigBaseC2, "c2.txt", set);
  ASSERT_TRUE(st.problems.empty()) << ProblemsText(st);
  ASSERT_EQ(set.size(), 7u);
  struct Want {
    Kind kind;
    const char* value;
    int score;
    const char* desc;
  };
  const Want want[] = {
      {Kind::kDomain, "suroot.com", 100, "FireEye Operation Snowman"},
      {Kind::kIpv4, "58.64.143.244", 100, "FireEye Operation Snowman"},
      {Kind::kDomain, "after-blank.org", 100, "FireEye Operation Snowman"},
      {Kind::kDomain, "upper.example.net", 65, "Second group"},
      {Kind::kIpv6, "2001:db8::1", 100, "Second group"},
      {Kind::kCidr, "10.0.0.0/8", 40, "Second group"},
      {Kind::kUrl, "https://evil.com/x", 100, "Second group"},
  };
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(set.Materialize()[i].kind, want[i].kind) << i;
    EXPECT_EQ(set.Materialize()[i].value, want[i].value) << i;
    EXPECT_EQ(set.Materialize()[i].score, want[i].score) << i;
    EXPECT_EQ(set.Materialize()[i].description, want[i].desc) << i;
  }
  EXPECT_EQ(st.loaded.at("domain"), 3u);
}

TEST(SigBaseC2, BadLines) {
  struct Row {
    std::string line;
    std::string reason;
  };
  const Row rows[] = {
      {"evil.com;200", "bad score"},
      {"evil.com;abc", "unrecognised c2 value"},
      {"not a host", "unrecognised c2 value"},
      {"1.2.3.256", "unrecognised c2 value"},
      {"localhost", "unrecognised c2 value"},
      {"0c2674c3a97c53082187d930efb645c2", "unrecognised c2 value"},  // a hash is no C2
      {"http://", "unrecognised c2 value"},
  };
  for (const Row& r : rows) {
    IndicatorSet set;
    LoadStats st = LoadText("ok.com\n" + r.line + "\n", Format::kSigBaseC2, "c2.txt", set);
    EXPECT_EQ(set.size(), 1u) << r.line;
    ASSERT_EQ(st.problems.size(), 1u) << r.line;
    EXPECT_EQ(st.problems[0].where, "c2.txt:2");
    EXPECT_EQ(st.problems[0].message.rfind(r.reason, 0), 0u) << st.problems[0].message;
  }
}

TEST(SigBaseKeyword, VerbatimLiterals) {
  IndicatorSet set;
  LoadStats st = LoadText(
      "# Mimikatz\nsekurlsa::LogonPasswords\nsekurlsa::logonpasswords\r\n<3 eo.oe\n"
      "%COMSPEC% /C start %COMSPEC% /C \\\\WINDOWS\\\\Temp\n",
      Format::kSigBaseKeyword, "keywords.txt", set);
  ASSERT_TRUE(st.problems.empty()) << ProblemsText(st);
  ASSERT_EQ(set.size(), 4u);  // case matters: two distinct keywords
  EXPECT_EQ(set.Materialize()[1].value, "sekurlsa::logonpasswords");
  EXPECT_EQ(set.Materialize()[2].value, "<3 eo.oe");
  EXPECT_EQ(set.Materialize()[3].value, "%COMSPEC% /C start %COMSPEC% /C \\\\WINDOWS\\\\Temp");
  EXPECT_EQ(set.Materialize()[0].description, "Mimikatz");
  EXPECT_EQ(set.Materialize()[0].kind, Kind::kKeyword);
}

// Counts the lines that are entries: neither blank nor comments.
uint64_t EntryLines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    ++n;
  }
  return n;
}

TEST(SigBaseReal, EveryEntryLineLoadsOrIsADuplicate) {
  const std::filesystem::path dir =
      std::filesystem::path(TRAWL_SHARED_DATA) / "signature-base/iocs";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (!IsIndicatorFileName(name)) continue;
    ++files;
    IndicatorSet set;
    Result<LoadStats> r = LoadFile(e.path(), Format::kAuto, set);
    ASSERT_TRUE(r.ok()) << r.status().message();
    const LoadStats& st = *r;
    EXPECT_TRUE(st.problems.empty()) << name << "\n" << ProblemsText(st);
    uint64_t lines = EntryLines(e.path());
    EXPECT_GT(lines, 0u) << name;
    EXPECT_EQ(Loaded(st) + Skipped(st, "duplicate"), lines) << name;
    EXPECT_EQ(Loaded(st), set.size()) << name;
  }
  EXPECT_EQ(files, 4);  // hash, filename, c2, keywords
}

TEST(SigBaseReal, KnownLinesKeepTheirMeaning) {
  const std::filesystem::path dir =
      std::filesystem::path(TRAWL_SHARED_DATA) / "signature-base/iocs";
  IndicatorSet set;
  ASSERT_TRUE(LoadDirectory(dir.parent_path(), set).ok());
  // hash-iocs.txt line 862 has ';' inside its description.
  auto h = set.FindHash(
      Kind::kSha256, "f81aa77d23ca6662efb3e6e33538a60e39abb5ca66102e07ffa318a6d6cd78ec");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->description.rfind("Triton Actor TTP IOCs - flogon.js; - https://", 0), 0u);
  EXPECT_EQ(h->source, (dir / "hash-iocs.txt").string() + ":862");
  // c2-iocs.txt line 1904 carries a score; the 3CX block is described by its comment.
  bool scored = false, described = false;
  for (const Indicator* c : set.OfKind(Kind::kIpv4))
    if (c->value == "176.123.5.126") scored = c->score == 65;
  for (const Indicator* c : set.OfKind(Kind::kDomain))
    if (c->value == "msstorageboxes.com")
      described = c->description.find("3CX Compromise IOCs") == 0;
  EXPECT_TRUE(scored);
  EXPECT_TRUE(described);
  // The filename file has FP regexes; no two consecutive entries share one by leaking.
  size_t with_fp = 0;
  for (const Indicator* f : set.OfKind(Kind::kFilename)) with_fp += !f->fp_regex.empty();
  EXPECT_GT(with_fp, 0u);
  EXPECT_LT(with_fp, 40u);
}

}  // namespace
}  // namespace trawl::ioc
