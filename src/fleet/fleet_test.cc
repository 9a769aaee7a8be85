// The fleet report (trawl report merge): hostile JSON Lines, verdicts,
// indicators per host, the timeline chart, 1,000 synthetic hosts.
#include "trawl/fleet/fleet.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trawl/report/html.h"
#include "trawl/report/timeline_chart.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::fleet {
namespace {

using testsupport::TempDir;

std::string FindingLine(const std::string& level, const std::string& path,
                        const std::string& indicator, const std::string& kind = "hash") {
  nlohmann::json j = {{"type", "finding"},
                      {"level", level},
                      {"score", level == "alert"     ? 100
                                : level == "warning" ? 65
                                                     : 45},
                      {"module", "file"},
                      {"path", path},
                      {"reasons",
                       {{{"kind", kind},
                         {"indicator", indicator},
                         {"description", "desc of " + indicator},
                         {"source", "x:1"},
                         {"score", 100}}}}};
  return j.dump() + "\n";
}

std::string SummaryLine(const std::string& host, int alerts, int warnings, bool interrupted = false,
                        const nlohmann::json& timeline = nlohmann::json::array()) {
  nlohmann::json j = {{"type", "summary"},
                      {"files", 10},
                      {"errors", 0},
                      {"host", host},
                      {"os", "Linux"},
                      {"finished", "2026-01-01T00:00:00Z"},
                      {"interrupted", interrupted},
                      {"findings", {{"alert", alerts}, {"warning", warnings}, {"notice", 0}}}};
  if (!timeline.empty()) j["timeline"] = timeline;
  return j.dump() + "\n";
}

std::string Render(const Fleet& f, const std::string& html_path) {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* m = open_memstream(&buf, &len);
  EXPECT_TRUE(WriteFleetHtml(f, m, html_path).ok());
  std::fclose(m);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

std::string RenderWith(Status (*fn)(const Fleet&, std::FILE*), const Fleet& f) {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* m = open_memstream(&buf, &len);
  EXPECT_TRUE(fn(f, m).ok());
  std::fclose(m);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

TEST(FleetMerge, VerdictsFromFindingsAndSummaries) {
  TempDir dir;
  std::string hit = dir.Write(
      "a.jsonl", FindingLine("alert", "/opt/evil", "abc123") + SummaryLine("alpha", 1, 0));
  std::string warn =
      dir.Write("b.jsonl", FindingLine("warning", "/opt/odd", "odd") + SummaryLine("bravo", 0, 1));
  std::string clean = dir.Write("c.jsonl", SummaryLine("charlie", 0, 0));
  std::string cut = dir.Write("d.jsonl", FindingLine("notice", "/x", "n"));  // no summary
  std::string stopped = dir.Write("e.jsonl", SummaryLine("echo", 0, 0, true));
  // A summary that plays the hit down does not hide the alert line before it.
  std::string liar = dir.Write(
      "f.jsonl", FindingLine("alert", "/opt/evil2", "abc123") + SummaryLine("foxtrot", 0, 0));
  Fleet f;
  for (const std::string& p : {hit, warn, clean, cut, stopped, liar, dir.path() + "/missing.jsonl"})
    AddHostReport(f, p);
  ASSERT_EQ(f.hosts.size(), 7u);
  EXPECT_EQ(f.hosts[0].verdict, "compromised");
  EXPECT_EQ(f.hosts[0].name, "alpha");
  EXPECT_EQ(f.hosts[1].verdict, "suspicious");
  EXPECT_EQ(f.hosts[2].verdict, "clean");
  EXPECT_EQ(f.hosts[3].verdict, "failed");
  EXPECT_NE(f.hosts[3].why.find("no summary"), std::string::npos);
  EXPECT_EQ(f.hosts[4].verdict, "failed");
  EXPECT_NE(f.hosts[4].why.find("interrupted"), std::string::npos);
  EXPECT_EQ(f.hosts[5].verdict, "compromised");
  EXPECT_EQ(f.hosts[6].verdict, "failed");
  EXPECT_NE(f.hosts[6].why.find("cannot read"), std::string::npos);
  EXPECT_EQ(f.Count("compromised"), 2u);
  EXPECT_EQ(FleetExitCode(f), 1);
  // The indicator that hit, on which hosts.
  auto it = f.indicators.find({"hash", "abc123"});
  ASSERT_NE(it, f.indicators.end());
  EXPECT_EQ(it->second.hosts.size(), 2u);
  EXPECT_EQ(it->second.level, 3);
  EXPECT_TRUE(it->second.hosts.count(0) && it->second.hosts.count(5));

  Fleet only_clean;
  AddHostReport(only_clean, clean);
  EXPECT_EQ(FleetExitCode(only_clean), 0);
  AddHostReport(only_clean, cut);
  EXPECT_EQ(FleetExitCode(only_clean), 2);  // a failed host is never called clean
}

TEST(FleetMerge, HostileLinesAreReportedAsFileLineAndCountedNeverAbort) {
  TempDir dir;
  std::string deep(100000, '[');
  std::string lines;
  lines += "not json at all\n";                                    // 1
  lines += "[1,2,3]\n";                                            // 2
  lines += "{\"no_type\":1}\n";                                    // 3
  lines += deep + "\n";                                            // 4
  lines += std::string("{\"type\":\"finding\",\0\"x\":1}\n", 26);  // 5: a NUL
  lines +=
      "{\"type\":\"finding\",\"level\":\"alert\",\"reasons\":\"nope\",\"score\":\"x\"}\n";  // 6:
                                                                                            // kept
  lines += std::string(kMaxLine + 10, 'x') + "\n";          // 7: too long
  lines += "\n";                                            // 8: blank, fine
  lines += "{\"type\":\"finding\",\"level\":\"bogus\"}\n";  // 9
  lines += FindingLine("alert", "/tmp/<script>alert(1)</script>\xe2\x80\xae.exe",
                       "<img src=x onerror=alert(2)>", "c2");  // 10
  lines += SummaryLine("<b>evil-host</b>\"'", 2, 0, false,
                       {{{"indicator", "<svg onload=alert(3)>"},
                         {"kind", "domain"},
                         {"first_seen", "2023-03-01T00:00:00Z"},
                         {"last_seen", "2023-03-05T00:00:00Z"},
                         {"hits", 4}}});  // 11
  lines +=
      "{\"type\":\"summary\",\"host\":42,\"timeline\":[1,{\"indicator\":[]}]}";  // 12, no newline
  std::string path = dir.Write("javascript:alert(4).jsonl", lines);
  dir.Write("javascript:alert(4).html", "<p>host report</p>");
  Fleet f;
  AddHostReport(f, path);
  ASSERT_EQ(f.hosts.size(), 1u);
  const Host& h = f.hosts[0];
  // 1, 2, 3, 4, 5, 7, 9 bad; 12 is a second summary (reported, and it counts).
  EXPECT_EQ(f.bad_lines_seen, 8u);
  ASSERT_EQ(f.bad_lines.size(), 8u);
  EXPECT_EQ(f.bad_lines[0].where, path + ":1");
  EXPECT_EQ(f.bad_lines[0].message, "not JSON");
  EXPECT_EQ(f.bad_lines[1].message, "not a JSON object");
  EXPECT_EQ(f.bad_lines[3].where, path + ":4");
  EXPECT_NE(f.bad_lines[3].message.find("nested deeper"), std::string::npos);
  EXPECT_EQ(f.bad_lines[4].where, path + ":5");
  EXPECT_EQ(f.bad_lines[5].where, path + ":7");
  EXPECT_NE(f.bad_lines[5].message.find("longer than"), std::string::npos);
  EXPECT_EQ(f.bad_lines[6].where, path + ":9");
  EXPECT_EQ(f.bad_lines[7].where, path + ":12");
  EXPECT_EQ(h.verdict, "compromised");  // lines 6 and 10 are alerts
  EXPECT_EQ(h.alerts, 2u);

  std::string html = Render(f, dir.path() + "/fleet.html");
  // Nothing from the input is markup.
  for (const char* raw : {"<script>alert", "<img src=x", "<svg onload", "<b>evil-host"})
    EXPECT_EQ(html.find(raw), std::string::npos) << raw;
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"esc\">\\u202e</span>"), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);   // the fleet page has no script at all
  EXPECT_EQ(html.find("style=\""), std::string::npos);  // the CSP forbids style attributes
  // The link to the per-host report cannot be read as a javascript: URL.
  EXPECT_NE(html.find("href=\"./javascript%3Aalert%284%29.html\""), std::string::npos);
  EXPECT_EQ(html.find("href=\"javascript"), std::string::npos);
  // The bad lines are listed in the page, file:line.
  EXPECT_NE(html.find(":12</td>"), std::string::npos);
  std::string json = RenderWith(&WriteFleetJson, f);
  EXPECT_NE(json.find("\"type\":\"bad_line\""), std::string::npos);
}

TEST(FleetMerge, NoSummaryAndDirectoryAndFifoAreFailedHosts) {
  TempDir dir;
  std::string fifo = dir.path() + "/fifo.jsonl";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Fleet f;
  AddHostReport(f, dir.path());  // a directory
  AddHostReport(f, fifo);        // never blocks
  AddHostReport(f, dir.Write("empty.jsonl", ""));
  ASSERT_EQ(f.hosts.size(), 3u);
  for (const Host& h : f.hosts) EXPECT_EQ(h.verdict, "failed") << h.source;
  EXPECT_NE(f.hosts[1].why.find("not a regular file"), std::string::npos);
}

TEST(FleetMerge, ThousandHostsStayBounded) {
  TempDir dir;
  Fleet f;
  const int kHosts = 1000;
  for (int i = 0; i < kHosts; ++i) {
    std::string name = "host" + std::to_string(i);
    std::string lines;
    int alerts = 0;
    if (i % 10 == 0) {  // 100 compromised hosts share one hash
      lines += FindingLine("alert", "/opt/payload.dll", "deadbeef");
      alerts = 1;
    }
    // One host with very many findings: only kTopFindings are kept for the page.
    int notices = i == 7 ? 5000 : 3;
    for (int k = 0; k < notices; ++k)
      lines += FindingLine("notice", "/var/tmp/f" + std::to_string(k), "n" + std::to_string(k % 3));
    nlohmann::json tl = nlohmann::json::array();
    if (i % 4 == 0)
      tl.push_back({{"indicator", "c2.example"},
                    {"kind", "domain"},
                    {"first_seen", "2023-03-" + std::string(i % 28 < 9 ? "0" : "") +
                                       std::to_string(i % 28 + 1) + "T00:00:00Z"},
                    {"last_seen", "2023-03-29T00:00:00Z"},
                    {"hits", 2}});
    lines += SummaryLine(name, alerts, 0, false, tl);
    AddHostReport(f, dir.Write("r/" + name + ".jsonl", lines));
  }
  ASSERT_EQ(f.hosts.size(), static_cast<std::size_t>(kHosts));
  EXPECT_EQ(f.Count("compromised"), 100u);
  EXPECT_EQ(f.Count("clean"), 900u);  // notices do not make a host suspicious
  EXPECT_EQ(f.bad_lines_seen, 0u);
  EXPECT_EQ(f.hosts[7].notices, 5000u);
  EXPECT_EQ(f.hosts[7].top.size(), kTopFindings);
  EXPECT_EQ(f.indicators.at({"hash", "deadbeef"}).hosts.size(), 100u);
  EXPECT_EQ(f.indicators.size(), 4u);  // deadbeef, n0, n1, n2

  std::string html = Render(f, dir.path() + "/fleet.html");
  // Every host is on the page; the chart is capped and says so.
  for (int i : {0, 1, 999})
    EXPECT_NE(html.find(">host" + std::to_string(i) + "<"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("250 rows"), std::string::npos);  // 250 hosts with a contact, all drawn
  EXPECT_LT(html.size(), 16u << 20);                    // bounded by the caps, not the findings
  std::string csv = RenderWith(&WriteFleetCsv, f);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n') >= kHosts + 1, true);
  std::string json = RenderWith(&WriteFleetJson, f);
  EXPECT_NE(json.find("\"compromised\":100"), std::string::npos);
}

TEST(TimelineChart, SvgWithoutScriptOrStyleAttributesAndEscapedLabels) {
  std::vector<report::ChartRow> rows = {
      {"<script>x</script>", "2023-03-01T00:00:00Z", "2023-03-10T00:00:00Z", 3},
      {"later.example", "2023-03-05T00:00:00Z", "", 1},
      {"untimed.example", "", "", 1},
  };
  std::string svg = report::TimelineChartSvg(rows);
  EXPECT_NE(svg.find("<svg viewBox="), std::string::npos);
  EXPECT_EQ(svg.find("<title"), std::string::npos);  // the page has one title
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("style="), std::string::npos);
  EXPECT_NE(svg.find("2 rows"), std::string::npos);
  EXPECT_NE(svg.find("1 without a time"), std::string::npos);
  EXPECT_EQ(std::count(svg.begin(), svg.end(), 'g') > 0, true);
  // The first span starts at the plot's left edge, the second ends before the right.
  EXPECT_NE(svg.find("x1=\"380.0\""), std::string::npos);
  EXPECT_EQ(report::TimelineChartSvg({{"x", "", "", 1}}), "");
  report::ChartOptions capped;
  capped.max_rows = 1;
  EXPECT_NE(report::TimelineChartSvg(rows, capped).find("1 more not drawn"), std::string::npos);
}

}  // namespace
}  // namespace trawl::fleet
