// Sigma v2 correlations: event_count, value_count, temporal and
// temporal_ordered with group-by and timespan, over synthetic events and
// over a real Sysmon log; base rules stay silent unless `generate: true`.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "trawl/sigma/events.h"
#include "trawl/sigma/sweep.h"

namespace trawl::sigma {
namespace {

const char* kBases =
    "title: Failed logon\nid: aaaaaaaa-0000-0000-0000-000000000001\nname: failed_logon\n"
    "logsource:\n  product: windows\n  service: security\n"
    "detection:\n  s:\n    EventID: 4625\n  condition: s\n"
    "---\n"
    "title: Good logon\nid: aaaaaaaa-0000-0000-0000-000000000002\nname: good_logon\n"
    "logsource:\n  product: windows\n  service: security\n"
    "detection:\n  s:\n    EventID: 4624\n  condition: s\n";

struct Ev {
  std::uint32_t id;
  const char* time;
  const char* user;
  const char* ip;
};

// What a match said (Match::rule points into the engine, gone after Correlate).
struct Got {
  std::string title;
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::uint64_t> records;
};

std::vector<Got> Correlate(const std::string& corr, const std::vector<Ev>& evs) {
  Engine e(Mapping::Default());
  e.AddText(std::string(kBases) + "---\n" + corr, "c.yml");
  EXPECT_TRUE(e.Finish().ok());
  for (const auto& i : e.report().issues) ADD_FAILURE() << i.reason << ": " << i.detail;
  auto s = e.NewScratch();
  std::vector<Got> out;
  std::uint64_t rec = 0;
  for (const Ev& x : evs) {
    Event ev;
    ev.channel = "Security";
    ev.has_event_id = true;
    ev.event_id = x.id;
    ev.time = x.time;
    ev.record = ++rec;
    std::string id = std::to_string(x.id);
    ev.Add("EventID", id);
    ev.Add("TargetUserName", x.user);
    ev.Add("IpAddress", x.ip);
    e.MatchEvent(ev, *s, [&](const Match& m) { out.push_back({m.rule->title, m.fields, m.records}); });
  }
  return out;
}

TEST(SigmaCorrelation, EventCountWithGroupByAndTimespan) {
  std::string corr =
      "title: Brute force\nid: bbbbbbbb-0000-0000-0000-000000000001\nlevel: high\n"
      "correlation:\n  type: event_count\n  rules: [failed_logon]\n  group-by: [TargetUserName]\n"
      "  timespan: 5m\n  condition:\n    gte: 3\n";
  auto all = Correlate(corr, {{4625, "2024-01-01T10:00:00Z", "bob", "1.1.1.1"},
                      {4625, "2024-01-01T10:01:00Z", "alice", "1.1.1.1"},
                      {4625, "2024-01-01T10:02:00Z", "bob", "1.1.1.1"},
                      {4624, "2024-01-01T10:02:30Z", "bob", "1.1.1.1"},
                      {4625, "2024-01-01T10:03:00Z", "bob", "1.1.1.1"},  // 3rd bob: fires
                      {4625, "2024-01-01T10:04:00Z", "alice", "1.1.1.1"},
                      {4625, "2024-01-01T10:20:00Z", "alice", "1.1.1.1"}});  // window expired
  std::vector<Got> m;
  int good = 0;
  for (const Got& x : all) {
    EXPECT_NE(x.title, "Failed logon");  // a base rule is silent (generate: false)
    if (x.title == "Good logon") ++good;  // not part of the correlation: reports
    else m.push_back(x);
  }
  EXPECT_EQ(good, 1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].title, "Brute force");
  EXPECT_EQ(m[0].records, (std::vector<std::uint64_t>{1, 3, 5}));
  ASSERT_EQ(m[0].fields.size(), 2u);
  EXPECT_EQ(m[0].fields[0], (std::pair<std::string, std::string>{"TargetUserName", "bob"}));
  EXPECT_EQ(m[0].fields[1], (std::pair<std::string, std::string>{"count", "3"}));
}

TEST(SigmaCorrelation, ValueCountAndGenerate) {
  std::string corr =
      "title: Spray\nid: bbbbbbbb-0000-0000-0000-000000000002\n"
      "correlation:\n  type: value_count\n  rules: [failed_logon]\n  group-by: [IpAddress]\n"
      "  timespan: 1h\n  generate: true\n  condition:\n    field: TargetUserName\n    gt: 2\n";
  auto m = Correlate(corr, {{4625, "2024-01-01T10:00:00Z", "a", "9.9.9.9"},
                      {4625, "2024-01-01T10:00:01Z", "a", "9.9.9.9"},
                      {4625, "2024-01-01T10:00:02Z", "b", "9.9.9.9"},
                      {4625, "2024-01-01T10:00:03Z", "c", "8.8.8.8"},
                      {4625, "2024-01-01T10:00:04Z", "c", "9.9.9.9"}});
  int base = 0, corr_hits = 0;
  for (const Got& x : m) (x.title == "Spray" ? corr_hits : base)++;
  EXPECT_EQ(base, 5);  // generate: true keeps the base rule's own matches
  EXPECT_EQ(corr_hits, 1);
}

TEST(SigmaCorrelation, TemporalAndOrdered) {
  std::string any =
      "title: Fail then success\nid: bbbbbbbb-0000-0000-0000-000000000003\n"
      "correlation:\n  type: temporal\n  rules: [failed_logon, good_logon]\n"
      "  group-by: [TargetUserName]\n  timespan: 10m\n";
  std::string ordered = any;
  ordered.replace(ordered.find("temporal\n"), 9, "temporal_ordered\n");
  std::vector<Ev> success_first = {{4624, "2024-01-01T10:00:00Z", "bob", "x"},
                                   {4625, "2024-01-01T10:01:00Z", "bob", "x"}};
  EXPECT_EQ(Correlate(any, success_first).size(), 1u);
  EXPECT_EQ(Correlate(ordered, success_first).size(), 0u);
  std::vector<Ev> fail_first = {{4625, "2024-01-01T10:00:00Z", "bob", "x"},
                                {4624, "2024-01-01T10:01:00Z", "alice", "x"},  // other group
                                {4624, "2024-01-01T10:02:00Z", "bob", "x"}};
  EXPECT_EQ(Correlate(ordered, fail_first).size(), 1u);
  std::vector<Ev> too_far = {{4625, "2024-01-01T10:00:00Z", "bob", "x"},
                             {4624, "2024-01-01T11:00:00Z", "bob", "x"}};
  EXPECT_EQ(Correlate(any, too_far).size(), 0u);
}

TEST(SigmaCorrelation, EventCountOverARealSysmonLog) {
  Engine e(Mapping::Default());
  e.AddText(
      "title: Process creation\nid: cccccccc-0000-0000-0000-000000000001\n"
      "logsource:\n  product: windows\n  category: process_creation\n"
      "detection:\n  s:\n    EventID: 1\n  condition: s\n"
      "---\n"
      "title: Many processes\nid: cccccccc-0000-0000-0000-000000000002\nlevel: low\n"
      "correlation:\n  type: event_count\n  rules: [cccccccc-0000-0000-0000-000000000001]\n"
      "  group-by: [Computer]\n  timespan: 3650d\n  condition:\n    gte: 10\n",
      "c.yml");
  ASSERT_TRUE(e.Finish().ok());
  Sweeper sw(e);
  auto w = sw.NewWorker();
  std::string path = std::string(TRAWL_SHARED_DATA) + "/evtx/omerbenamram-evtx__sysmon.evtx";
  std::vector<Finding> machine;
  Status st = sw.ScanFile(
      path, path, InputKind::kEvtx, *w,
      [&](Finding& f) {
        if (f.audience == Finding::Audience::kMachine) machine.push_back(f);
      },
      [](const ErrorRecord&) {});
  ASSERT_TRUE(st.ok()) << st.message();
  // 227 Sysmon process creations (event id 1) on one computer, all inside the
  // timespan: a finding per 10 of them.
  ASSERT_EQ(machine.size(), 22u);
  std::map<std::string, FieldValue> x(machine[0].extra.begin(), machine[0].extra.end());
  EXPECT_EQ(std::get<std::string>(x["rule_title"]), "Many processes");
  EXPECT_EQ(std::get<std::string>(x["correlation"]), "event_count");
  EXPECT_EQ(std::get<std::string>(x["matched"]), "Computer=DESKTOP-2KGM189 | count=10");
  std::string recs = std::get<std::string>(x["correlated_records"]);
  EXPECT_EQ(std::count(recs.begin(), recs.end(), ','), 9);
  EXPECT_EQ(std::get<std::string>(x["rule_level"]), "low");
}

}  // namespace
}  // namespace trawl::sigma
