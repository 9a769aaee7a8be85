// Format detection, plain lists, files and folders.
#include "trawl/ioc/loader.h"

#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "test_util.h"

namespace trawl::ioc {
namespace {

using testing::Loaded;
using testing::ProblemsText;
using testing::Skipped;
using testing::TempDir;

TEST(DetectFormat, ByName) {
  struct Row {
    const char* name;
    Format format;
  };
  const Row rows[] = {
      {"hash-iocs.txt", Format::kSigBaseHash},
      {"/x/iocs/my-hashes.txt", Format::kSigBaseHash},
      {"falsepositive-hashes.txt", Format::kSigBaseTrustedHash},
      {"Trusted-Hashes.TXT", Format::kSigBaseTrustedHash},
      {"filename-iocs.txt", Format::kSigBaseFilename},
      {"c2-iocs.txt", Format::kSigBaseC2},
      {"keywords.txt", Format::kSigBaseKeyword},
      {"feed.csv", Format::kCsv},
      {"hash-feed.CSV", Format::kCsv},
      {"iocs.txt", Format::kPlain},
      {"/c2dir/list.txt", Format::kPlain},  // only the file name counts
  };
  for (const Row& r : rows) EXPECT_EQ(DetectFormat(r.name), r.format) << r.name;
}

TEST(FormatName, RoundTrips) {
  for (Format f :
       {Format::kAuto, Format::kSigBaseHash, Format::kSigBaseFilename, Format::kSigBaseC2,
        Format::kSigBaseKeyword, Format::kSigBaseTrustedHash, Format::kPlain, Format::kCsv}) {
    Format back = Format::kAuto;
    ASSERT_TRUE(ParseFormat(FormatName(f), back)) << FormatName(f);
    EXPECT_EQ(back, f);
  }
  Format f;
  EXPECT_FALSE(ParseFormat("stix2", f));
  EXPECT_TRUE(ParseFormat("stix", f));  // issue 6
  EXPECT_EQ(f, Format::kStix);
}

TEST(Plain, KindsScoresCommentsAndRefanging) {
  std::string text =
      "# Campaign X\r\n"
      "evil[.]com\r\n"
      "hxxps://evil[.]com/payload?a=1;b=2\r\n"
      "1[.]2[.]3[.]4;70\r\n"
      "2001:db8::1\r\n"
      "\r\n"
      "# Hashes\r\n"
      "0C2674C3A97C53082187D930EFB645C2\r\n"
      "10.0.0.0/8 ;  55\r\n"
      "evil.com\r\n";  // duplicate of line 2
  IndicatorSet set;
  LoadStats st = LoadText(text, Format::kPlain, "p.txt", set);
  ASSERT_TRUE(st.problems.empty()) << ProblemsText(st);
  ASSERT_EQ(set.size(), 6u);
  EXPECT_EQ(set.Materialize()[0].value, "evil.com");
  EXPECT_EQ(set.Materialize()[0].description, "Campaign X");
  EXPECT_EQ(set.Materialize()[1].kind, Kind::kUrl);
  EXPECT_EQ(set.Materialize()[1].value, "https://evil.com/payload?a=1;b=2");
  EXPECT_EQ(set.Materialize()[2].value, "1.2.3.4");
  EXPECT_EQ(set.Materialize()[2].score, 70);
  EXPECT_EQ(set.Materialize()[3].kind, Kind::kIpv6);
  EXPECT_EQ(set.Materialize()[4].kind, Kind::kMd5);
  EXPECT_EQ(set.Materialize()[4].description, "Hashes");
  EXPECT_EQ(set.Materialize()[4].source, "p.txt:8");
  EXPECT_EQ(set.Materialize()[5].value, "10.0.0.0/8");
  EXPECT_EQ(set.Materialize()[5].score, 55);
  EXPECT_EQ(Skipped(st, "duplicate"), 1u);
  EXPECT_EQ(st.loaded.at("domain"), 1u);
  EXPECT_EQ(st.loaded.at("url"), 1u);
}

TEST(Plain, BadLines) {
  static const char kText[] =
      "ok.com\n"
      "foo\n"
      "1.2.3.256\n"
      "d41d8cd98f00b204e9800998ecf842\n"
      "evil.com;101\n"
      "nul\0here.com\n"
      "bad\xc3(.com\n"
      "ok2.com";  // no final line break
  IndicatorSet set;
  LoadStats st = LoadText(std::string(kText, sizeof kText - 1), Format::kPlain, "b.txt", set);
  EXPECT_EQ(set.size(), 2u);
  std::vector<std::pair<std::string, std::string>> want = {
      {"b.txt:2", "unrecognised value"}, {"b.txt:3", "unrecognised value"},
      {"b.txt:4", "unrecognised value"}, {"b.txt:5", "bad score"},
      {"b.txt:6", "NUL byte"},           {"b.txt:7", "invalid UTF-8"}};
  ASSERT_EQ(st.problems.size(), want.size()) << ProblemsText(st);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(st.problems[i].where, want[i].first);
    EXPECT_EQ(st.problems[i].message.rfind(want[i].second, 0), 0u) << st.problems[i].message;
  }
  // The NUL byte is shown escaped, never raw.
  EXPECT_NE(st.problems[4].message.find("\\x00"), std::string::npos) << st.problems[4].message;
  // Every rejection is both counted and listed.
  uint64_t skipped = 0;
  for (const auto& [reason, n] : st.skipped) skipped += n;
  EXPECT_EQ(skipped, st.problems.size());
}

TEST(LoadText, RecordsStatsInTheSet) {
  IndicatorSet set;
  LoadStats a = LoadText("a.com\n", Format::kAuto, "one.txt", set);
  LoadStats b = LoadText("0c2674c3a97c53082187d930efb645c2;x\n", Format::kAuto, "hashes.txt", set);
  ASSERT_EQ(set.stats().size(), 2u);
  EXPECT_EQ(set.stats()[0].name, "one.txt");
  EXPECT_EQ(set.stats()[1].loaded.at("md5"), 1u);
  EXPECT_EQ(a.loaded.at("domain"), 1u);
}

// Hash lists are read a chunk at a time (8 MiB, cut at a line end) so that
// ten million hashes never sit in memory as text beside their store: the
// result must be exactly that of parsing the whole text, across the cuts
// (line numbers, the running "# comment" description, problems, a BOM, CRLF,
// a last line without a newline).
TEST(LoadFile, HashListsReadInChunksLoadAsTheWholeText) {
  std::string text = "\xEF\xBB\xBF# Group A\r\n";
  char hex[65];
  for (int i = 0; i < 300000; ++i) {
    if (i % 50000 == 7) text += "# Group " + std::to_string(i) + "\n";
    if (i % 65536 == 3) text += "nothex;bad line\n";
    std::snprintf(hex, sizeof hex, "%08x%024x%032x", i, i * 7, i);
    text += std::string(hex, i % 3 == 0 ? 32 : 64);
    text += i % 5 == 0 ? ";80;own description " + std::to_string(i) + "\r\n" : "\n";
  }
  text += "ffffffffffffffffffffffffffffffff;last line, no newline";
  ASSERT_GT(text.size(), std::size_t{16} << 20);  // more than two chunks
  TempDir tmp;
  auto path = tmp.Write("hash-iocs.txt", text);
  IndicatorSet streamed, whole;
  auto r = LoadFile(path, Format::kAuto, streamed);
  ASSERT_TRUE(r.ok()) << r.status().message();
  LoadStats w = LoadText(text, Format::kSigBaseHash, path.string(), whole);
  EXPECT_EQ(r->loaded, w.loaded);
  EXPECT_EQ(r->skipped, w.skipped);
  EXPECT_EQ(ProblemsText(*r), ProblemsText(w));
  EXPECT_EQ(r->problems.size(), 5u);
  std::vector<Indicator> a = streamed.Materialize(), b = whole.Materialize();
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), 300001u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].value, b[i].value) << i;
    ASSERT_EQ(a[i].source, b[i].source) << i;
    ASSERT_EQ(a[i].description, b[i].description) << i;
    ASSERT_EQ(a[i].score, b[i].score) << i;
  }
  EXPECT_EQ(a.back().description, "last line, no newline");
  EXPECT_EQ(a[1].description, "Group A");
}

TEST(LoadFile, ErrorsOnlyWhenUnreadable) {
  TempDir tmp;
  IndicatorSet set;
  Result<LoadStats> missing = LoadFile(tmp.path() / "nope.txt", Format::kAuto, set);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.txt"), std::string::npos);

  Result<LoadStats> dir = LoadFile(tmp.path(), Format::kAuto, set);
  EXPECT_FALSE(dir.ok());

  // A FIFO must neither block nor load.
  std::filesystem::path fifo = tmp.path() / "c2-fifo.txt";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Result<LoadStats> f = LoadFile(fifo, Format::kAuto, set);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("not a regular file"), std::string::npos);

  // A file full of garbage is readable: problems, not an error.
  std::string junk;
  for (int i = 0; i < 256; ++i) junk += static_cast<char>(i);
  junk += "\nok.com\n";
  Result<LoadStats> g = LoadFile(tmp.Write("junk.txt", junk), Format::kAuto, set);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->loaded.at("domain"), 1u);
  EXPECT_FALSE(g->problems.empty());
  EXPECT_EQ(g->problems[0].where, (tmp.path() / "junk.txt").string() + ":1");
  EXPECT_EQ(set.size(), 1u);
}

TEST(LoadFile, CrlfFilesEverywhere) {
  TempDir tmp;
  IndicatorSet set;
  auto h = LoadFile(tmp.Write("hash.txt", "# d\r\n0c2674c3a97c53082187d930efb645c2\r\n"),
                    Format::kAuto, set);
  auto f = LoadFile(tmp.Write("filename.txt", "# d\r\n\\\\x\\.exe;60;fp\r\n"), Format::kAuto, set);
  auto c = LoadFile(tmp.Write("c2.txt", "# d\r\nevil.com\r\n"), Format::kAuto, set);
  auto k = LoadFile(tmp.Write("keyword.txt", "# d\r\nmimikatz\r\n"), Format::kAuto, set);
  for (auto* r : {&h, &f, &c, &k}) {
    ASSERT_TRUE(r->ok());
    EXPECT_TRUE((*r)->problems.empty()) << ProblemsText(**r);
    EXPECT_EQ(Loaded(**r), 1u);
  }
  for (const Indicator& ind : set.Materialize()) {
    EXPECT_EQ(ind.value.find('\r'), std::string::npos) << ind.value;
    EXPECT_EQ(ind.fp_regex.find('\r'), std::string::npos);
    EXPECT_EQ(ind.description, "d");
  }
  EXPECT_EQ(set.OfKind(Kind::kFilename)[0]->fp_regex, "fp");
}

TEST(LoadDirectory, SkipsNonIndicatorFilesAndSortsByName) {
  TempDir tmp;
  tmp.Write("README.md", "# not indicators\nfoo\n");
  tmp.Write("LICENSE", "MIT\n");
  tmp.Write("rules.yar", "rule x { condition: true }\n");
  tmp.Write("rules.YARA", "rule y { condition: true }\n");
  tmp.Write(".hidden.txt", "hidden.com\n");
  tmp.Write("sub/c2-iocs.txt", "nested.com\n");  // not recursive
  tmp.Write("b-c2.txt", "b.com\n");
  tmp.Write("a-hashes.txt", "0c2674c3a97c53082187d930efb645c2;x\n");
  tmp.Write("z.csv", "value\nz.org\n");
  ASSERT_EQ(mkfifo((tmp.path() / "fifo.txt").c_str(), 0600), 0);  // never opened
  IndicatorSet set;
  Result<std::vector<LoadStats>> r = LoadDirectory(tmp.path(), set);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].name, (tmp.path() / "a-hashes.txt").string());
  EXPECT_EQ((*r)[1].name, (tmp.path() / "b-c2.txt").string());
  EXPECT_EQ((*r)[2].name, (tmp.path() / "z.csv").string());
  EXPECT_EQ(set.size(), 3u);
  for (const LoadStats& s : *r) EXPECT_TRUE(s.problems.empty()) << ProblemsText(s);
}

TEST(LoadDirectory, SignatureBaseRootLoadsIocs) {
  TempDir tmp;
  tmp.Write("iocs/c2-iocs.txt", "evil.com\n");
  tmp.Write("iocs/README.txt", "Files in this directory...\n");
  tmp.Write("yara/x.yar", "rule x { condition: true }\n");
  tmp.Write("top.txt", "top.com\n");  // beside iocs/: not loaded
  IndicatorSet set;
  Result<std::vector<LoadStats>> r = LoadDirectory(tmp.path(), set);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set.Materialize()[0].value, "evil.com");
}

TEST(LoadDirectory, ErrorsForMissingFolder) {
  IndicatorSet set;
  EXPECT_FALSE(LoadDirectory("/nonexistent/trawl/iocs", set).ok());
}

TEST(IsIndicatorFileName, Table) {
  EXPECT_TRUE(IsIndicatorFileName("hash-iocs.txt"));
  EXPECT_TRUE(IsIndicatorFileName("feed.csv"));
  EXPECT_FALSE(IsIndicatorFileName("README.txt"));
  EXPECT_FALSE(IsIndicatorFileName("readme"));
  EXPECT_FALSE(IsIndicatorFileName("LICENSE.md"));
  EXPECT_FALSE(IsIndicatorFileName("rules.yar"));
  EXPECT_TRUE(IsIndicatorFileName("event.misp.json"));  // STIX/MISP (issue 6)
  EXPECT_FALSE(IsIndicatorFileName(".git"));
  EXPECT_FALSE(IsIndicatorFileName("c2.txt~"));
}

}  // namespace
}  // namespace trawl::ioc
