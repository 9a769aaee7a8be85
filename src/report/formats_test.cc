// Unit tests of the report formats: HTML, CSV, ECS, syslog message formats,
// progress. Browser and collector tests are in html_browser_test.cc and
// syslog_rsyslog_test.cc.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"
#include "trawl/report/csv.h"
#include "trawl/report/ecs.h"
#include "trawl/report/html.h"
#include "trawl/report/progress.h"
#include "trawl/report/syslog.h"

namespace trawl::report {
namespace {

using testing::Capture;
using testing::HostileFinding;

Summary SampleSummary() {
  Summary s;
  s.files = 10;
  s.bytes = 4096;
  s.errors = 1;
  s.alerts = 1;
  s.seconds = 1.5;
  s.host = "host<1>";
  s.os = "Linux 6.1 x86_64";
  s.paths = {"/tmp/<root>"};
  s.started = "2024-05-01T10:00:00Z";
  s.finished = "2024-05-01T10:00:01Z";
  s.skipped["fifo"] = 2;
  s.indicator_sets.push_back({"builtin:3cx", "2023-04", {{"sha1", 3}}, {}});
  s.timeline.push_back(
      {"akamaicontainer.com", "domain", "2023-03-01T00:00:00Z", "2023-03-20T12:00:00Z", 5, 2});
  s.extra.push_back({"log_lines", std::int64_t{99}});
  return s;
}

// ---------------------------------------------------------------- HTML

struct HtmlCase {
  std::string in, want;
};

TEST(HtmlText, EscapesMarkupAndShowsInvisibleCharacters) {
  const HtmlCase cases[] = {
      {"plain /usr/bin/ls", "plain /usr/bin/ls"},
      {"<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"},
      {"a&b\"c'd", "a&amp;b&quot;c&#39;d"},
      {"new\nline", "new<span class=\"esc\">\\n</span>line"},
      {"bad\xff", "bad<span class=\"esc\">\\xff</span>"},
      {"esc\x1b[31m", "esc<span class=\"esc\">\\x1b</span>[31m"},
      {"invoice\xe2\x80\xaetxt.exe", "invoice<span class=\"esc\">\\u202e</span>txt.exe"},
      {"caf\xc3\xa9 \xe6\x97\xa5", "caf\xc3\xa9 \xe6\x97\xa5"},
      {"C:\\Windows", "C:\\Windows"},
  };
  for (const HtmlCase& c : cases) EXPECT_EQ(HtmlText(c.in), c.want) << c.in;
  EXPECT_EQ(HtmlAttr("a\"b\nc"), "a&quot;b\\nc");
}

std::string Sha256B64(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out(64, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), md, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Between(const std::string& s, const std::string& open, const std::string& close) {
  size_t a = s.find(open);
  if (a == std::string::npos) return "";
  a += open.size();
  size_t b = s.find(close, a);
  return b == std::string::npos ? "" : s.substr(a, b - a);
}

TEST(HtmlReport, SelfContainedWithMatchingCspHashesAndEscapedData) {
  std::string hostile = "/tmp/<img src=x onerror=alert(1)></script><script>alert(2)</script>";
  std::string doc = Capture([](std::FILE* f) { return MakeHtmlSink(f, false); },
                            [&](Sink& s) {
                              s.OnFinding(HostileFinding(hostile));
                              s.OnError({"/tmp/<b>err</b>", "Permission <denied>"});
                              s.OnSummary(SampleSummary());
                            });
  // Exactly one script and one style element, and the CSP names their hashes.
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t p = doc.find(needle); p != std::string::npos; p = doc.find(needle, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("<script"), 1u);
  EXPECT_EQ(count("<style"), 1u);
  EXPECT_EQ(count("<img"), 0u);
  std::string script = Between(doc, "<script>", "</script>");
  std::string style = Between(doc, "<style>", "</style>");
  ASSERT_FALSE(script.empty());
  std::string csp = HtmlContentSecurityPolicy();
  EXPECT_NE(doc.find("content=\"" + csp + "\""), std::string::npos);
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("'sha256-" + Sha256B64(script) + "'"), std::string::npos);
  EXPECT_NE(csp.find("'sha256-" + Sha256B64(style) + "'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
  // No external resource of any kind.
  EXPECT_EQ(doc.find("src="), doc.find("src=x"));  // only inside escaped text
  EXPECT_EQ(doc.find("href="), std::string::npos);
  EXPECT_EQ(doc.find("http://"), std::string::npos);
  EXPECT_EQ(doc.find("https://"), std::string::npos);
  // The data, escaped.
  EXPECT_NE(doc.find("&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(doc.find("=cmd|&#39; /C calc&#39;!A0"), std::string::npos);
  EXPECT_NE(doc.find("from /iocs/hash-iocs.txt:7"), std::string::npos);
  EXPECT_NE(doc.find("Permission &lt;denied&gt;"), std::string::npos);
  EXPECT_NE(doc.find("<title>trawl report: host&lt;1&gt;: compromised</title>"), std::string::npos);
  EXPECT_NE(doc.find("Isolate the host from every network"), std::string::npos);
  EXPECT_NE(doc.find("akamaicontainer.com"), std::string::npos);
  EXPECT_NE(doc.find("log_lines"), std::string::npos);
  EXPECT_NE(doc.find("2023-04"), std::string::npos);
}

TEST(HtmlReport, VerdictFollowsTheHighestLevel) {
  struct Case {
    std::uint64_t alerts, warnings, notices;
    std::string title_part, advice;
  };
  const Case cases[] = {
      {2, 1, 0, "compromised", "Bring in incident response"},
      {0, 3, 1, "suspicious", "Review each warning"},
      {0, 0, 4, "clean", "No loaded indicator matched"},
      {0, 0, 0, "clean", "No loaded indicator matched"},
  };
  for (const Case& c : cases) {
    Summary s;
    s.host = "h";
    s.alerts = c.alerts;
    s.warnings = c.warnings;
    s.notices = c.notices;
    std::string doc = Capture([](std::FILE* f) { return MakeHtmlSink(f, false); },
                              [&](Sink& sink) { sink.OnSummary(s); });
    EXPECT_NE(doc.find("<title>trawl report: h: " + c.title_part + "</title>"), std::string::npos);
    EXPECT_NE(doc.find("v-" + c.title_part), std::string::npos);
    EXPECT_NE(doc.find(c.advice), std::string::npos) << c.title_part;
  }
}

TEST(HtmlReport, ErrorsBeyondTheCapAreCounted) {
  HtmlOptions o;
  o.max_errors = 2;
  std::string doc = Capture([&](std::FILE* f) { return MakeHtmlSink(f, false, o); },
                            [&](Sink& s) {
                              for (int i = 0; i < 5; ++i)
                                s.OnError({"/e" + std::to_string(i), "x"});
                              Summary sum;
                              sum.errors = 5;
                              s.OnSummary(sum);
                            });
  EXPECT_NE(doc.find("/e1"), std::string::npos);
  EXPECT_EQ(doc.find("/e2"), std::string::npos);
  EXPECT_NE(doc.find("3 more error records"), std::string::npos);
}

// Regression (issue 11): the HTML report held every finding (1.93 GB for a
// million). Past --html-max-findings the most severe are listed and the rest
// counted per module and indicator, with a pointer to the JSON.
TEST(HtmlReport, FindingsBeyondTheCapKeepTheMostSevereAndCountTheRest) {
  HtmlOptions o;
  o.max_findings = 3;
  auto finding = [](const std::string& path, Level level, int score, const std::string& ind) {
    Finding f;
    f.module = "log";
    f.path = path;
    f.level = level;
    f.score = score;
    f.reasons.push_back({"c2", ind, "desc", "feed", score});
    return f;
  };
  std::string doc = Capture([&](std::FILE* f) { return MakeHtmlSink(f, false, o); },
                            [&](Sink& s) {
                              for (int i = 0; i < 6; ++i)
                                s.OnFinding(finding("/notice" + std::to_string(i), Level::kNotice,
                                                    45, "low.example"));
                              s.OnFinding(finding("/alert-late", Level::kAlert, 100, "c2.example"));
                              s.OnFinding(finding("/warning", Level::kWarning, 70, "w.example"));
                              Summary sum;
                              sum.alerts = 1;
                              s.OnSummary(sum);
                            });
  EXPECT_NE(doc.find("Findings (8)"), std::string::npos);
  EXPECT_NE(doc.find("/alert-late"), std::string::npos);  // arrived last, still listed
  EXPECT_NE(doc.find("/warning"), std::string::npos);
  int notices = 0;
  for (int i = 0; i < 6; ++i) notices += doc.find("/notice" + std::to_string(i)) != std::string::npos;
  EXPECT_EQ(notices, 1);
  EXPECT_NE(doc.find("the most severe of 8"), std::string::npos);
  EXPECT_NE(doc.find("<td>log</td><td>low.example</td><td>NOTICE</td><td>5</td>"),
            std::string::npos)
      << doc.substr(doc.find("unlisted-table"), 600);
}

TEST(HtmlReport, CloseWithoutSummaryIsAnError) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  auto sink = MakeHtmlSink(f, false);
  EXPECT_FALSE(sink->Close().ok());
  std::fclose(f);
  std::free(buf);
}

// ----------------------------------------------------------------- CSV

TEST(CsvCell, QuotesAndNeutralisesFormulas) {
  const HtmlCase cases[] = {
      {"plain", "\"plain\""},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"two\nlines", "\"two\nlines\""},
      {"=1+1", "\"'=1+1\""},
      {"+SUM(A1)", "\"'+SUM(A1)\""},
      {"-2+3", "\"'-2+3\""},
      {"@SUM(A1)", "\"'@SUM(A1)\""},
      {"\tTAB", "\"'\tTAB\""},
      {"\rCR", "\"'\rCR\""},
      {"   =HYPERLINK(\"x\")", "\"'   =HYPERLINK(\"\"x\"\")\""},
      {"/usr/bin/=x", "\"/usr/bin/=x\""},
      {"", "\"\""},
      {"bad\xff", "\"bad\xef\xbf\xbd\""},
      // Regression (issue 11): a raw ESC reached whoever cats the file.
      {"evil\x1b]0;owned\x07.bin", "\"evil\\x1b]0;owned\\x07.bin\""},
      {std::string("nul\0x", 5), "\"nul\\x00x\""},
      {"del\x7f", "\"del\\x7f\""},
  };
  for (const HtmlCase& c : cases) EXPECT_EQ(CsvCell(c.in), c.want) << c.in;
}

TEST(CsvSink, ParsesBackAsRfc4180WithOneRowPerRecord) {
  std::string path = "/tmp/=cmd|' /C calc'!A0\n\"quoted\",comma \xff.exe";
  std::string out = Capture([](std::FILE* f) { return MakeCsvSink(f, false); },
                            [&](Sink& s) {
                              s.OnFinding(HostileFinding(path));
                              s.OnError({"-rf", "Permission denied"});
                              s.OnSummary(SampleSummary());
                            });
  auto rows = testing::ParseCsv(out);
  ASSERT_TRUE(rows.has_value()) << out;
  ASSERT_EQ(rows->size(), 4u);
  const auto& header = (*rows)[0];
  for (const auto& r : *rows) EXPECT_EQ(r.size(), header.size());
  auto col = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    ADD_FAILURE() << "no column " << name;
    return size_t{0};
  };
  const auto& f = (*rows)[1];
  EXPECT_EQ(f[col("type")], "finding");
  EXPECT_EQ(f[col("level")], "alert");
  EXPECT_EQ(f[col("score")], "100");
  EXPECT_EQ(f[col("path")], "/tmp/=cmd|' /C calc'!A0\n\"quoted\",comma \xef\xbf\xbd.exe");
  EXPECT_EQ(f[col("path_hex")].size(), path.size() * 2);
  EXPECT_EQ(f[col("size")], "1234");
  EXPECT_EQ(f[col("sha256")], std::string(64, 'a'));
  EXPECT_EQ(f[col("reason_kinds")], "hash\nfilename");
  EXPECT_EQ(f[col("descriptions")], "Planted \"sample\" ] with \\ backslash\n=cmd|' /C calc'!A0");
  EXPECT_EQ(f[col("sources")], "/iocs/hash-iocs.txt:7\nbuiltin:3cx");
  const auto& e = (*rows)[2];
  EXPECT_EQ(e[col("type")], "error");
  EXPECT_EQ(e[col("path")], "'-rf");  // neutralised
  EXPECT_EQ((*rows)[3][col("type")], "summary");
  EXPECT_EQ((*rows)[3][col("level")], "compromised");
  // No cell of the output starts a formula.
  for (const auto& r : *rows)
    for (const auto& c : r) {
      size_t i = c.find_first_not_of(' ');
      if (i == std::string::npos) continue;
      EXPECT_TRUE(c[i] != '=' && c[i] != '+' && c[i] != '@' && c[0] != '\t' && c[0] != '\r' &&
                  c[i] != '-')
          << c;
    }
}

// A load problem as the loaders report one: hostile text in every field.
Problem SampleProblem() {
  return {"=/iocs/c2.txt:12\n", "bad \"IPv4\" ] 300.1.1.1 \xff", "-pack:3cx"};
}

TEST(CsvSink, LoadProblemIsAProblemRow) {
  std::string out = Capture([](std::FILE* f) { return MakeCsvSink(f, false); },
                            [&](Sink& s) {
                              s.OnProblem(SampleProblem());
                              s.OnSummary(SampleSummary());
                            });
  auto rows = testing::ParseCsv(out);
  ASSERT_TRUE(rows.has_value()) << out;
  ASSERT_EQ(rows->size(), 3u);
  const auto& header = (*rows)[0];
  auto col = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    ADD_FAILURE() << "no column " << name;
    return size_t{0};
  };
  const auto& p = (*rows)[1];
  ASSERT_EQ(p.size(), header.size());
  EXPECT_EQ(p[col("type")], "problem");
  EXPECT_EQ(p[col("path")], "'=/iocs/c2.txt:12\n");  // neutralised
  EXPECT_EQ(p[col("sources")], "'-pack:3cx");
  EXPECT_EQ(p[col("details")], "bad \"IPv4\" ] 300.1.1.1 \xef\xbf\xbd");
  EXPECT_EQ(p[col("level")], "");
  EXPECT_EQ((*rows)[2][col("type")], "summary");
}

// ----------------------------------------------------------------- ECS

TEST(Ecs, LoadProblemIsAConfigurationErrorEvent) {
  std::string out = Capture(
      [](std::FILE* f) {
        return MakeEcsSink(f, false, {"h", "Linux", "0.1.0"});
      },
      [&](Sink& s) { s.OnProblem(SampleProblem()); });
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one document, one line";
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["event"]["kind"], "event");
  EXPECT_EQ(j["event"]["category"][0], "configuration");
  EXPECT_EQ(j["event"]["type"][0], "error");
  EXPECT_EQ(j["event"]["dataset"], "trawl.problem");
  EXPECT_EQ(j["event"]["outcome"], "failure");
  EXPECT_EQ(j["error"]["message"], "bad \"IPv4\" ] 300.1.1.1 \xef\xbf\xbd");
  EXPECT_EQ(j["trawl"]["problem"]["set"], "-pack:3cx");
  EXPECT_EQ(j["trawl"]["problem"]["where"], "=/iocs/c2.txt:12\n");
  EXPECT_EQ(j["host"]["name"], "h");
  EXPECT_TRUE(j.contains("@timestamp"));
}

TEST(Ecs, FileFindingMapsToEcsFields) {
  EcsOptions o{"web01", "Linux 6.1 x86_64", "0.1.0"};
  Finding f = HostileFinding("/opt/app/bad\xff.dll");
  auto j = nlohmann::json::parse(EcsFinding(f, o, "2024-05-01T10:00:00.000Z"));
  EXPECT_EQ(j["@timestamp"], "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(j["event"]["kind"], "alert");
  EXPECT_EQ(j["event"]["module"], "file");
  EXPECT_EQ(j["event"]["dataset"], "trawl.file");
  EXPECT_EQ(j["event"]["severity"], 100);
  EXPECT_EQ(j["log"]["level"], "alert");
  EXPECT_EQ(j["file"]["path"], "/opt/app/bad\xef\xbf\xbd.dll");
  EXPECT_EQ(j["file"]["name"], "bad\xef\xbf\xbd.dll");
  EXPECT_EQ(j["file"]["directory"], "/opt/app");
  EXPECT_EQ(j["trawl"]["path_hex"], "2f6f70742f6170702f626164ff2e646c6c");
  EXPECT_EQ(j["file"]["size"], 1234);
  EXPECT_EQ(j["file"]["hash"]["sha256"], std::string(64, 'a'));
  EXPECT_EQ(j["file"]["hash"]["md5"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(j["host"]["name"], "web01");
  EXPECT_EQ(j["host"]["os"]["full"], "Linux 6.1 x86_64");
  EXPECT_EQ(j["threat"]["indicator"]["type"], "file");
  EXPECT_EQ(j["threat"]["indicator"]["file"]["hash"]["sha256"], std::string(64, 'a'));
  EXPECT_EQ(j["threat"]["indicator"]["provider"], "/iocs/hash-iocs.txt:7");
  ASSERT_EQ(j["threat"]["enrichments"].size(), 2u);
  EXPECT_EQ(j["threat"]["enrichments"][0]["matched"]["field"], "file.hash.sha256");
  EXPECT_EQ(j["threat"]["enrichments"][1]["matched"]["atomic"], "/opt/app/bad\xef\xbf\xbd.dll");
  EXPECT_EQ(j["trawl"]["reasons"][1]["kind"], "filename");
  EXPECT_EQ(j["trawl"]["line"], 7);
  EXPECT_FALSE(j.contains("destination"));
  EXPECT_EQ(j["ecs"]["version"], "8.11.0");
}

TEST(Ecs, C2HitsSetDestination) {
  struct Case {
    std::string indicator, matched, field, value, ind_type;
  };
  const Case cases[] = {
      {"akamaicontainer.com", "cdn.akamaicontainer.com", "domain", "cdn.akamaicontainer.com",
       "domain-name"},
      {"203.0.113.7", "", "ip", "203.0.113.7", "ipv4-addr"},
      {"2001:db8::1", "", "ip", "2001:db8::1", "ipv6-addr"},
      {"https://github.com/IconStorages/images", "", "domain", "github.com", "url"},
  };
  for (const Case& c : cases) {
    Finding f;
    f.module = "log";
    f.path = "/var/log/proxy.log";
    f.reasons.push_back({"c2", c.indicator, "3CX C2", "builtin:3cx", 100});
    f.score = 100;
    f.level = Level::kAlert;
    if (!c.matched.empty()) f.extra.push_back({"matched", c.matched});
    auto j = nlohmann::json::parse(EcsFinding(f, {}, "t"));
    EXPECT_EQ(j["destination"][c.field], c.value) << c.indicator;
    EXPECT_EQ(j["threat"]["indicator"]["type"], c.ind_type) << c.indicator;
    EXPECT_EQ(j["log"]["file"]["path"], "/var/log/proxy.log");
    EXPECT_FALSE(j.contains("file"));
    EXPECT_EQ(j["event"]["module"], "log");
  }
}

TEST(Ecs, SinkWritesOneDocumentPerLineIncludingErrorsAndSummary) {
  std::string out = Capture(
      [](std::FILE* f) {
        return MakeEcsSink(f, false, {"h", "Linux", "0.1.0"});
      },
      [&](Sink& s) {
        s.OnFinding(HostileFinding("/a\nb"));
        s.OnError({"/x", "Permission denied"});
        s.OnSummary(SampleSummary());
      });
  std::vector<nlohmann::json> docs;
  size_t start = 0;
  for (size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1)
    docs.push_back(nlohmann::json::parse(out.substr(start, nl - start)));
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["file"]["path"], "/a\nb");
  EXPECT_EQ(docs[1]["event"]["kind"], "event");
  EXPECT_EQ(docs[1]["error"]["message"], "Permission denied");
  EXPECT_EQ(docs[2]["event"]["kind"], "metric");
  EXPECT_EQ(docs[2]["trawl"]["summary"]["files"], 10);
  EXPECT_EQ(docs[2]["trawl"]["verdict"], "compromised");
  for (const auto& d : docs) EXPECT_TRUE(d.contains("@timestamp"));
}

// -------------------------------------------------------------- syslog

TEST(SyslogTarget, Parses) {
  struct Case {
    std::string url;
    bool ok;
    SyslogTransport t;
    std::string host;
    int port;
  };
  const Case cases[] = {
      {"udp://10.0.0.1:514", true, SyslogTransport::kUdp, "10.0.0.1", 514},
      {"tcp://siem.example:1514", true, SyslogTransport::kTcp, "siem.example", 1514},
      {"tls://siem.example", true, SyslogTransport::kTls, "siem.example", 6514},
      {"tcp://[2001:db8::1]:601", true, SyslogTransport::kTcp, "2001:db8::1", 601},
      {"udp://host", true, SyslogTransport::kUdp, "host", 514},
      {"http://host:1", false, {}, "", 0},
      {"host:514", false, {}, "", 0},
      {"tcp://:514", false, {}, "", 0},
      {"tcp://h:0", false, {}, "", 0},
      {"tcp://h:70000", false, {}, "", 0},
      {"tcp://h:x", false, {}, "", 0},
      {"tcp://2001:db8::1:514", false, {}, "", 0},
  };
  for (const Case& c : cases) {
    SyslogOptions o;
    Status st = ParseSyslogTarget(c.url, o);
    EXPECT_EQ(st.ok(), c.ok) << c.url;
    if (!c.ok || !st.ok()) continue;
    EXPECT_EQ(o.transport, c.t) << c.url;
    EXPECT_EQ(o.host, c.host) << c.url;
    EXPECT_EQ(o.port, c.port) << c.url;
  }
  SyslogFormat fmt;
  EXPECT_TRUE(ParseSyslogFormat("cef", fmt).ok());
  EXPECT_EQ(fmt, SyslogFormat::kCef);
  EXPECT_FALSE(ParseSyslogFormat("leef", fmt).ok());
}

TEST(SyslogFormat, Rfc5424CarriesEveryFieldRoundTrip) {
  SyslogOptions o;
  o.hostname = "web 01";
  std::string path = "/tmp/a \"b\" ]c\\d\nnew \xc3\xa9\xff";
  Finding f = HostileFinding(path);
  std::string m = FormatSyslogFinding(f, o, "2024-05-01T10:00:00.000Z", 42);
  auto p = testing::ParseSyslog5424(m);
  ASSERT_TRUE(p.has_value()) << m;
  EXPECT_EQ(p->pri, 13 * 8 + 1);
  EXPECT_EQ(p->timestamp, "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(p->hostname, "web_01");
  EXPECT_EQ(p->app, "trawl");
  EXPECT_EQ(p->msgid, "finding");
  EXPECT_EQ(p->Param("meta", "sequenceId"), "42");
  const std::string id = "trawl@32473";
  EXPECT_EQ(p->Param(id, "level"), "alert");
  EXPECT_EQ(p->Param(id, "score"), "100");
  EXPECT_EQ(p->Param(id, "path"), "/tmp/a \"b\" ]c\\d\nnew \xc3\xa9\xef\xbf\xbd");
  EXPECT_EQ(p->Param(id, "path_hex").size(), path.size() * 2);
  EXPECT_EQ(p->Param(id, "reasons"), "2");
  EXPECT_EQ(p->Param(id, "r0_description"), "Planted \"sample\" ] with \\ backslash");
  EXPECT_EQ(p->Param(id, "r1_indicator"), "evil_[a-z]+\\.bin");
  EXPECT_EQ(p->Param(id, "r1_source"), "builtin:3cx");
  EXPECT_EQ(p->Param(id, "x_line"), "7");
  EXPECT_EQ(p->Param(id, "sha256"), std::string(64, 'a'));
  EXPECT_EQ(p->msg.find('\n'), std::string::npos) << "MSG is one line";
}

TEST(SyslogFormat, SeverityFollowsLevel) {
  SyslogOptions o;
  o.hostname = "h";
  o.facility = 4;
  const std::pair<Level, int> cases[] = {
      {Level::kAlert, 1}, {Level::kWarning, 4}, {Level::kNotice, 5}};
  for (auto [level, sev] : cases) {
    Finding f = HostileFinding("/x");
    f.level = level;
    auto p = testing::ParseSyslog5424(FormatSyslogFinding(f, o, "t", 1));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->pri, 4 * 8 + sev);
  }
}

TEST(SyslogFormat, JsonAndCef) {
  SyslogOptions o;
  o.hostname = "h";
  o.version = "0.1.0";
  o.format = SyslogFormat::kJson;
  Finding f = HostileFinding("/tmp/x|y=z\n");
  auto p = testing::ParseSyslog5424(FormatSyslogFinding(f, o, "t", 3));
  ASSERT_TRUE(p);
  auto j = nlohmann::json::parse(p->msg);
  EXPECT_EQ(j["type"], "finding");
  EXPECT_EQ(j["path"], "/tmp/x|y=z\n");
  o.format = SyslogFormat::kCef;
  p = testing::ParseSyslog5424(FormatSyslogFinding(f, o, "t", 3));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->msg.rfind("CEF:0|trawl|trawl|0.1.0|trawl:hash|", 0), 0u) << p->msg;
  EXPECT_NE(p->msg.find("filePath=/tmp/x|y\\=z\\n"), std::string::npos) << p->msg;
  EXPECT_NE(p->msg.find("|10|"), std::string::npos);
  EXPECT_EQ(p->msg.find('\n'), std::string::npos);
}

TEST(SyslogFormat, SummaryCarriesCountsAndExtras) {
  SyslogOptions o;
  o.hostname = "h";
  Summary s = SampleSummary();
  s.extra.push_back({"syslog_delivered", std::int64_t{5}});
  auto p = testing::ParseSyslog5424(FormatSyslogSummary(s, o, "t", 9));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->msgid, "summary");
  EXPECT_EQ(p->Param("trawl@32473", "verdict"), "compromised");
  EXPECT_EQ(p->Param("trawl@32473", "files"), "10");
  EXPECT_EQ(p->Param("trawl@32473", "x_syslog_delivered"), "5");
  EXPECT_EQ(p->Param("trawl@32473", "skipped_fifo"), "2");
}

TEST(SyslogFormat, LoadProblemInEveryFormat) {
  SyslogOptions o;
  o.hostname = "h";
  o.version = "0.1.0";
  Problem pr = SampleProblem();
  auto p = testing::ParseSyslog5424(FormatSyslogProblem(pr, o, "t", 4));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->msgid, "problem");
  EXPECT_EQ(p->pri, 13 * 8 + 4);  // warning
  EXPECT_EQ(p->Param("meta", "sequenceId"), "4");
  const std::string id = "trawl@32473";
  EXPECT_EQ(p->Param(id, "type"), "problem");
  EXPECT_EQ(p->Param(id, "set"), "-pack:3cx");
  EXPECT_EQ(p->Param(id, "where"), "=/iocs/c2.txt:12\n");
  EXPECT_EQ(p->Param(id, "message"), "bad \"IPv4\" ] 300.1.1.1 \xef\xbf\xbd");
  EXPECT_FALSE(p->Param(id, "message_hex").empty());
  EXPECT_EQ(p->msg.find('\n'), std::string::npos) << "MSG is one line";
  o.format = SyslogFormat::kJson;
  p = testing::ParseSyslog5424(FormatSyslogProblem(pr, o, "t", 4));
  ASSERT_TRUE(p);
  auto j = nlohmann::json::parse(p->msg);
  EXPECT_EQ(j["type"], "problem");
  EXPECT_EQ(j["where"], "=/iocs/c2.txt:12\n");
  EXPECT_EQ(j["set"], "-pack:3cx");
  o.format = SyslogFormat::kCef;
  p = testing::ParseSyslog5424(FormatSyslogProblem(pr, o, "t", 4));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->msg.rfind("CEF:0|trawl|trawl|0.1.0|trawl:problem|", 0), 0u) << p->msg;
  EXPECT_NE(p->msg.find("cs2=\\=/iocs/c2.txt:12\\n"), std::string::npos) << p->msg;
  EXPECT_EQ(p->msg.find('\n'), std::string::npos);
}

TEST(SyslogSink, DeadCollectorNeverBlocksAndCountsDrops) {
  // A TCP port nobody listens on (bound, never listening): connects fail.
  SyslogOptions o;
  ASSERT_TRUE(ParseSyslogTarget("tcp://127.0.0.1:9", o).ok());
  o.queue_capacity = 5;
  o.connect_timeout = std::chrono::milliseconds(200);
  auto sink = SyslogSink::Create(o);
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) (*sink)->OnFinding(HostileFinding("/f" + std::to_string(i)));
  auto enqueue = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(enqueue, std::chrono::milliseconds(500)) << "OnFinding must not wait for the network";
  EXPECT_FALSE((*sink)->Drain(std::chrono::milliseconds(300)));
  SyslogStats st = (*sink)->Stats();
  EXPECT_EQ(st.delivered, 0u);
  EXPECT_EQ(st.dropped_full, 45u);
  EXPECT_EQ(st.dropped_undelivered, 5u);
  EXPECT_EQ(st.queued, 5u);
  EXPECT_GT(st.failures, 0u);
  EXPECT_FALSE(st.last_error.empty());
  (*sink)->OnSummary(SampleSummary());
  auto t1 = std::chrono::steady_clock::now();
  EXPECT_TRUE((*sink)->Close().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(4));
  EXPECT_FALSE((*sink)->Stats().summary_delivered);
}

TEST(SyslogSink, BadCaFileFailsAtCreate) {
  SyslogOptions o;
  ASSERT_TRUE(ParseSyslogTarget("tls://127.0.0.1:6514", o).ok());
  o.ca_file = "/nonexistent/ca.pem";
  auto sink = SyslogSink::Create(o);
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().message().find("/nonexistent/ca.pem"), std::string::npos);
}

// ------------------------------------------------------------- progress

TEST(Progress, LineShowsCountsRateElapsedAndArea) {
  std::string line = Progress::Line(1234, 10ull << 20, 2.0, "files", "/usr/share/doc", 120);
  EXPECT_NE(line.find("files: 1234 files"), std::string::npos) << line;
  EXPECT_NE(line.find("10.0 MiB"), std::string::npos) << line;
  EXPECT_NE(line.find("5.0 MiB/s"), std::string::npos) << line;
  EXPECT_NE(line.find("00:00:02"), std::string::npos) << line;
  EXPECT_NE(line.find("/usr/share/doc"), std::string::npos) << line;
  std::string narrow = Progress::Line(1, 1, 1.0, "", std::string(200, 'x') + "/deep", 70);
  EXPECT_LE(narrow.size(), 70u) << narrow;
  EXPECT_NE(narrow.find("...x"), std::string::npos) << narrow;
  EXPECT_NE(narrow.find("/deep"), std::string::npos) << narrow;
}

TEST(Progress, CountsFromManyThreadsAndClearsTheLine) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  {
    Progress p(f, true, 100);
    p.Start();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&p, t] {
        for (int i = 0; i < 20000; ++i)
          p.OnFile("/data/t" + std::to_string(t) + "\x1b]0;x\x07/file", 3);
      });
    for (auto& th : threads) th.join();
    // A slow trickle after the burst: the ticker picks up the current area.
    for (int i = 0; i < 60; ++i) {
      p.OnFile("/data/slow\x1b]0;x\x07/file", 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(p.files(), 80060u);
    EXPECT_EQ(p.bytes(), 240000u);
    p.Stop();
  }
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  EXPECT_NE(out.find(" files, 234.4 KiB, "), std::string::npos) << out;
  size_t escapes = 0, clears = 0;
  for (size_t i = out.find('\x1b'); i != std::string::npos; i = out.find('\x1b', i + 1)) {
    ++escapes;
    clears += out.compare(i, 4, "\x1b[2K") == 0;
  }
  EXPECT_EQ(escapes, clears) << "only our own escapes reach the terminal";
  EXPECT_NE(out.find("\\e]0;x\\x07"), std::string::npos) << "the hostile folder, escaped";
  EXPECT_EQ(out.substr(out.size() - 5), "\r\x1b[2K") << "ends with a cleared line";
  EXPECT_EQ(out.find('\n'), std::string::npos);
}

TEST(Progress, DisabledWritesNothing) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  {
    Progress p(f, false);
    p.Start();
    p.OnFile("/x", 10);
    p.Stop();
    EXPECT_EQ(p.files(), 1u);
  }
  std::fclose(f);
  EXPECT_EQ(len, 0u);
  std::free(buf);
}

}  // namespace
}  // namespace trawl::report
