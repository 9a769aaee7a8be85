// The C2 contact timeline as an inline SVG chart: one row per contact span
// (first to last contact), on one time axis. The single-host HTML report
// (one row per indicator) and the fleet report (`trawl report merge`, one row
// per host and indicator) both draw it with this code.
//
// No script is needed to see it: positions are computed here and written as
// SVG attributes (no style attributes either, which the reports' CSP forbids).
// Every label is escaped as HtmlAttr escapes (plain text, no markup).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trawl::report {

struct ChartRow {
  std::string label;       // shown left of the span (cut to ~48 characters; full in the tooltip)
  std::string first_seen;  // ISO 8601 UTC ("2024-05-01T10:00:00Z", fraction allowed)
  std::string last_seen;
  std::uint64_t hits = 0;
};

struct ChartOptions {
  std::size_t max_rows = 400;  // rows drawn; the rest are counted in the caption
  std::string id = "timeline-chart";
};

// The <figure> holding the chart and a caption saying what was left out (rows
// beyond max_rows, rows without a parsable time). Empty when no row has a time.
std::string TimelineChartSvg(const std::vector<ChartRow>& rows, const ChartOptions& opts = {});

// "2024-05-01T10:00:00Z" (or with a fraction, or "+00:00") -> seconds since
// the epoch; nullopt when it is not such a time.
std::optional<double> ParseIsoSeconds(const std::string& s);

}  // namespace trawl::report
