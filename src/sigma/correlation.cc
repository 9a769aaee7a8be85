// Sigma v2 correlations: event_count, value_count, temporal,
// temporal_ordered over a sliding window of event time, per group-by key.
#include "correlation.h"

#include <ctime>
#include <set>

#include "yaml_util.h"

namespace trawl::sigma::detail {

namespace {

bool ParseTimespan(const std::string& s, std::int64_t& ms) {
  if (s.size() < 2) return false;
  char unit = s.back();
  std::string num = s.substr(0, s.size() - 1);
  for (char c : num)
    if (c < '0' || c > '9') return false;
  if (num.empty() || num.size() > 9) return false;
  std::int64_t n = std::stoll(num);
  switch (unit) {
    case 's': ms = n * 1000; return true;
    case 'm': ms = n * 60 * 1000; return true;
    case 'h': ms = n * 3600 * 1000; return true;
    case 'd': ms = n * 86400 * 1000; return true;
    default: return false;
  }
}

std::string_view FieldValue(const Event& e, const std::string& name) {
  for (const auto& [k, v] : e.fields)
    if (k == name) return v;
  return {};
}

}  // namespace

bool ParseEventTime(std::string_view s, std::int64_t& ms) {
  if (s.size() < 19) return false;
  auto num = [&](std::size_t at, std::size_t len, int& out) {
    out = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int Y, M, D, h, m, sec;
  if (!num(0, 4, Y) || s[4] != '-' || !num(5, 2, M) || s[7] != '-' || !num(8, 2, D) ||
      (s[10] != 'T' && s[10] != ' ') || !num(11, 2, h) || s[13] != ':' || !num(14, 2, m) ||
      s[16] != ':' || !num(17, 2, sec))
    return false;
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  std::int64_t t = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  if (s.size() > 20 && s[19] == '.') {
    int frac = 0, digits = 0;
    for (std::size_t i = 20; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (digits < 3) {
        frac = frac * 10 + (s[i] - '0');
        ++digits;
      }
    }
    while (digits++ < 3) frac *= 10;
    t += frac;
  }
  ms = t;
  return true;
}

bool CompileCorrelation(const YAML::Node& doc, const std::string& path, int line,
                        CorrelationRule& c, CompileError& err) {
  RuleInfo& info = c.info;
  info.path = path;
  info.line = line;
  info.id = Scalar(doc["id"]);
  info.name = Scalar(doc["name"]);
  info.title = Scalar(doc["title"]);
  info.status = Scalar(doc["status"]);
  info.description = Scalar(doc["description"]);
  info.author = Scalar(doc["author"]);
  if (info.title.empty()) {
    err = {"missing-title", "rule has no title"};
    return false;
  }
  std::string level = Scalar(doc["level"]);
  if (!level.empty() && !ParseRuleLevel(level, info.level)) {
    err = {"bad-level", "unknown level '" + level + "'"};
    return false;
  }
  if (YAML::Node t = doc["tags"]; t && t.IsSequence())
    for (const auto& x : t)
      if (x.IsScalar()) info.tags.push_back(x.Scalar());
  YAML::Node cor = doc["correlation"];
  if (!cor.IsMap()) {
    err = {"bad-correlation", "'correlation' must be a map"};
    return false;
  }
  std::string type = Scalar(cor["type"]);
  info.correlation = type;
  if (type == "event_count") {
    c.type = CorrelationRule::kEventCount;
  } else if (type == "value_count") {
    c.type = CorrelationRule::kValueCount;
  } else if (type == "temporal") {
    c.type = CorrelationRule::kTemporal;
  } else if (type == "temporal_ordered") {
    c.type = CorrelationRule::kTemporalOrdered;
  } else {
    err = {"bad-correlation", "unknown correlation type '" + type + "'"};
    return false;
  }
  if (YAML::Node r = cor["rules"]; r && r.IsSequence()) {
    for (const auto& x : r) c.refs.push_back(Scalar(x));
  } else if (r && r.IsScalar()) {
    c.refs.push_back(r.Scalar());
  }
  if (c.refs.empty()) {
    err = {"bad-correlation", "correlation names no rules"};
    return false;
  }
  if (YAML::Node g = cor["group-by"]; g && g.IsSequence()) {
    for (const auto& x : g) c.group_by.push_back(Scalar(x));
  } else if (g && g.IsScalar()) {
    c.group_by.push_back(g.Scalar());
  }
  if (cor["aliases"]) {
    err = {"correlation-unsupported", "correlation field aliases are not supported"};
    return false;
  }
  std::string span = Scalar(cor["timespan"]);
  if (span.empty()) span = Scalar(cor["timeframe"]);
  if (!ParseTimespan(span, c.timespan_ms)) {
    err = {"bad-correlation", "timespan '" + span + "' is not N followed by s, m, h or d"};
    return false;
  }
  c.generate = Scalar(cor["generate"]) == "true";
  YAML::Node cond = cor["condition"];
  if (c.type == CorrelationRule::kTemporal || c.type == CorrelationRule::kTemporalOrdered) {
    c.threshold = c.refs.size();
    if (cond && cond.IsMap() && cond["gte"]) c.threshold = cond["gte"].as<std::uint64_t>();
  } else {
    if (!cond || !cond.IsMap()) {
      err = {"bad-correlation", "event_count/value_count need a condition map"};
      return false;
    }
    bool have = false;
    for (auto it = cond.begin(); it != cond.end(); ++it) {
      std::string k = it->first.as<std::string>();
      if (k == "field") {
        c.value_field = Scalar(it->second);
      } else if (k == "gte" || k == "gt") {
        c.gte = k == "gte";
        c.threshold = it->second.as<std::uint64_t>();
        have = true;
      } else if (k == "lt" || k == "lte" || k == "eq") {
        err = {"correlation-unsupported",
               "condition '" + k + "' needs evaluation at the window's end; only gt/gte run"};
        return false;
      } else {
        err = {"bad-correlation", "unknown condition key '" + k + "'"};
        return false;
      }
    }
    if (!have) {
      err = {"bad-correlation", "condition has no gt/gte threshold"};
      return false;
    }
    if (c.type == CorrelationRule::kValueCount && c.value_field.empty()) {
      err = {"bad-correlation", "value_count needs condition.field"};
      return false;
    }
  }
  return true;
}

bool Feed(const CorrelationRule& c, CorrelationState& st, std::uint32_t base, const Event& e,
          MatchStats& stats, Match& out) {
  std::int64_t t = 0;
  if (!ParseEventTime(e.time, t)) {
    stats.correlation_untimed++;
    return false;
  }
  std::string key;
  for (const std::string& g : c.group_by) {
    key += FieldValue(e, g);
    key += '\x1f';
  }
  auto it = st.groups.find(key);
  if (it == st.groups.end()) {
    if (st.groups.size() >= kMaxCorrelationGroups) {
      stats.correlation_dropped++;
      return false;
    }
    it = st.groups.emplace(key, std::deque<CorrelationState::Entry>{}).first;
  }
  auto& w = it->second;
  w.push_back({t, base,
               c.type == CorrelationRule::kValueCount ? std::string(FieldValue(e, c.value_field))
                                                      : std::string(),
               e.record});
  while (!w.empty() && w.front().t < t - c.timespan_ms) w.pop_front();
  while (w.size() > kMaxCorrelationWindow) {
    w.pop_front();
    stats.correlation_dropped++;
  }
  std::uint64_t n = 0;
  bool fire = false;
  switch (c.type) {
    case CorrelationRule::kEventCount:
      n = w.size();
      fire = c.gte ? n >= c.threshold : n > c.threshold;
      break;
    case CorrelationRule::kValueCount: {
      std::set<std::string> vals;
      for (const auto& en : w)
        if (!en.value.empty()) vals.insert(en.value);
      n = vals.size();
      fire = c.gte ? n >= c.threshold : n > c.threshold;
      break;
    }
    case CorrelationRule::kTemporal: {
      std::set<std::uint32_t> seen;
      for (const auto& en : w) seen.insert(en.base);
      n = seen.size();
      fire = n >= c.threshold;
      break;
    }
    case CorrelationRule::kTemporalOrdered: {
      std::uint32_t next = 0;
      for (const auto& en : w)
        if (en.base == next) ++next;
      n = next;
      fire = next >= c.bases.size();
      break;
    }
  }
  if (!fire) return false;
  out.rule = &c.info;
  out.fields.clear();
  for (const std::string& g : c.group_by) out.fields.emplace_back(g, std::string(FieldValue(e, g)));
  out.fields.emplace_back("count", std::to_string(n));
  out.records.clear();
  for (const auto& en : w) {
    if (out.records.size() >= 50) break;
    out.records.push_back(en.record);
  }
  w.clear();
  return true;
}

}  // namespace trawl::sigma::detail
