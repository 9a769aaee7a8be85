// The HTML report in a real browser: headless Chromium (Debian's chromium)
// opens a report full of hostile strings from file:// and dumps the DOM after
// scripts ran. Nothing from the data may become markup or run; the report's
// own script must run (proving its CSP hash) and every finding must be there.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "test_util.h"
#include "trawl/report/html.h"
#include "trawl/testsupport/chromium.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::report {
namespace {

namespace fs = std::filesystem;

using testsupport::CountOf;

TEST(HtmlInChromium, HostileDataNeverRunsAndFindingsAreShown) {
  testsupport::TempDir tmp("trawl-html");
  const std::string& dir = tmp.path();
  std::string report = dir + "/report.html";

  const std::string kHostilePath = "/tmp/<img src=x onerror=\"document.title='pwned-img'\">.exe";
  const std::string kHostileDesc = "</script><script>document.title='pwned-script'</script>";
  const std::string kHostileInd = "<svg onload=\"document.body.setAttribute('data-pwned','1')\">";
  const std::string kHostileModule = "file\"><script>document.title='pwned-attr'</script>";
  constexpr int kFindings = 12;
  {
    std::FILE* f = std::fopen(report.c_str(), "w");
    ASSERT_NE(f, nullptr);
    auto sink = MakeHtmlSink(f, true);
    for (int i = 0; i < kFindings; ++i) {
      Finding fi = testing::HostileFinding(kHostilePath + std::to_string(i));
      fi.reasons[0].description = kHostileDesc;
      fi.reasons[1].indicator = kHostileInd;
      if (i % 3 == 0) fi.module = kHostileModule;
      if (i % 4 == 1) fi.level = Level::kWarning;
      sink->OnFinding(fi);
    }
    sink->OnError({"<iframe src=\"javascript:document.title='pwned-iframe'\">", "<b>denied</b>"});
    Summary s;
    s.host = "<script>document.title='pwned-host'</script>";
    s.os = "Linux";
    s.alerts = 9;
    s.warnings = 3;
    s.errors = 1;
    s.paths = {"/tmp/<u>root</u>"};
    s.timeline.push_back({"<b onmouseover=alert(1)>evil.example</b>", "domain",
                          "2023-03-01T00:00:00Z", "2023-03-20T00:00:00Z", 4, 1});
    s.indicator_sets.push_back({"<i>set</i>", "v1", {{"sha1", 1}}, {}});
    sink->OnSummary(s);
    ASSERT_TRUE(sink->Close().ok());
  }

  const testsupport::Dom got = testsupport::ChromiumDom(TRAWL_CHROMIUM, report, dir);
  const std::string& dom = got.html;
  ASSERT_NE(dom.find("</html>"), std::string::npos)
      << "chromium produced no DOM (is the chromium package installed?)\n"
      << got.log;

  // The report's own script ran: its CSP hash is right and it filled the counter.
  EXPECT_NE(dom.find("data-script=\"ran\""), std::string::npos);
  EXPECT_NE(dom.find(std::to_string(kFindings) + " of " + std::to_string(kFindings) + " shown"),
            std::string::npos);
  // Nothing from the data ran or became an element.
  EXPECT_EQ(dom.find("pwned-img</title>"), std::string::npos);
  EXPECT_EQ(CountOf(dom, "<title>"), 1u);
  EXPECT_NE(
      dom.find("<title>trawl report: &lt;script&gt;document.title='pwned-host'&lt;/script&gt;: "
               "compromised</title>"),
      std::string::npos)
      << dom.substr(0, 2000);
  size_t body = dom.find("<body");
  ASSERT_NE(body, std::string::npos);
  std::string body_tag = dom.substr(body, dom.find('>', body) - body);
  EXPECT_EQ(body_tag.find("data-pwned"), std::string::npos) << body_tag;
  EXPECT_NE(body_tag.find("data-script=\"ran\""), std::string::npos) << body_tag;
  for (const char* tag : {"<img", "<iframe", "<b ", "<b>", "<u>", "<i>"})
    EXPECT_EQ(dom.find(tag), std::string::npos) << tag;
  // The one <svg> is the C2 timeline chart (issue 17), drawn without script;
  // its label is text.
  EXPECT_EQ(CountOf(dom, "<svg"), 1u);
  EXPECT_NE(dom.find("<figure class=\"chart\" id=\"timeline-chart\">"), std::string::npos);
  EXPECT_NE(dom.find(">&lt;b onmouseover=alert(1)&gt;evil.example&lt;/b&gt;</text>"),
            std::string::npos);
  EXPECT_EQ(CountOf(dom, "<script"), 1u) << "only the report's own script";
  // Every finding is there, as text.
  EXPECT_EQ(CountOf(dom, "<tr class=\"finding\""), static_cast<size_t>(kFindings));
  for (int i = 0; i < kFindings; ++i)
    EXPECT_NE(dom.find("/tmp/&lt;img src=x onerror=\"document.title='pwned-img'\"&gt;.exe" +
                       std::to_string(i) + "<"),
              std::string::npos)
        << i;
  EXPECT_NE(dom.find("&lt;/script&gt;&lt;script&gt;document.title='pwned-script'"),
            std::string::npos);
  EXPECT_NE(dom.find("&lt;b onmouseover=alert(1)&gt;evil.example&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(dom.find("from /iocs/hash-iocs.txt:7"), std::string::npos);
  // The hostile module name is an option of the filter, as text.
  EXPECT_NE(dom.find("<option value=\"file&quot;&gt;&lt;script&gt;"), std::string::npos);

  if (!std::getenv("TRAWL_TEST_KEEP")) fs::remove_all(dir);
}

}  // namespace
}  // namespace trawl::report
