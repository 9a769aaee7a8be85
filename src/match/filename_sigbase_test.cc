// signature-base's filename IOCs loaded by trawl::ioc's loader (the way the
// scan loads them), then built: every pattern is accounted for.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "trawl/ioc/loader.h"
#include "trawl/match/filename.h"

namespace trawl::match {
namespace {

TEST(FilenameMatcherIocTest, SigBaseThroughTheLoader) {
  const std::string file =
      std::string(TRAWL_SHARED_DATA) + "/signature-base/iocs/filename-iocs.txt";
  ioc::IndicatorSet set;
  auto loaded = ioc::LoadFile(file, ioc::Format::kAuto, set);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  std::vector<const ioc::Indicator*> inds = set.OfKind(ioc::Kind::kFilename);
  ASSERT_EQ(inds.size(), loaded->loaded["filename"]);
  ASSERT_GT(inds.size(), 3000u);

  BuildStats stats;
  auto m = FilenameMatcher::Build(inds, stats);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(stats.patterns, inds.size());
  EXPECT_EQ(stats.vectorscan + stats.fallback + stats.failed, stats.patterns);
  EXPECT_EQ(stats.problems.size(), stats.fallback + stats.failed + stats.fp_failed);
  for (const auto& p : stats.problems) {
    // Each names the indicator's source line.
    EXPECT_NE(p.where.find("filename-iocs.txt:"), std::string::npos) << p.where;
  }

  // An fp regex from the file cancels its own indicator only: line
  // "\\tmp\.exe;60;(?i)\\AppData\\Local\\Temp\\App[a-z0-9]{4}\.tmp\.exe".
  auto scratch = m->MakeScratch();
  std::vector<const ioc::Indicator*> hits;
  m->Match(R"(C:\Users\a\AppData\Local\Temp\Appab12.tmp.exe)", *scratch, hits);
  for (const ioc::Indicator* h : hits) EXPECT_NE(h->value, R"(\\tmp\.exe)");
  hits.clear();
  m->Match(R"(C:\Users\a\Downloads\tmp.exe)", *scratch, hits);
  bool found = false;
  for (const ioc::Indicator* h : hits) found |= h->value == R"(\\tmp\.exe)";
  EXPECT_TRUE(found);
  std::printf("  loader: %zu filename indicators, %zu vectorscan, %zu fallback, %zu failed\n",
              inds.size(), stats.vectorscan, stats.fallback, stats.failed);
}

}  // namespace
}  // namespace trawl::match
