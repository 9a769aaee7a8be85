// Exact evaluation of compiled Sigma detections against one event.
#include <arpa/inet.h>

#include <cstring>

#include "eval.h"
#include "pcre_regex.h"

namespace trawl::sigma::detail {

namespace {

bool GlobMatch(const Pattern& p, std::string_view s) {
  std::size_t pi = 0, si = 0, star = std::string::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == kStar) {
      star = pi++;
      mark = si;
    } else if (pi < p.size() && (p[pi] == kOne || p[pi] == static_cast<unsigned char>(s[si]))) {
      ++pi;
      ++si;
    } else if (star != std::string::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == kStar) ++pi;
  return pi == p.size();
}

bool StrOp(Matcher::Kind k, std::string_view v, std::string_view lit) {
  switch (k) {
    case Matcher::kEq:
      return v == lit;
    case Matcher::kPrefix:
      return v.size() >= lit.size() && v.compare(0, lit.size(), lit) == 0;
    case Matcher::kSuffix:
      return v.size() >= lit.size() && v.compare(v.size() - lit.size(), lit.size(), lit) == 0;
    case Matcher::kContains:
      return lit.empty() || v.find(lit) != std::string_view::npos;
    default:
      return false;
  }
}

bool CidrMatch(const Cidr& c, std::string_view v) {
  char buf[64];
  if (v.empty() || v.size() >= sizeof buf) return false;
  std::memcpy(buf, v.data(), v.size());
  buf[v.size()] = 0;
  unsigned char a[16];
  if (inet_pton(c.v6 ? AF_INET6 : AF_INET, buf, a) != 1) return false;
  int full = c.bits / 8, rest = c.bits % 8;
  if (std::memcmp(a, c.addr, static_cast<std::size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[full] & mask) == (c.addr[full] & mask);
}

bool NumMatch(const Matcher& m, std::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  char buf[72];
  std::memcpy(buf, v.data(), v.size());
  buf[v.size()] = 0;
  char* end = nullptr;
  double d = std::strtod(buf, &end);
  if (end != buf + v.size()) return false;
  switch (m.cmp) {
    case 0: return d > m.num;
    case 1: return d >= m.num;
    case 2: return d < m.num;
    default: return d <= m.num;
  }
}

// One matcher against value i of the event.
bool ValueMatch(const Matcher& m, std::size_t i, EvalContext& ctx) {
  switch (m.kind) {
    case Matcher::kEq:
    case Matcher::kPrefix:
    case Matcher::kSuffix:
    case Matcher::kContains:
      return StrOp(m.kind, m.cased ? ctx.Value(i) : ctx.Folded(i), m.lit);
    case Matcher::kGlob:
      return GlobMatch(m.glob, m.cased ? ctx.Value(i) : ctx.Folded(i));
    case Matcher::kRegex:
      return m.re->Search(ctx.Value(i));
    case Matcher::kCidr:
      return CidrMatch(m.cidr, ctx.Value(i));
    case Matcher::kCmp:
      return NumMatch(m, ctx.Value(i));
    default:
      return false;
  }
}

void Record(EvalContext& ctx, const FieldCond& fc, std::size_t i) {
  if (ctx.no_record) return;
  std::string_view name = fc.field.empty()
                              ? (i < ctx.ev->fields.size() ? ctx.ev->fields[i].first
                                                           : std::string_view("raw"))
                              : std::string_view(fc.shown);
  std::string_view v = ctx.Value(i);
  for (const auto& r : ctx.recorded)
    if (r.first == name && r.second == v) return;
  ctx.recorded.emplace_back(name, v);
}

// Does matcher `m` hold for field condition `fc` on this event?
bool MatcherHolds(const FieldCond& fc, const Matcher& m, EvalContext& ctx) {
  const Event& ev = *ctx.ev;
  if (fc.field.empty()) {  // keyword: any value, or the raw line
    for (std::size_t i = 0; i <= ev.fields.size(); ++i) {
      if (i == ev.fields.size() && ev.raw.empty()) break;
      if (ValueMatch(m, i, ctx)) {
        Record(ctx, fc, i);
        return true;
      }
    }
    return false;
  }
  bool present = false;
  const bool indexed = ctx.ids && fc.fid >= 0;
  std::int32_t chain = indexed ? ctx.First(fc.fid) : 0;
  for (std::size_t i = indexed ? static_cast<std::size_t>(chain) : 0;
       indexed ? chain >= 0 : i < ev.fields.size();
       indexed ? (chain = ctx.next[i], i = static_cast<std::size_t>(chain)) : ++i) {
    if (!indexed && ev.fields[i].first != fc.field) continue;
    present = true;
    switch (m.kind) {
      case Matcher::kNull:
        if (ev.fields[i].second.empty()) return true;
        continue;
      case Matcher::kExists:
        continue;
      case Matcher::kFieldRef: {
        for (std::size_t j = 0; j < ev.fields.size(); ++j) {
          if (ev.fields[j].first != m.ref) continue;
          std::string_view a = m.cased ? ctx.Value(i) : ctx.Folded(i);
          std::string_view b = m.cased ? ctx.Value(j) : ctx.Folded(j);
          if (StrOp(m.ref_mode, a, b)) {
            Record(ctx, fc, i);
            return true;
          }
        }
        continue;
      }
      default:
        if (ValueMatch(m, i, ctx)) {
          Record(ctx, fc, i);
          return true;
        }
    }
  }
  if (m.kind == Matcher::kExists) return present == m.exists;
  if (m.kind == Matcher::kNull) return !present;
  return false;
}

}  // namespace

bool EvalFieldCond(const FieldCond& fc, EvalContext& ctx) {
  if (fc.all) {
    for (const Matcher& m : fc.values)
      if (!MatcherHolds(fc, m, ctx)) return false;
    return true;
  }
  for (const Matcher& m : fc.values)
    if (MatcherHolds(fc, m, ctx)) return true;
  return false;
}

namespace {

bool EvalSearch(const Search& s, EvalContext& ctx) {
  for (const auto& alt : s.alts) {
    std::size_t mark = ctx.recorded.size();
    bool ok = true;
    for (const FieldCond& fc : alt) {
      if (!EvalFieldCond(fc, ctx)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
    ctx.recorded.resize(mark);
  }
  return false;
}

}  // namespace

bool EvalCond(const Cond& c, const std::vector<Search>& searches, EvalContext& ctx) {
  std::size_t mark = ctx.recorded.size();
  bool r = false;
  switch (c.kind) {
    case Cond::kRef:
      r = EvalSearch(searches[static_cast<std::size_t>(c.ref)], ctx);
      break;
    case Cond::kAnd:
      r = true;
      for (const Cond& k : c.kids)
        if (!EvalCond(k, searches, ctx)) {
          r = false;
          break;
        }
      break;
    case Cond::kOr:
      for (const Cond& k : c.kids)
        if (EvalCond(k, searches, ctx)) {
          r = true;
          break;
        }
      break;
    case Cond::kNot:
      ++ctx.no_record;
      r = !EvalCond(c.kids[0], searches, ctx);
      --ctx.no_record;
      break;
    case Cond::kAtLeast: {
      int hits = 0;
      int need = c.n;
      int left = static_cast<int>(c.kids.size());
      for (const Cond& k : c.kids) {
        if (EvalCond(k, searches, ctx)) ++hits;
        --left;
        if (hits >= need || hits + left < need) break;
      }
      r = hits >= need;
      break;
    }
  }
  if (!r) ctx.recorded.resize(mark);
  return r;
}

}  // namespace trawl::sigma::detail
