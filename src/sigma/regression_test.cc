// SigmaHQ's regression data: every listed rule fires at least match_count
// times on its own sample (as SigmaHQ's CI checks), with the whole rule set
// loaded; the EVTX sample and its JSON export give identical results. Also
// the whole rule set over every EVTX sample in ../shared/data/evtx.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "test_util.h"
#include "trawl/sigma/events.h"
#include "trawl/sigma/sweep.h"

namespace trawl::sigma {
namespace {

namespace fs = std::filesystem;
using testing::FullEngine;
using testing::SigmaData;

struct Hits {
  std::set<std::uint64_t> records;
  std::multiset<std::pair<std::string, std::uint64_t>> by_rule_record;
  std::map<std::string, int> per_rule;
  std::uint64_t events = 0;
};

Hits RunEvtx(const Engine& e, const std::string& path) {
  Hits h;
  auto scratch = e.NewScratch();
  EventBuilder b;
  auto st = evtx::ReadFile(path, [&](const evtx::Record& r) {
    h.events++;
    e.MatchEvent(FromEvtx(r, b), *scratch, [&](const Match& m) {
      h.by_rule_record.insert({m.rule->id, r.id});
      h.per_rule[m.rule->id]++;
    });
  });
  EXPECT_TRUE(st.ok()) << path << ": " << (st.ok() ? "" : st.status().message());
  return h;
}

Hits RunJson(const Engine& e, const std::string& path) {
  Hits h;
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto scratch = e.NewScratch();
  EventBuilder b;
  ParseJsonEvents(
      text, b,
      [&](const Event& ev) {
        h.events++;
        h.records.insert(ev.record);
        e.MatchEvent(ev, *scratch, [&](const Match& m) {
          h.by_rule_record.insert({m.rule->id, ev.record});
          h.per_rule[m.rule->id]++;
        });
      },
      [&](const std::string& where, const std::string& msg) {
        ADD_FAILURE() << path << " " << where << ": " << msg;
      });
  return h;
}

TEST(SigmaRegression, EveryListedRuleFiresOnItsSampleAsEvtxAndJson) {
  const Engine& e = FullEngine();
  int infos = 0, checked = 0;
  for (const char* d : {"rules", "rules-emerging-threats"}) {
    fs::path root = fs::path(SigmaData()) / "regression_data" / d;
    for (const auto& ent : fs::recursive_directory_iterator(root)) {
      if (ent.path().filename() != "info.yml") continue;
      ++infos;
      YAML::Node info = YAML::LoadFile(ent.path().string());
      std::string rule_id = info["rule_metadata"][0]["id"].as<std::string>();
      for (const auto& t : info["regression_tests_info"]) {
        if (t["type"].as<std::string>() != "evtx") continue;
        fs::path evtx = fs::path(SigmaData()) / t["path"].as<std::string>();
        int want = t["match_count"] ? t["match_count"].as<int>() : 1;
        fs::path json = evtx;
        json.replace_extension(".json");
        Hits he = RunEvtx(e, evtx.string());
        EXPECT_GE(he.per_rule[rule_id], want) << rule_id << " on " << evtx;
        ASSERT_TRUE(fs::exists(json)) << json;
        Hits hj = RunJson(e, json.string());
        // The JSON export may hold fewer events than the EVTX file (SigmaHQ
        // exports only the matching ones): compare the events it holds.
        EXPECT_GT(hj.events, 0u) << json;
        EXPECT_LE(hj.events, he.events) << json;
        std::multiset<std::pair<std::string, std::uint64_t>> evtx_hits;
        for (const auto& h : he.by_rule_record)
          if (hj.records.count(h.second)) evtx_hits.insert(h);
        EXPECT_EQ(evtx_hits, hj.by_rule_record) << json;
        ++checked;
      }
    }
  }
  EXPECT_GE(infos, 90);
  EXPECT_EQ(checked, infos);
}

TEST(SigmaRegression, WholeRuleSetOverEverySampleLog) {
  const Engine& e = FullEngine();
  Sweeper sweeper(e);
  auto w = sweeper.NewWorker();
  int files = 0;
  for (const auto& ent : fs::directory_iterator(std::string(TRAWL_SHARED_DATA) + "/evtx")) {
    if (ent.path().extension() != ".evtx") continue;
    ++files;
    std::uint64_t findings = 0, errors = 0;
    Status st = sweeper.ScanFile(
        ent.path().string(), ent.path().string(), InputKind::kEvtx, *w,
        [&](Finding& f) {
          ++findings;
          EXPECT_EQ(f.module, "sigma");
          ASSERT_EQ(f.reasons.size(), 1u);
          EXPECT_EQ(f.reasons[0].kind, "sigma");
        },
        [&](const ErrorRecord&) { ++errors; });
    EXPECT_TRUE(st.ok()) << ent.path() << ": " << st.message();
  }
  EXPECT_GE(files, 5);
  const SweepCounters& c = Sweeper::Counters(*w);
  EXPECT_GT(c.events, 0u);
  EXPECT_GT(c.hits, 0u);
}

TEST(SigmaRegression, WholeRuleSetLoadsAndEverySkipIsReported) {
  const Engine& e = FullEngine();
  const LoadReport& r = e.report();
  std::uint64_t skipped = 0;
  for (const auto& [k, n] : r.skipped) skipped += n;
  EXPECT_EQ(r.loaded + skipped + r.filters, r.documents);
  EXPECT_EQ(r.issues.size(), skipped);
  // No Windows rule is skipped, except the two whose expand placeholder has
  // no value (the specification says to reject those).
  int windows_skips = 0;
  for (const LoadIssue& i : r.issues) {
    if (i.path.find("/windows/") == std::string::npos && i.path.find("win_") == std::string::npos)
      continue;
    ++windows_skips;
    EXPECT_EQ(i.reason, "unset-placeholder") << i.path << ": " << i.detail;
  }
  EXPECT_EQ(windows_skips, 2);
  EXPECT_GT(r.loaded, 3000u);
}

}  // namespace
}  // namespace trawl::sigma
