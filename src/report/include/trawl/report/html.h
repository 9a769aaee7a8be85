// The HTML report: one self-contained file for the person who decides what
// happens to the machine.
//
// The sink keeps every finding (and the first `max_errors` error records) in
// memory and writes the whole document when the summary arrives: verdict and
// advice first, then the scan facts, the findings (sortable and filterable by
// level and module, each with its reasons and where each indicator came
// from), the timeline of C2 contacts and the errors.
//
// Safety: every string from the scan (paths, log excerpts, rule metadata,
// indicator descriptions) is HTML-escaped; control characters, invalid UTF-8
// and bidirectional overrides are shown as visible escapes. No scan data ever
// reaches the script: the page is rendered on the server side and the one
// inline script only sorts and filters rows. A Content-Security-Policy meta
// allows nothing but that script and the inline style (by SHA-256 hash): no
// network, no images, no other script, even if escaping had a flaw.
#pragma once

#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "trawl/report/sink.h"

namespace trawl::report {

struct HtmlOptions {
  std::size_t max_errors = 2000;  // error records listed; the rest are counted
  // Findings listed (--html-max-findings): the most severe are kept (level,
  // then score); the rest are summarised per module and indicator with a
  // pointer to the JSON Lines output, so a million findings cannot make the
  // report (and the scan's memory) grow without bound. 0: no limit.
  std::size_t max_findings = 10000;
};

// Writes the report to `out` on OnSummary (nothing before). `out` is closed
// by the sink when `own` is true.
std::unique_ptr<Sink> MakeHtmlSink(std::FILE* out, bool own, HtmlOptions opts = {});

// Text for HTML element content or a quoted attribute: & < > " ' escaped;
// control characters, invalid UTF-8 and bidi controls as visible escapes
// (\n, \xff, \u202e) wrapped in <span class="esc">.
std::string HtmlText(std::string_view s);
// The same for attribute values: escapes as plain text, without markup.
std::string HtmlAttr(std::string_view s);

// The Content-Security-Policy the report carries (for tests).
std::string HtmlContentSecurityPolicy();

}  // namespace trawl::report
