#include "trawl/core/scoring.h"

#include <algorithm>
#include <functional>

namespace trawl {

const char* LevelName(Level level) {
  switch (level) {
    case Level::kAlert: return "alert";
    case Level::kWarning: return "warning";
    case Level::kNotice: return "notice";
    case Level::kNone: break;
  }
  return "none";
}

int CombineScores(std::vector<int> sub_scores) {
  for (int& s : sub_scores) s = std::clamp(s, 0, 100);
  std::sort(sub_scores.begin(), sub_scores.end(), std::greater<>());
  double keep = 1.0;  // prod(1 - s_i/100/2^i)
  double weight = 1.0;
  for (int s : sub_scores) {
    keep *= 1.0 - (s / 100.0) * weight;
    weight /= 2.0;
  }
  // Round to nearest: 100*(1-keep) can be 79.999999 for an exact 80.
  return static_cast<int>(100.0 * (1.0 - keep) + 0.5);
}

Level Classify(int score, const std::vector<int>& sub_scores, const Thresholds& t) {
  bool strong = std::any_of(sub_scores.begin(), sub_scores.end(),
                            [&](int s) { return s > t.alert_sub; });
  if (score >= t.alert && strong) return Level::kAlert;
  if (score >= t.warning) return Level::kWarning;
  if (score >= t.notice) return Level::kNotice;
  return Level::kNone;
}

void ScoreFinding(Finding& finding, const Thresholds& t) {
  std::vector<int> subs;
  subs.reserve(finding.reasons.size());
  for (const Reason& r : finding.reasons) subs.push_back(r.score);
  finding.score = CombineScores(subs);
  finding.level = Classify(finding.score, subs, t);
}

}  // namespace trawl
