#include "trawl/report/timeline_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "trawl/core/text.h"
#include "trawl/report/html.h"

namespace trawl::report {

std::optional<double> ParseIsoSeconds(const std::string& s) {
  int y, mo, d, h, mi;
  double sec;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf", &y, &mo, &d, &h, &mi, &sec) != 6)
    return std::nullopt;
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || !(sec >= 0 && sec < 61))
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<double>(timegm(&tm)) + sec;
}

namespace {

constexpr double kWidth = 1000, kPlotLeft = 380, kPlotRight = 975;
constexpr double kRowHeight = 20, kTop = 34;
constexpr std::size_t kLabelChars = 48;

// The first `n` code points of s (a valid sequence is never cut; a byte that
// is not UTF-8 counts as one).
std::string CutCodePoints(const std::string& s, std::size_t n) {
  std::size_t i = 0, count = 0;
  while (i < s.size() && count < n) {
    std::size_t len = Utf8SequenceLength(s, i);
    i += len == 0 ? 1 : len;
    ++count;
  }
  return i < s.size() ? s.substr(0, i) + "\xe2\x80\xa6" : s;  // "…"
}

std::string TickLabel(double t) {
  std::time_t tt = static_cast<std::time_t>(std::floor(t));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

}  // namespace

std::string TimelineChartSvg(const std::vector<ChartRow>& rows, const ChartOptions& opts) {
  struct Span {
    const ChartRow* row;
    double a, b;
  };
  std::vector<Span> spans;
  std::size_t untimed = 0;
  for (const ChartRow& r : rows) {
    auto a = ParseIsoSeconds(r.first_seen), b = ParseIsoSeconds(r.last_seen);
    if (!a && !b) {
      ++untimed;
      continue;
    }
    if (!a) a = b;
    if (!b) b = a;
    if (*b < *a) std::swap(a, b);
    spans.push_back({&r, *a, *b});
  }
  if (spans.empty()) return "";
  std::size_t left_out = spans.size() > opts.max_rows ? spans.size() - opts.max_rows : 0;
  spans.resize(spans.size() - left_out);
  double lo = spans[0].a, hi = spans[0].b;
  for (const Span& s : spans) {
    lo = std::min(lo, s.a);
    hi = std::max(hi, s.b);
  }
  double range = hi - lo;
  auto x = [&](double t) {
    return range > 0 ? kPlotLeft + (t - lo) / range * (kPlotRight - kPlotLeft)
                     : (kPlotLeft + kPlotRight) / 2;
  };
  double height = kTop + kRowHeight * static_cast<double>(spans.size()) + 10;
  std::string id = HtmlAttr(opts.id);  // the figure's id
  std::string o;
  o.reserve(512 + spans.size() * 420);
  o += fmt::format("<figure class=\"chart\" id=\"{}\">\n", id);
  // In HTML an <svg> element needs no xmlns (the parser puts it in the SVG
  // namespace); no <title> elements either: the page has one title.
  o += fmt::format(
      "<svg viewBox=\"0 0 {} {:.0f}\" width=\"100%\" role=\"img\" aria-label=\"C2 contacts "
      "from {} to {} UTC, first to last contact per row\" font-family=\"system-ui,sans-serif\" "
      "font-size=\"12\">\n",
      kWidth, height, TickLabel(lo), TickLabel(hi));
  // The time axis: five ticks (one when every contact is at the same time).
  int ticks = range > 0 ? 5 : 1;
  for (int i = 0; i < ticks; ++i) {
    double t = ticks == 1 ? lo : lo + range * i / (ticks - 1);
    double tx = x(t);
    const char* anchor = ticks == 1       ? "middle"
                         : i == 0         ? "start"
                         : i == ticks - 1 ? "end"
                                          : "middle";
    o += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{:.0f}\" stroke=\"#d9dee7\"/>"
        "<text x=\"{:.1f}\" y=\"16\" text-anchor=\"{}\" fill=\"#5b6475\">{}</text>\n",
        tx, kTop - 8, tx, height - 6, tx, anchor, TickLabel(t));
  }
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const Span& s = spans[i];
    double y = kTop + kRowHeight * static_cast<double>(i);
    double x1 = x(s.a), x2 = std::max(x(s.b), x1 + 1);
    std::string full = HtmlAttr(s.row->label);
    o += fmt::format("<g class=\"span\" aria-label=\"{}: {} to {}, {} hit{}\">", full,
                     HtmlAttr(s.row->first_seen.empty() ? s.row->last_seen : s.row->first_seen),
                     HtmlAttr(s.row->last_seen.empty() ? s.row->first_seen : s.row->last_seen),
                     s.row->hits, s.row->hits == 1 ? "" : "s");
    if (i % 2 == 0)
      o += fmt::format("<rect x=\"0\" y=\"{:.0f}\" width=\"{}\" height=\"{}\" fill=\"#f5f7fa\"/>",
                       y, kWidth, kRowHeight);
    o += fmt::format("<text x=\"6\" y=\"{:.0f}\" fill=\"#1d2330\">{}</text>", y + 14,
                     HtmlAttr(CutCodePoints(s.row->label, kLabelChars)));
    o += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.0f}\" x2=\"{:.1f}\" y2=\"{:.0f}\" stroke=\"#b3261e\" "
        "stroke-width=\"6\" stroke-linecap=\"round\"/>"
        "<circle cx=\"{:.1f}\" cy=\"{:.0f}\" r=\"4\" fill=\"#7a1a14\"/>"
        "<circle cx=\"{:.1f}\" cy=\"{:.0f}\" r=\"4\" fill=\"#7a1a14\"/></g>\n",
        x1, y + 10, x2, y + 10, x1, y + 10, x2, y + 10);
  }
  o += "</svg>\n";
  std::string caption = fmt::format("First to last contact, UTC ({} row{})", spans.size(),
                                    spans.size() == 1 ? "" : "s");
  if (left_out) caption += fmt::format("; {} more not drawn (see the table)", left_out);
  if (untimed) caption += fmt::format("; {} without a time, not drawn", untimed);
  o += "<figcaption class=\"note\">" + caption + "</figcaption>\n</figure>\n";
  return o;
}

}  // namespace trawl::report
