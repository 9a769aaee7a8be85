// Conversions: load X -> convert -> load -> the same indicators, for every
// output format, on a synthetic set holding every kind and on the real feeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "test_util.h"
#include "trawl/core/text.h"
#include "trawl/ioc/interchange.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {
namespace {

using testing::ProblemsText;

// What must survive a conversion (the source naturally changes).
std::string Key(const Indicator& i) {
  return std::string(KindName(i.kind)) + "|" + i.value + "|fp=" + i.fp_regex +
         "|score=" + std::to_string(i.score) + "|desc=" + i.description + "|and=" + i.and_filename;
}

std::multiset<std::string> Keys(const IndicatorSet& set, bool (*keep)(const Indicator&) = nullptr,
                                void (*adjust)(Indicator&) = nullptr) {
  std::multiset<std::string> out;
  for (Indicator i : set.Materialize()) {
    if (keep && !keep(i)) continue;
    if (adjust) adjust(i);
    out.insert(Key(i));
  }
  return out;
}

// Equal multisets, or the first differences each way.
::testing::AssertionResult SameKeys(const std::multiset<std::string>& got,
                                    const std::multiset<std::string>& want) {
  if (got == want) return ::testing::AssertionSuccess();
  std::string msg;
  int n = 0;
  for (const std::string& k : got)
    if (want.count(k) != got.count(k) && n++ < 8) msg += "\n  extra/differs: " + k;
  n = 0;
  for (const std::string& k : want)
    if (want.count(k) != got.count(k) && n++ < 8) msg += "\n  missing: " + k;
  return ::testing::AssertionFailure() << got.size() << " vs " << want.size() << msg;
}

// Loads an export back: one document, or a signature-base folder.
IndicatorSet Reload(const ExportResult& r, ExportFormat f, std::string* problems) {
  IndicatorSet set;
  if (f == ExportFormat::kSigBase) {
    testing::TempDir dir;
    for (const ExportFile& file : r.files) dir.Write(file.name, file.text);
    auto st = LoadDirectory(dir.path(), set);
    EXPECT_TRUE(st.ok());
    if (st.ok())
      for (const LoadStats& s : *st) *problems += ProblemsText(s);
  } else {
    EXPECT_EQ(r.files.size(), 1u);
    Format in = f == ExportFormat::kStix   ? Format::kStix
                : f == ExportFormat::kMisp ? Format::kMisp
                                           : Format::kCsv;
    *problems += ProblemsText(LoadText(r.files.at(0).text, in, "converted", set));
  }
  return set;
}

IndicatorSet Synthetic() {
  IndicatorSet set;
  auto add = [&](Kind k, std::string v, int score, std::string desc, std::string fp = "",
                 std::string and_name = "") {
    Indicator i;
    i.kind = k;
    i.value = std::move(v);
    i.score = score;
    i.description = std::move(desc);
    i.fp_regex = std::move(fp);
    i.and_filename = std::move(and_name);
    set.Add(std::move(i));
  };
  add(Kind::kMd5, "0123456789abcdef0123456789abcdef", 100, "md5; with a semicolon");
  add(Kind::kSha1, "0123456789abcdef0123456789abcdef01234567", 75, "");
  add(Kind::kSha256, std::string(64, 'b'), 90, "conditional", "", "evil.dll");
  add(Kind::kSha256, std::string(64, 'c'), 90, "plain \"quoted\", comma");
  add(Kind::kFilename, BaseNameRegex("drop per.exe"), 60, "a name");
  add(Kind::kFilename, "\\\\Temp\\\\[a-z]{8}\\.exe$", 70, "a regex", "\\\\Windows\\\\");
  add(Kind::kFilename, "/tmp/x;y", 65, "");
  add(Kind::kDomain, "evil.example", 100, "c2");
  add(Kind::kIpv4, "192.0.2.1", 80, "c2");
  add(Kind::kIpv6, "2001:db8::1", 80, "");
  add(Kind::kCidr, "198.51.100.0/24", 75, "net");
  add(Kind::kCidr, "2001:db8:1::/48", 75, "net6");
  add(Kind::kUrl, "https://evil.example/a;b?c=1,2", 100, "url");
  add(Kind::kKeyword, "it's a \\ keyword, \"quoted\"", 100, "kw");
  add(Kind::kYara, "rule t { strings: $a = \"x\" condition: $a }", 100, "rule");
  set.AddTrustedHash(std::string(32, 'e'));
  return set;
}

// The kinds the writers know (other stages may add kinds: they are losses).
bool Known(const Indicator& i) {
  switch (i.kind) {
    case Kind::kMd5:
    case Kind::kSha1:
    case Kind::kSha256:
    case Kind::kFilename:
    case Kind::kDomain:
    case Kind::kIpv4:
    case Kind::kIpv6:
    case Kind::kCidr:
    case Kind::kUrl:
    case Kind::kKeyword:
    case Kind::kYara:
      return true;
    default:
      return false;
  }
}
bool NotYara(const Indicator& i) { return Known(i) && i.kind != Kind::kYara; }
bool CsvKeeps(const Indicator& i) {
  if (i.kind == Kind::kFilename || i.kind == Kind::kKeyword)
    if (TrimAscii(i.value).size() != i.value.size()) return false;
  return NotYara(i);
}
bool MispKeeps(const Indicator& i) {
  std::string n;
  if (!Known(i) || i.kind == Kind::kKeyword) return false;
  if (i.kind == Kind::kFilename) return BaseNameOfRegex(i.value, n);
  return true;
}
void TabsToBlanks(Indicator& i) {
  std::replace(i.description.begin(), i.description.end(), '\t', ' ');
}
void DropAnd(Indicator& i) { i.and_filename.clear(); }

TEST(Export, SyntheticRoundTrips) {
  const IndicatorSet set = Synthetic();
  struct Case {
    ExportFormat format;
    bool (*keep)(const Indicator&);
    void (*adjust)(Indicator&);
    size_t losses;
  };
  const Case cases[] = {
      {ExportFormat::kStix, nullptr, nullptr, 1},     // trusted hashes
      {ExportFormat::kMisp, MispKeeps, DropAnd, 4},   // trusted, keyword, regexes, and-name
      {ExportFormat::kSigBase, NotYara, DropAnd, 2},  // and-name, yara metadata
      {ExportFormat::kCsv, NotYara, nullptr, 2},      // trusted, yara
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.format));
    ExportResult r = ExportIndicators(set, c.format, {.now = 1700000000});
    std::string problems;
    IndicatorSet back = Reload(r, c.format, &problems);
    EXPECT_EQ(problems, "");
    EXPECT_TRUE(SameKeys(Keys(back), Keys(set, c.keep, c.adjust)));
    EXPECT_EQ(r.losses.size(), c.losses) << ::testing::PrintToString(r.losses);
    if (c.format == ExportFormat::kSigBase) {
      EXPECT_EQ(back.trusted_count(), 1u);
      bool has_rule = false;
      for (const ExportFile& f : r.files) has_rule |= f.name == "yara/rule-1.yar";
      EXPECT_TRUE(has_rule);
    }
    // Deterministic output.
    ExportResult again = ExportIndicators(set, c.format, {.now = 1700000000});
    ASSERT_EQ(again.files.size(), r.files.size());
    for (size_t i = 0; i < r.files.size(); ++i) EXPECT_EQ(again.files[i].text, r.files[i].text);
  }
}

// The conditional hash really is conditional after a STIX round trip.
TEST(Export, StixKeepsTheFileNameCondition) {
  ExportResult r = ExportIndicators(Synthetic(), ExportFormat::kStix);
  IndicatorSet back;
  LoadText(r.files[0].text, Format::kJson, "x.json", back);
  auto hits = back.FindHashes(Kind::kSha256, std::string(64, 'b'));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].and_filename, "evil.dll");
  EXPECT_EQ(back.FindHash(Kind::kSha256, std::string(64, 'b')), nullptr);
}

// Real sets: the built-in pack, signature-base's IOC files and the feeds, to
// every format and back.
TEST(Export, RealFeedsRoundTrip) {
  IndicatorSet set;
  LoadBuiltin3cx(set);
  std::string data = TRAWL_SHARED_DATA;
  ASSERT_TRUE(LoadDirectory(data + "/signature-base", set).ok());
  ASSERT_TRUE(LoadFile(data + "/feeds/volexity-3cx/iocs.csv", Format::kAuto, set).ok());
  ASSERT_TRUE(LoadFile(data + "/feeds/eset-3cx/lazarus_3cx.misp.json", Format::kAuto, set).ok());
  ASSERT_GT(set.size(), 5000u);
  {
    ExportResult r = ExportIndicators(set, ExportFormat::kStix);
    std::string problems;
    IndicatorSet back = Reload(r, ExportFormat::kStix, &problems);
    EXPECT_EQ(problems, "");
    EXPECT_TRUE(SameKeys(Keys(back), Keys(set, Known)));
  }
  {
    ExportResult r = ExportIndicators(set, ExportFormat::kCsv);
    std::string problems;
    IndicatorSet back = Reload(r, ExportFormat::kCsv, &problems);
    EXPECT_EQ(problems, "");
    EXPECT_TRUE(SameKeys(Keys(back), Keys(set, CsvKeeps, TabsToBlanks)));
  }
  {
    ExportResult r = ExportIndicators(set, ExportFormat::kSigBase);
    std::string problems;
    IndicatorSet back = Reload(r, ExportFormat::kSigBase, &problems);
    EXPECT_EQ(problems, "");
    EXPECT_TRUE(SameKeys(Keys(back), Keys(set, NotYara, DropAnd)));
    EXPECT_EQ(back.trusted_count(), set.trusted_count());
  }
  {
    ExportResult r = ExportIndicators(set, ExportFormat::kMisp);
    std::string problems;
    IndicatorSet back = Reload(r, ExportFormat::kMisp, &problems);
    EXPECT_EQ(problems, "");
    EXPECT_TRUE(SameKeys(Keys(back), Keys(set, MispKeeps, DropAnd)));
  }
}

}  // namespace
}  // namespace trawl::ioc
