// CSV lists: header detection, RFC 4180 quoting, multi-value cells, types.
#include <filesystem>
#include <fstream>
#include <set>

#include "test_util.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {
namespace {

using testing::Loaded;
using testing::ProblemsText;
using testing::Skipped;

TEST(Csv, QuotingEdgeCases) {
  std::string text =
      "indicator,comment,score\n"
      "evil.com,plain,90\n"
      "\"quoted.com\",\"with, comma\",\n"
      "\"q2.com\",\"say \"\"hi\"\"\",10\n"
      "\"multi.com\",\"line one\nline two\",\n"  // a line break inside quotes
      "after-multi.com,,\n"
      "\"\"\"bad\"\"\",x,\n"  // value with quotes: not an indicator
      "trailing.com,\"unterminated\n";
  IndicatorSet set;
  LoadStats st = LoadText(text, Format::kCsv, "l.csv", set);
  ASSERT_EQ(set.size(), 5u) << ProblemsText(st);
  EXPECT_EQ(set.Materialize()[0].value, "evil.com");
  EXPECT_EQ(set.Materialize()[0].score, 90);
  EXPECT_EQ(set.Materialize()[0].description, "plain");
  EXPECT_EQ(set.Materialize()[1].description, "with, comma");
  EXPECT_EQ(set.Materialize()[2].description, "say \"hi\"");
  EXPECT_EQ(set.Materialize()[2].score, 10);
  EXPECT_EQ(set.Materialize()[3].description, "line one line two");
  EXPECT_EQ(set.Materialize()[3].source, "l.csv:5");
  // The record after a quoted line break starts on line 7.
  EXPECT_EQ(set.Materialize()[4].value, "after-multi.com");
  EXPECT_EQ(set.Materialize()[4].source, "l.csv:7");
  ASSERT_EQ(st.problems.size(), 2u) << ProblemsText(st);
  EXPECT_EQ(st.problems[0].where, "l.csv:8");
  EXPECT_EQ(st.problems[0].message.rfind("unrecognised value", 0), 0u);
  EXPECT_EQ(st.problems[1].where, "l.csv:9");
  EXPECT_EQ(st.problems[1].message.rfind("bad CSV quoting", 0), 0u);
}

TEST(Csv, MalformedQuotesAndScores) {
  std::string text =
      "value,type,score\r\n"
      "\"a.com\"x,hostname,\r\n"  // text after the closing quote
      "b\"c.com,hostname,\r\n"    // quote inside an unquoted cell
      "d.com,hostname,500\r\n"    // bad score
      "e.com,hostname,\r\n"       // CRLF: fine
      ",hostname,\r\n"            // empty value
      "\r\n"                      // blank record: not an entry
      "1.2.3.4,hostname,\r\n";    // type mismatch
  IndicatorSet set;
  LoadStats st = LoadText(text, Format::kCsv, "m.csv", set);
  ASSERT_EQ(set.size(), 1u) << ProblemsText(st);
  EXPECT_EQ(set.Materialize()[0].value, "e.com");
  EXPECT_EQ(set.Materialize()[0].source, "m.csv:5");
  std::vector<std::pair<std::string, std::string>> want = {
      {"m.csv:2", "bad CSV quoting"},
      {"m.csv:3", "bad CSV quoting"},
      {"m.csv:4", "bad score"},
      {"m.csv:6", "empty value"},
      {"m.csv:8", "value does not match type"}};
  ASSERT_EQ(st.problems.size(), want.size()) << ProblemsText(st);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(st.problems[i].where, want[i].first);
    EXPECT_EQ(st.problems[i].message.rfind(want[i].second, 0), 0u) << st.problems[i].message;
  }
}

TEST(Csv, HeaderRules) {
  {
    IndicatorSet set;  // no recognisable value column
    LoadStats st = LoadText("foo,bar\nevil.com,x\n", Format::kCsv, "h.csv", set);
    EXPECT_EQ(set.size(), 0u);
    ASSERT_EQ(st.problems.size(), 1u);
    EXPECT_EQ(st.problems[0].where, "h.csv:1");
    EXPECT_EQ(Skipped(st, "no value column in CSV header"), 1u);
  }
  {
    IndicatorSet set;  // a single column needs no particular name; BOM and case ignored
    LoadStats st = LoadText("\xEF\xBB\xBFWhatever\nevil[.]com\nhxxp://x[.]org/a\n", Format::kCsv,
                            "one.csv", set);
    ASSERT_EQ(set.size(), 2u) << ProblemsText(st);
    EXPECT_EQ(set.Materialize()[0].value, "evil.com");
    EXPECT_EQ(set.Materialize()[1].value, "http://x.org/a");
  }
  {
    IndicatorSet set;  // header names are case-insensitive, columns in any order
    LoadStats st = LoadText("Description,IOC,Type\nd,8.8.8.8,IP\n", Format::kCsv, "c.csv", set);
    ASSERT_EQ(set.size(), 1u) << ProblemsText(st);
    EXPECT_EQ(set.Materialize()[0].kind, Kind::kIpv4);
    EXPECT_EQ(set.Materialize()[0].description, "d");
  }
  {
    IndicatorSet set;  // empty input: nothing, no problem
    LoadStats st = LoadText("", Format::kCsv, "e.csv", set);
    EXPECT_EQ(set.size(), 0u);
    EXPECT_TRUE(st.problems.empty());
  }
}

TEST(Csv, CommaListsSplitOnlyWhenNotOneIndicator) {
  IndicatorSet set;
  LoadStats st = LoadText(
      "value,type\n"
      "\"http://evil.com/a,b\",url\n"  // one URL with a comma: kept whole
      "\"0c2674c3a97c53082187d930efb645c2, 20d554a80d759c50d6537dd7097fed84dd258b3e,bogus\",file\n",
      Format::kCsv, "s.csv", set);
  ASSERT_EQ(set.size(), 3u) << ProblemsText(st);
  EXPECT_EQ(set.Materialize()[0].value, "http://evil.com/a,b");
  EXPECT_EQ(set.Materialize()[1].kind, Kind::kMd5);
  EXPECT_EQ(set.Materialize()[2].kind, Kind::kSha1);
  ASSERT_EQ(st.problems.size(), 1u);
  EXPECT_EQ(st.problems[0].where, "s.csv:3");
  EXPECT_NE(st.problems[0].message.find("bogus"), std::string::npos);
}

TEST(Csv, InvalidTextIsReportedNotLoaded) {
  IndicatorSet set;
  static const char kText[] = "value\nok.com\nnul\0.com\nbad\xfe.com\n";
  std::string text(kText, sizeof kText - 1);
  LoadStats st = LoadText(text, Format::kCsv, "n.csv", set);
  EXPECT_EQ(set.size(), 1u);
  ASSERT_EQ(st.problems.size(), 2u) << ProblemsText(st);
  EXPECT_EQ(st.problems[0].where, "n.csv:3");
  EXPECT_EQ(st.problems[0].message.rfind("NUL byte", 0), 0u);
  EXPECT_EQ(st.problems[1].where, "n.csv:4");
  EXPECT_EQ(st.problems[1].message.rfind("invalid UTF-8", 0), 0u);
}

TEST(Csv, VolexityFeedLoads) {
  const std::filesystem::path csv =
      std::filesystem::path(TRAWL_SHARED_DATA) / "feeds/volexity-3cx/iocs.csv";
  IndicatorSet set;
  Result<LoadStats> r = LoadFile(csv, Format::kAuto, set);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // Count the rows by type independently of the loader.
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);  // header
  uint64_t hosts = 0, files = 0, emails = 0;
  while (std::getline(in, line)) {
    if (line.find(",hostname,") != std::string::npos) ++hosts;
    if (line.find(",file,") != std::string::npos) ++files;
    if (line.find(",emailwhois,") != std::string::npos) ++emails;
  }
  ASSERT_GT(files, 0u);
  ASSERT_GT(emails, 0u);
  EXPECT_EQ(r->loaded.at("domain"), hosts);  // www. hosts are kept as given
  EXPECT_EQ(r->loaded.at("sha256"), files);
  EXPECT_EQ(r->loaded.at("sha1"), files);
  EXPECT_EQ(r->loaded.at("md5"), files);
  EXPECT_EQ(Skipped(*r, "unsupported type"), emails);  // counted, with a reason
  EXPECT_EQ(r->problems.size(), emails);
  for (const Problem& p : r->problems)
    EXPECT_NE(p.message.find("emailwhois"), std::string::npos) << p.message;
  EXPECT_NE(set.FindHash(Kind::kSha1, "bf939c9c261d27ee7bb92325cc588624fca75429"), nullptr);
  auto h = set.FindHash(Kind::kMd5, "74bc2d0b6680faa1a5a76b27e5479cbc");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->description, "Backdoored copy of ffmpeg.dll");
}

}  // namespace
}  // namespace trawl::ioc
