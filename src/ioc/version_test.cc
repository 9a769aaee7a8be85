// Affected-version indicators (version-iocs.txt): grammar, bad lines, identity, detection.
#include "test_util.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {
namespace {

using testing::ProblemsText;
using testing::Skipped;

TEST(Version, Grammar) {
  struct Row {
    std::string line;
    std::string product, platform;
    std::vector<std::string> versions;
    int score;
    std::string description;
  };
  const Row rows[] = {
      {"3CX Desktop App;windows;18.12.407,18.12.416;100;trojanized",
       "3CX Desktop App",
       "windows",
       {"18.12.407", "18.12.416"},
       100,
       "trojanized"},
      {"  Foo ; MacOS ; 1.0 ", "Foo", "macos", {"1.0"}, 100, "from comment"},
      {"Foo;osx;1.0-beta+2;70", "Foo", "macos", {"1.0-beta+2"}, 70, "from comment"},
      {"Foo;darwin;1", "Foo", "macos", {"1"}, 100, "from comment"},
      {"Foo;WIN; 2.0 , 2.1 ;0;a;b;c", "Foo", "windows", {"2.0", "2.1"}, 0, "a;b;c"},
      {"Foo;*;3", "Foo", "any", {"3"}, 100, "from comment"},
      {"Foo;linux;3;50;", "Foo", "linux", {"3"}, 50, "from comment"},
  };
  for (const Row& r : rows) {
    IndicatorSet set;
    LoadStats st = LoadText("# from comment\n" + r.line + "\r\n", Format::kVersion, "v.txt", set);
    ASSERT_EQ(set.size(), r.versions.size()) << r.line << "\n" << ProblemsText(st);
    EXPECT_TRUE(st.problems.empty()) << ProblemsText(st);
    EXPECT_EQ(st.loaded["version"], r.versions.size());
    for (size_t i = 0; i < r.versions.size(); ++i) {
      const Indicator ind = set.Materialize()[i];
      EXPECT_EQ(ind.kind, Kind::kVersion);
      EXPECT_EQ(ind.value, r.versions[i]) << r.line;
      EXPECT_EQ(ind.product, r.product) << r.line;
      EXPECT_EQ(ind.platform, r.platform) << r.line;
      EXPECT_EQ(ind.score, r.score) << r.line;
      EXPECT_EQ(ind.description, r.description) << r.line;
      EXPECT_EQ(ind.source, "v.txt:2");
    }
  }
}

TEST(Version, BadLinesAreReportedWithFileAndLine) {
  struct Row {
    std::string line;
    std::string reason;
  };
  const Row rows[] = {
      {"Foo;windows", "missing field (PRODUCT;PLATFORM;VERSIONS)"},
      {"Foo", "missing field (PRODUCT;PLATFORM;VERSIONS)"},
      {" ;windows;1.0", "empty product"},
      {"Foo;beos;1.0", "unknown platform"},
      {"Foo;windows;1.0;101", "bad score"},
      {"Foo;windows;1.0;high;desc", "bad score"},
      {"Foo;windows;1.0,,1.1", "empty version"},
      {"Foo;windows;", "empty version"},
      {"Foo;windows;1.0 beta", "bad version"},
      {"Foo;windows;1.0/2", "bad version"},
      {"Foo;windows;1.\x01", "control character"},
  };
  for (const Row& r : rows) {
    IndicatorSet set;
    LoadStats st = LoadText("\n" + r.line + "\n", Format::kVersion, "bad.txt", set);
    EXPECT_EQ(set.size(), 0u) << r.line;
    EXPECT_EQ(Skipped(st, r.reason), 1u) << r.line << "\n" << ProblemsText(st);
    ASSERT_EQ(st.problems.size(), 1u) << r.line;
    EXPECT_EQ(st.problems[0].where, "bad.txt:2");
  }
}

TEST(Version, IdentityIsProductPlatformAndVersion) {
  IndicatorSet set;
  LoadStats st = LoadText(
      "A;windows;1.0\n"
      "A;macos;1.0\n"    // another platform: another indicator
      "B;windows;1.0\n"  // another product
      "a;windows;1.0\n"  // the same product, other case: a duplicate
      "A;windows;1.0,1.1\n",
      Format::kVersion, "d.txt", set);
  EXPECT_EQ(set.CountOf(Kind::kVersion), 4u) << ProblemsText(st);
  EXPECT_EQ(Skipped(st, "duplicate"), 2u);
  EXPECT_TRUE(st.problems.empty());
}

TEST(Version, FormatFromFileName) {
  EXPECT_EQ(DetectFormat("version-iocs.txt"), Format::kVersion);
  EXPECT_EQ(DetectFormat("/p/My-Versions.TXT"), Format::kVersion);
  EXPECT_EQ(DetectFormat("VERSION"), Format::kPlain);                 // a pack's date stamp
  EXPECT_EQ(DetectFormat("hash-version.txt"), Format::kSigBaseHash);  // earlier names win
  EXPECT_FALSE(IsIndicatorFileName("VERSION"));
  EXPECT_TRUE(IsIndicatorFileName("version-iocs.txt"));
  Format f = Format::kAuto;
  ASSERT_TRUE(ParseFormat("version", f));
  EXPECT_EQ(f, Format::kVersion);
  EXPECT_STREQ(KindName(Kind::kVersion), "version");
  EXPECT_STREQ(ReasonKind(Kind::kVersion), "version");
  EXPECT_FALSE(IsHashKind(Kind::kVersion));
  EXPECT_FALSE(IsNetworkKind(Kind::kVersion));
}

TEST(Version, LoadDirectoryOfAPackSkipsItsStampAndLoadsVersions) {
  testing::TempDir dir;
  dir.Write("VERSION", "2023-04-20\n");
  dir.Write("version-iocs.txt", "P;any;1.2.3;90;d\n");
  auto r = LoadDirectory(dir.path(), *std::make_unique<IndicatorSet>());
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].loaded.at("version"), 1u);
  EXPECT_TRUE((*r)[0].problems.empty());
}

}  // namespace
}  // namespace trawl::ioc
