// The fleet report in a real browser: headless Chromium (Debian's chromium)
// opens a fleet page built from hostile host reports and dumps the DOM.
// Nothing from the data may become markup, an element or a link target; the
// timeline chart is there without any script.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "trawl/fleet/fleet.h"
#include "trawl/testsupport/chromium.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::fleet {
namespace {

using testsupport::CountOf;

TEST(FleetInChromium, HostileHostReportsNeverRunAndTheChartIsDrawn) {
  testsupport::TempDir tmp("trawl-fleet-html");
  const std::string kHost = "<img src=x onerror=\"document.title='pwned-host'\">";
  const std::string kInd = "<svg onload=\"document.body.setAttribute('data-pwned','1')\">";
  const std::string kDesc = "</script><script>document.title='pwned-desc'</script>";
  Fleet f;
  for (int i = 0; i < 3; ++i) {
    nlohmann::json finding = {
        {"type", "finding"},
        {"level", "alert"},
        {"score", 100},
        {"module", "file\"><iframe src=javascript:alert(1)>"},
        {"path", "/opt/<b>evil</b>" + std::to_string(i)},
        {"reasons", {{{"kind", "c2"}, {"indicator", kInd}, {"description", kDesc}}}}};
    nlohmann::json summary = {{"type", "summary"},
                              {"host", kHost + std::to_string(i)},
                              {"findings", {{"alert", 1}}},
                              {"timeline",
                               {{{"indicator", kInd},
                                 {"kind", "domain"},
                                 {"first_seen", "2023-03-0" + std::to_string(i + 1) + "T00:00:00Z"},
                                 {"last_seen", "2023-03-20T00:00:00Z"},
                                 {"hits", 3}}}}};
    std::string rel = "h" + std::to_string(i) + "/javascript:alert(" + std::to_string(i) + ")";
    tmp.Write(rel + ".jsonl", finding.dump() + "\n" + summary.dump() + "\n<u>not json</u>\n");
    tmp.Write(rel + ".html", "<p>host report</p>");
    AddHostReport(f, tmp.path() + "/" + rel + ".jsonl");
  }
  std::string page = tmp.path() + "/fleet.html";
  std::FILE* out = std::fopen(page.c_str(), "w");
  ASSERT_NE(out, nullptr);
  ASSERT_TRUE(WriteFleetHtml(f, out, page).ok());
  std::fclose(out);

  const testsupport::Dom got = testsupport::ChromiumDom(TRAWL_CHROMIUM, page, tmp.path());
  const std::string& dom = got.html;
  ASSERT_NE(dom.find("</html>"), std::string::npos)
      << "chromium produced no DOM (is the chromium package installed?)\n"
      << got.log;
  // The page's title is its own (no injected script set it).
  EXPECT_NE(dom.find("<title>trawl fleet report: 3 hosts, 3 compromised</title>"),
            std::string::npos);
  EXPECT_EQ(CountOf(dom, "<title>"), 1u);
  EXPECT_EQ(dom.find("data-pwned=\"1\""), std::string::npos);
  for (const char* tag : {"<img", "<iframe", "<b>", "<u>", "<script"})
    EXPECT_EQ(dom.find(tag), std::string::npos) << tag;
  EXPECT_EQ(CountOf(dom, "<svg"), 1u) << "the timeline chart, and no other";
  EXPECT_EQ(CountOf(dom, "<line x1="), 3u + 5u) << "three contact spans and five axis ticks";
  EXPECT_NE(dom.find("&lt;svg onload="), std::string::npos);
  EXPECT_NE(dom.find("&lt;/script&gt;&lt;script&gt;document.title='pwned-desc'"),
            std::string::npos);
  EXPECT_EQ(dom.find("href=\"javascript"), std::string::npos);
  EXPECT_NE(dom.find("href=\"./h0/javascript%3Aalert%280%29.html\""), std::string::npos);
  EXPECT_NE(dom.find("Bad input lines (3)"), std::string::npos);
}

}  // namespace
}  // namespace trawl::fleet
