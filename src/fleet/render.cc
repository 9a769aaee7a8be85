// The fleet report's writers: HTML (escaped like the single-host report, the
// same page head, CSP and timeline chart), JSON Lines and CSV.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "trawl/fleet/fleet.h"
#include "trawl/report/csv.h"
#include "trawl/report/html.h"
#include "trawl/report/timeline_chart.h"

namespace trawl::fleet {
namespace {

namespace fs = std::filesystem;
using report::HtmlAttr;
using report::HtmlText;

constexpr const char* kVerdicts[] = {"compromised", "suspicious", "failed", "clean"};
constexpr std::size_t kMaxContactRows = 5000;  // timeline table rows; the rest counted

const char* LevelWord(int level) {
  return level == 3 ? "alert" : level == 2 ? "warning" : level == 1 ? "notice" : "none";
}
const char* LevelLabel(int level) {
  return level == 3 ? "ALERT" : level == 2 ? "WARNING" : level == 1 ? "NOTICE" : "INFO";
}

std::string HostLabel(const Host& h) {
  return h.shard.empty() ? h.name : h.name + " (shard " + h.shard + ")";
}

// A relative link that cannot be read as a scheme ("javascript:..."): "./"
// or "../" first, every byte but [A-Za-z0-9._~/-] percent-encoded.
std::string RelativeHref(const std::string& target, const std::string& html_path) {
  std::error_code ec;
  fs::path base = fs::absolute(fs::path(html_path), ec).parent_path();
  fs::path abs = fs::absolute(fs::path(target), ec);
  std::string rel = abs.lexically_normal().lexically_relative(base.lexically_normal()).string();
  if (rel.empty()) rel = abs.string();
  std::string out = rel.rfind("../", 0) == 0 || rel.rfind('/', 0) == 0 ? "" : "./";
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : rel) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '_' || c == '~' || c == '/' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

// A host named in another table: a link to its row in "Hosts by verdict".
std::string HostCell(const Fleet& f, std::size_t i) {
  return fmt::format("<a href=\"#host-{}\">{}</a>", i, HtmlText(HostLabel(f.hosts[i])));
}

void RenderVerdict(std::string& o, const Fleet& f) {
  std::uint64_t c = f.Count("compromised"), s = f.Count("suspicious"), fl = f.Count("failed"),
                cl = f.Count("clean");
  const char* cls = c ? "compromised" : s ? "suspicious" : fl ? "failed" : "clean";
  o += fmt::format("<section class=\"verdict v-{}\" id=\"verdict\">\n", cls);
  o +=
      fmt::format("<h1>Fleet: {} host{}: {} compromised, {} suspicious, {} failed, {} clean</h1>\n",
                  f.hosts.size(), f.hosts.size() == 1 ? "" : "s", c, s, fl, cl);
  if (c)
    o += "<p>Hosts with alerts: isolate each from every network, preserve evidence and bring in "
         "incident response. Then check the hosts they talked to.</p>\n";
  else if (s)
    o +=
        "<p>Hosts with warnings need review; a confirmed warning makes the host compromised.</p>\n";
  if (fl)
    o += "<p>Failed hosts have no complete report: they are neither clean nor hit. Scan them "
         "again.</p>\n";
  o += fmt::format(
      "<div class=\"counts\"><span>{} compromised</span><span>{} suspicious</span><span>{} "
      "failed</span><span>{} clean</span><span>{} indicator{} hit</span><span>{} bad input "
      "line{}</span></div>\n</section>\n",
      c, s, fl, cl, f.indicators.size(), f.indicators.size() == 1 ? "" : "s", f.bad_lines_seen,
      f.bad_lines_seen == 1 ? "" : "s");
}

void RenderHosts(std::string& o, const Fleet& f, const std::string& html_path) {
  o += "<section id=\"hosts\">\n<h2>Hosts by verdict</h2>\n";
  for (const char* v : kVerdicts) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < f.hosts.size(); ++i)
      if (f.hosts[i].verdict == v) idx.push_back(i);
    o += fmt::format("<h3 id=\"verdict-{}\">{} ({})</h3>\n", v, v, idx.size());
    if (idx.empty()) {
      o += "<p class=\"note\">None.</p>\n";
      continue;
    }
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      const Host &x = f.hosts[a], &y = f.hosts[b];
      if (x.alerts != y.alerts) return x.alerts > y.alerts;
      if (x.warnings != y.warnings) return x.warnings > y.warnings;
      return x.name < y.name;
    });
    o += fmt::format(
        "<table class=\"hosts\" id=\"hosts-{}\"><thead><tr><th>Host</th><th>Alerts</th>"
        "<th>Warnings</th><th>Notices</th><th>Errors</th><th>Files</th><th>Finished</th>"
        "<th>Report</th><th>Details</th></tr></thead><tbody>\n",
        v);
    for (std::size_t i : idx) {
      const Host& h = f.hosts[i];
      std::string report = h.report.empty()
                               ? "<span class=\"note\">none</span>"
                               : fmt::format("<a href=\"{}\">HTML report</a>",
                                             HtmlAttr(RelativeHref(h.report, html_path)));
      std::string details =
          fmt::format("<div class=\"meta\">{} · from <code>{}</code></div>",
                      h.os.empty() ? "OS unknown" : HtmlText(h.os), HtmlText(h.source));
      if (!h.why.empty()) details += "<div>" + HtmlText(h.why) + "</div>";
      if (h.bad_lines) details += fmt::format("<div>{} bad input line(s)</div>", h.bad_lines);
      if (!h.top.empty()) {
        details += fmt::format(
            "<details><summary>Top findings ({})</summary><ul class=\"reasons\">", h.top.size());
        for (const HostFinding& t : h.top)
          details += fmt::format(
              "<li><span class=\"lvl l{}\">{}</span> {} <span class=\"path\">{}</span>"
              "<div class=\"src\">{}</div></li>",
              t.level, LevelLabel(t.level), HtmlText(t.module), HtmlText(t.path),
              HtmlText(t.indicators));
        details += "</ul></details>";
      }
      o += fmt::format(
          "<tr id=\"host-{}\"><td "
          "class=\"path\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
          i, HtmlText(HostLabel(h)), h.alerts, h.warnings, h.notices, h.errors, h.files,
          h.finished.empty() ? "-" : HtmlText(h.finished), report, details);
    }
    o += "</tbody></table>\n";
  }
  o += "</section>\n";
}

void RenderIndicators(std::string& o, const Fleet& f) {
  o += fmt::format("<section id=\"indicators\">\n<h2>Indicators that hit ({})</h2>\n",
                   f.indicators.size());
  if (f.indicators.empty()) {
    o += "<p class=\"note\">No indicator hit on any host.</p>\n</section>\n";
    return;
  }
  std::vector<const IndicatorHit*> order;
  for (const auto& [k, hit] : f.indicators) order.push_back(&hit);
  std::stable_sort(order.begin(), order.end(), [](const IndicatorHit* a, const IndicatorHit* b) {
    if (a->level != b->level) return a->level > b->level;
    return a->hosts.size() > b->hosts.size();
  });
  o += "<table id=\"indicators-table\"><thead><tr><th>Level</th><th>Kind</th><th>Indicator</th>"
       "<th>Hosts</th><th>Findings</th><th>On hosts</th></tr></thead><tbody>\n";
  for (const IndicatorHit* hit : order) {
    std::string hosts;
    for (const auto& [i, n] : hit->hosts)
      hosts +=
          (hosts.empty() ? "" : ", ") + HostCell(f, i) + (n > 1 ? fmt::format(" ({})", n) : "");
    o += fmt::format(
        "<tr><td><span class=\"lvl l{}\">{}</span></td><td>{}</td><td><code class=\"ind\">{}"
        "</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        hit->level, LevelLabel(hit->level), HtmlText(hit->kind), HtmlText(hit->indicator),
        hit->description.empty() ? ""
                                 : "<div class=\"desc\">" + HtmlText(hit->description) + "</div>",
        hit->hosts.size(), hit->findings, hosts);
  }
  o += "</tbody></table>\n</section>\n";
}

struct ContactRow {
  std::size_t host;
  const Contact* c;
};

std::vector<ContactRow> ContactsByTime(const Fleet& f) {
  std::vector<ContactRow> rows;
  for (std::size_t i = 0; i < f.hosts.size(); ++i)
    for (const Contact& c : f.hosts[i].timeline) rows.push_back({i, &c});
  std::stable_sort(rows.begin(), rows.end(), [](const ContactRow& a, const ContactRow& b) {
    const std::string& x = a.c->first_seen.empty() ? a.c->last_seen : a.c->first_seen;
    const std::string& y = b.c->first_seen.empty() ? b.c->last_seen : b.c->first_seen;
    return x < y;  // ISO 8601 UTC sorts as text; untimed ones first, then not drawn
  });
  return rows;
}

void RenderTimeline(std::string& o, const Fleet& f) {
  std::vector<ContactRow> rows = ContactsByTime(f);
  o +=
      fmt::format("<section id=\"timeline\">\n<h2>Timeline of C2 contacts across hosts ({})</h2>\n",
                  rows.size());
  if (rows.empty()) {
    o += "<p class=\"note\">No host reported contact with a network indicator.</p>\n</section>\n";
    return;
  }
  std::vector<report::ChartRow> chart;
  chart.reserve(rows.size());
  for (const ContactRow& r : rows)
    chart.push_back({f.hosts[r.host].name + " \xc2\xb7 " + r.c->indicator, r.c->first_seen,
                     r.c->last_seen, r.c->hits});
  o += report::TimelineChartSvg(chart, {.max_rows = 400, .id = "fleet-timeline-chart"});
  o += "<table id=\"timeline-table\"><thead><tr><th>Host</th><th>Indicator</th><th>Kind</th>"
       "<th>First seen (UTC)</th><th>Last seen (UTC)</th><th>Hits</th></tr></thead><tbody>\n";
  std::size_t shown = 0;
  for (const ContactRow& r : rows) {
    if (++shown > kMaxContactRows) break;
    o += fmt::format(
        "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></"
        "tr>\n",
        HostCell(f, r.host), HtmlText(r.c->indicator), HtmlText(r.c->kind),
        r.c->first_seen.empty() ? "no time" : HtmlText(r.c->first_seen),
        r.c->last_seen.empty() ? "no time" : HtmlText(r.c->last_seen), r.c->hits);
  }
  o += "</tbody></table>\n";
  if (rows.size() > kMaxContactRows)
    o += fmt::format("<p class=\"note\">{} more contacts are in the JSON output.</p>\n",
                     rows.size() - kMaxContactRows);
  o += "</section>\n";
}

void RenderBadLines(std::string& o, const Fleet& f) {
  o += fmt::format("<section id=\"bad-lines\">\n<h2>Bad input lines ({})</h2>\n", f.bad_lines_seen);
  if (f.bad_lines.empty()) {
    o += "<p class=\"note\">Every input line was read.</p>\n</section>\n";
    return;
  }
  o += "<details><summary>Lines that are not records of the JSON Lines contract</summary>\n"
       "<table><thead><tr><th>Where</th><th>Problem</th></tr></thead><tbody>\n";
  for (const BadLine& b : f.bad_lines)
    o += fmt::format("<tr><td class=\"path\">{}</td><td>{}</td></tr>\n", HtmlText(b.where),
                     HtmlText(b.message));
  o += "</tbody></table></details>\n";
  if (f.bad_lines_seen > f.bad_lines.size())
    o += fmt::format("<p class=\"note\">{} more are not listed (see the JSON output).</p>\n",
                     f.bad_lines_seen - f.bad_lines.size());
  o += "</section>\n";
}

Status Write(std::FILE* out, const std::string& s, const char* what) {
  if (std::fwrite(s.data(), 1, s.size(), out) != s.size() || std::fflush(out) != 0)
    return Status::Error(std::string("writing the fleet ") + what + " failed");
  return Status::Ok();
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

Status WriteFleetHtml(const Fleet& f, std::FILE* out, const std::string& html_path) {
  std::string o = report::HtmlPageHead(fmt::format("trawl fleet report: {} hosts, {} compromised",
                                                   f.hosts.size(), f.Count("compromised")));
  RenderVerdict(o, f);
  RenderHosts(o, f, html_path);
  RenderIndicators(o, f);
  RenderTimeline(o, f);
  RenderBadLines(o, f);
  o += "<footer>Fleet report written by trawl report merge. Every value from the host reports "
       "is shown as text; escapes such as <span class=\"esc\">\\n</span> mark control "
       "characters and bytes that are not UTF-8.</footer>\n</main>\n</body>\n</html>\n";
  return Write(out, o, "HTML report");
}

Status WriteFleetJson(const Fleet& f, std::FILE* out) {
  using nlohmann::json;
  std::string o;
  for (const Host& h : f.hosts) {
    json j = {{"type", "host"},
              {"host", h.name},
              {"verdict", h.verdict},
              {"source", h.source},
              {"alerts", h.alerts},
              {"warnings", h.warnings},
              {"notices", h.notices},
              {"errors", h.errors},
              {"files", h.files},
              {"bad_lines", h.bad_lines},
              {"interrupted", h.interrupted}};
    if (!h.why.empty()) j["why"] = h.why;
    if (!h.report.empty()) j["report"] = h.report;
    if (!h.os.empty()) j["os"] = h.os;
    if (!h.started.empty()) j["started"] = h.started;
    if (!h.finished.empty()) j["finished"] = h.finished;
    if (!h.shard.empty()) j["shard"] = h.shard;
    o += Dump(j);
  }
  for (const auto& [k, hit] : f.indicators) {
    json hosts = json::array();
    for (const auto& [i, n] : hit.hosts) hosts.push_back(f.hosts[i].name);
    o += Dump({{"type", "indicator"},
               {"kind", hit.kind},
               {"indicator", hit.indicator},
               {"description", hit.description},
               {"level", LevelWord(hit.level)},
               {"findings", hit.findings},
               {"hosts", hosts}});
  }
  for (const ContactRow& r : ContactsByTime(f))
    o += Dump({{"type", "contact"},
               {"host", f.hosts[r.host].name},
               {"indicator", r.c->indicator},
               {"kind", r.c->kind},
               {"first_seen", r.c->first_seen},
               {"last_seen", r.c->last_seen},
               {"hits", r.c->hits}});
  for (const BadLine& b : f.bad_lines)
    o += Dump({{"type", "bad_line"}, {"where", b.where}, {"message", b.message}});
  json verdicts = json::object();
  for (const char* v : kVerdicts) verdicts[v] = f.Count(v);
  o += Dump({{"type", "fleet_summary"},
             {"hosts", f.hosts.size()},
             {"verdicts", verdicts},
             {"indicators", f.indicators.size()},
             {"bad_lines", f.bad_lines_seen}});
  return Write(out, o, "JSON");
}

Status WriteFleetCsv(const Fleet& f, std::FILE* out) {
  using report::CsvCell;
  std::string o =
      "host,shard,verdict,alerts,warnings,notices,errors,files,bad_lines,indicators,report,"
      "source,why\r\n";
  std::vector<std::string> inds(f.hosts.size());
  for (const auto& [k, hit] : f.indicators)
    for (const auto& [i, n] : hit.hosts) inds[i] += (inds[i].empty() ? "" : "\n") + hit.indicator;
  for (std::size_t i = 0; i < f.hosts.size(); ++i) {
    const Host& h = f.hosts[i];
    o += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n", CsvCell(h.name),
                     CsvCell(h.shard), CsvCell(h.verdict), h.alerts, h.warnings, h.notices,
                     h.errors, h.files, h.bad_lines, CsvCell(inds[i]), CsvCell(h.report),
                     CsvCell(h.source), CsvCell(h.why));
  }
  return Write(out, o, "CSV");
}

}  // namespace trawl::fleet
