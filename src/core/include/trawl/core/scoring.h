// Combining sub-scores into one score and a level, as THOR does.
//
// Sub-scores are sorted descending; the i-th (from 0) contributes s_i/100/2^i:
//   score = 100 * (1 - prod(1 - s_i / 100 / 2^i))
// so one strong reason dominates and weak ones add less and less.
#pragma once

#include <vector>

#include "trawl/core/finding.h"

namespace trawl {

struct Thresholds {
  int alert = 80;    // and at least one sub-score > alert_sub
  int alert_sub = 75;
  int warning = 60;
  int notice = 40;
};

// Scores outside 0..100 are clamped. An empty list scores 0.
int CombineScores(std::vector<int> sub_scores);

// alert: score >= t.alert and one sub-score > t.alert_sub; warning: score >= t.warning
// (including an alert-range score without a strong reason); notice: >= t.notice.
Level Classify(int score, const std::vector<int>& sub_scores, const Thresholds& t);

// Fills finding.score and finding.level from finding.reasons.
void ScoreFinding(Finding& finding, const Thresholds& t);

}  // namespace trawl
