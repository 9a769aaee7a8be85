#include "trawl/core/scoring.h"

#include <gtest/gtest.h>

namespace trawl {
namespace {

TEST(CombineScores, MatchesThorFormula) {
  EXPECT_EQ(CombineScores({}), 0);
  EXPECT_EQ(CombineScores({100}), 100);
  EXPECT_EQ(CombineScores({80}), 80);
  // 70 and 70: 1 - (1-0.7)(1-0.35) = 0.805
  EXPECT_EQ(CombineScores({70, 70}), 81);
  // Order of input does not matter: sorted descending first.
  EXPECT_EQ(CombineScores({40, 90}), CombineScores({90, 40}));
  // 90, 40: 1 - 0.1 * 0.8 = 0.92
  EXPECT_EQ(CombineScores({40, 90}), 92);
  // 60,60,60: 1 - 0.4*0.7*0.85 = 0.762
  EXPECT_EQ(CombineScores({60, 60, 60}), 76);
  EXPECT_EQ(CombineScores({150}), 100);
  EXPECT_EQ(CombineScores({-5, 50}), 50);
}

TEST(Classify, NeedsAStrongReasonForAlert) {
  Thresholds t;
  EXPECT_EQ(Classify(100, {100}, t), Level::kAlert);
  EXPECT_EQ(Classify(80, {80}, t), Level::kAlert);
  // 70+70 = 81 but no sub-score > 75: a warning, not an alert.
  EXPECT_EQ(Classify(81, {70, 70}, t), Level::kWarning);
  EXPECT_EQ(Classify(75, {75}, t), Level::kWarning);
  EXPECT_EQ(Classify(60, {60}, t), Level::kWarning);
  EXPECT_EQ(Classify(59, {59}, t), Level::kNotice);
  EXPECT_EQ(Classify(40, {40}, t), Level::kNotice);
  EXPECT_EQ(Classify(39, {39}, t), Level::kNone);
}

TEST(Classify, ThresholdsAreFlags) {
  Thresholds t;
  t.warning = 50;
  t.notice = 20;
  EXPECT_EQ(Classify(55, {55}, t), Level::kWarning);
  EXPECT_EQ(Classify(25, {25}, t), Level::kNotice);
}

TEST(ScoreFinding, FillsScoreAndLevel) {
  Finding f;
  f.reasons.push_back({"hash", "abc", "d", "s", 100});
  f.reasons.push_back({"filename", "x", "d", "s", 60});
  ScoreFinding(f, Thresholds{});
  EXPECT_EQ(f.score, 100);
  EXPECT_EQ(f.level, Level::kAlert);
}

}  // namespace
}  // namespace trawl
