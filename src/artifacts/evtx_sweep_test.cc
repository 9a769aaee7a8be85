// The EVTX sweep over the real samples in ../shared/data/evtx. Expected hits
// come from the samples themselves, read with trawl::evtx (whose decoding is
// checked against libevtx in src/evtx).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "test_util.h"
#include "trawl/artifacts/artifact_sweep.h"
#include "trawl/artifacts/artifacts.h"
#include "trawl/evtx/evtx.h"
#include "trawl/sweep/timeline.h"

namespace trawl::artifacts {
namespace {

const std::string kData = std::string(TRAWL_SHARED_DATA) + "/evtx/";
const std::string kSysmonNet =
    kData + "mdecrevoisier__ID3-7-10_Suspicious_DLL_loaded_CME_Mimikatz.evtx";

std::vector<evtx::Record> ReadRecords(const std::string& path) {
  std::vector<evtx::Record> out;
  auto st = evtx::ReadFile(path, [&](const evtx::Record& r) { out.push_back(r); });
  EXPECT_TRUE(st.ok()) << path;
  return out;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::uint32_t Le32(const std::string& b, std::size_t at) {
  std::uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}

TEST(EvtxSweep, IpFromSampleFoundInEveryFieldHoldingIt) {
  std::vector<evtx::Record> records = ReadRecords(kSysmonNet);
  ASSERT_FALSE(records.empty());
  // The destination of the first network connection (Sysmon event 3).
  std::string ip;
  for (const evtx::Record& r : records)
    for (const evtx::Field& f : r.fields)
      if (ip.empty() && r.event_id == 3 && f.name == "DestinationIp") ip = f.value;
  ASSERT_FALSE(ip.empty());
  std::set<std::pair<std::uint64_t, std::string>> want;
  for (const evtx::Record& r : records)
    for (const evtx::Field& f : r.fields) {
      if (f.value == ip)
        want.insert({r.id, f.name});
      else
        ASSERT_EQ(f.value.find(ip), std::string::npos) << "only exact values in this sample";
    }
  ASSERT_GE(want.size(), 2u);

  auto m = testing::MakeMatcher({{ioc::Kind::kIpv4, ip}});
  Sweeper sweeper(*m->net, {});
  auto res = sweeper.Scan(kSysmonNet, {Type::kEvtx});
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->type, Type::kEvtx);
  EXPECT_EQ(res->items, records.size());
  EXPECT_TRUE(res->errors.empty());
  std::set<std::pair<std::uint64_t, std::string>> got;
  for (const Hit& h : res->hits) {
    auto id = static_cast<std::uint64_t>(testing::IntField(h, "record"));
    got.insert({id, testing::StrField(h, "field")});
    const evtx::Record* rec = nullptr;
    for (const evtx::Record& r : records)
      if (r.id == id) rec = &r;
    ASSERT_NE(rec, nullptr);
    EXPECT_EQ(h.indicator->value, ip);
    EXPECT_EQ(h.time_text, rec->time_text);
    EXPECT_EQ(testing::StrField(h, "channel"), rec->channel);
    EXPECT_EQ(testing::IntField(h, "event_id"), rec->event_id);
    EXPECT_EQ(testing::StrField(h, "provider"), rec->provider);
    EXPECT_EQ(testing::StrField(h, "computer"), rec->computer);
    EXPECT_EQ(testing::StrField(h, "value"), ip);
    EXPECT_EQ(testing::StrField(h, "matched"), ip);
    EXPECT_EQ(std::get<bool>(*testing::FieldOf(h, "recovered")), false);
    EXPECT_EQ(static_cast<std::uint64_t>(testing::IntField(h, "offset")), rec->file_offset);
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(res->hits_total, want.size());
  ASSERT_EQ(res->tally.size(), 1u);
  EXPECT_EQ(res->tally.begin()->second.hits, want.size());

  // Findings: one per hit for machines, one aggregate for people.
  std::vector<Finding> fs = ToFindings(kSysmonNet, *res);
  EXPECT_EQ(fs.size(), want.size() + 1);
  for (const Finding& f : fs) EXPECT_EQ(f.module, "evtx");
}

TEST(EvtxSweep, SystemFieldsAndKeywords) {
  std::vector<evtx::Record> records = ReadRecords(kSysmonNet);
  ASSERT_FALSE(records.empty());
  // The parent domain of the computer name ("host.example.lan" -> "example.lan").
  std::string computer = records[0].computer;
  std::size_t dot = computer.find('.');
  ASSERT_NE(dot, std::string::npos) << computer;
  std::string domain = computer.substr(dot + 1);
  // A keyword: the executable name of the first record with an Image field.
  std::string keyword;
  for (const evtx::Record& r : records)
    for (const evtx::Field& f : r.fields)
      if (keyword.empty() && f.name == "Image") keyword = f.value.substr(f.value.rfind('\\') + 1);
  ASSERT_FALSE(keyword.empty());
  std::set<std::pair<std::uint64_t, std::string>> want_kw;
  for (const evtx::Record& r : records)
    for (const evtx::Field& f : r.fields)
      if (f.value.find(keyword) != std::string::npos) want_kw.insert({r.id, f.name});
  ASSERT_FALSE(want_kw.empty());

  auto m = testing::MakeMatcher({{ioc::Kind::kDomain, domain}, {ioc::Kind::kKeyword, keyword}});
  Sweeper sweeper(*m->net, {});
  auto res = sweeper.Scan(kSysmonNet, {Type::kEvtx});
  ASSERT_TRUE(res.ok()) << res.status().message();
  std::set<std::uint64_t> computer_hits;
  std::set<std::pair<std::uint64_t, std::string>> kw_hits;
  for (const Hit& h : res->hits) {
    auto id = static_cast<std::uint64_t>(testing::IntField(h, "record"));
    if (h.indicator->kind == ioc::Kind::kDomain &&
        testing::StrField(h, "field") == "System/Computer")
      computer_hits.insert(id);
    if (h.indicator->kind == ioc::Kind::kKeyword)
      kw_hits.insert({id, testing::StrField(h, "field")});
  }
  std::set<std::uint64_t> all_ids;
  for (const evtx::Record& r : records)
    if (r.computer == computer) all_ids.insert(r.id);
  EXPECT_EQ(computer_hits, all_ids);
  EXPECT_EQ(kw_hits, want_kw);
}

TEST(EvtxSweep, RecoveredRecordIsFlagged) {
  // Copy the last record into its chunk's slack (as src/evtx's test does):
  // the reader recovers it, the sweep flags its hits.
  std::string file = ReadBytes(kSysmonNet);
  std::vector<evtx::Record> records = ReadRecords(kSysmonNet);
  ASSERT_EQ(records.size(), 5u);
  const evtx::Record& src = records[4];
  std::string ip;
  for (const evtx::Field& f : src.fields)
    if (f.name == "DestinationIp") ip = f.value;
  ASSERT_FALSE(ip.empty());
  std::uint32_t size = Le32(file, src.file_offset + 4);
  std::uint32_t free_space = Le32(file, 4096 + 48);
  std::uint64_t at = 4096 + ((free_space + 7) & ~7u) + 64;
  ASSERT_LT(at + size, 4096u + 65536u);
  std::memcpy(file.data() + at, file.data() + src.file_offset, size);
  testing::TempDir dir;
  std::string path = dir.Write("slack.evtx", file);

  auto m = testing::MakeMatcher({{ioc::Kind::kIpv4, ip}});
  Sweeper sweeper(*m->net, {});
  auto res = sweeper.Scan(path, {Type::kEvtx});
  ASSERT_TRUE(res.ok()) << res.status().message();
  std::size_t recovered = 0, live = 0;
  for (const Hit& h : res->hits) {
    bool rec = std::get<bool>(*testing::FieldOf(h, "recovered"));
    (rec ? recovered : live)++;
    if (rec) {
      EXPECT_EQ(static_cast<std::uint64_t>(testing::IntField(h, "offset")), at);
      EXPECT_EQ(testing::StrField(h, "field"), "DestinationIp");
    }
  }
  EXPECT_EQ(recovered, 1u);
  EXPECT_GE(live, 1u);
}

TEST(EvtxSweep, BrokenChunksAreErrorsTheRestIsRead) {
  const std::string sample = kData + "omerbenamram-evtx__sysmon.evtx";
  std::vector<evtx::Record> clean = ReadRecords(sample);
  std::string file = ReadBytes(sample);
  const std::size_t chunk2 = 4096 + 2 * 65536;
  file[chunk2 + 1000] ^= 0x5a;  // event records CRC no longer matches
  testing::TempDir dir;
  std::string path = dir.Write("broken.evtx", file);
  // Every record's computer name's domain: hits in every chunk still read.
  std::string computer = clean[0].computer;
  auto m = testing::MakeMatcher({{ioc::Kind::kDomain, computer}});
  Options opts;
  opts.max_errors_per_file = 3;
  Sweeper sweeper(*m->net, opts);
  auto res = sweeper.Scan(path, {Type::kEvtx});
  ASSERT_TRUE(res.ok()) << res.status().message();
  // Regression (issue 11): the chunk with a bad CRC was skipped (its hits
  // lost, verdict clean); now it is read best-effort and its hits flagged.
  EXPECT_EQ(res->items, clean.size());
  // Capped: three listed, then one line counting the rest.
  ASSERT_EQ(res->errors.size(), 4u);
  EXPECT_NE(res->errors.back().find("more problems"), std::string::npos);
  bool crc = false;
  for (const std::string& e : res->errors)
    crc |= e.find("checksum mismatch") != std::string::npos &&
           e.find(std::to_string(chunk2)) != std::string::npos;
  Options all;
  Sweeper uncapped(*m->net, all);
  auto full = uncapped.Scan(path, {Type::kEvtx});
  ASSERT_TRUE(full.ok());
  for (const std::string& e : full->errors)
    crc |= e.find("checksum mismatch") != std::string::npos &&
           e.find(std::to_string(chunk2)) != std::string::npos;
  EXPECT_TRUE(crc) << "the broken chunk is named by its offset";
  EXPECT_GT(full->hits_total, 0u);
  auto unbroken = uncapped.Scan(sample, {Type::kEvtx});
  ASSERT_TRUE(unbroken.ok());
  EXPECT_EQ(full->hits_total, unbroken->hits_total) << "no hit lost to the flipped byte";
  std::size_t flagged = 0, in_chunk2 = 0;
  for (const evtx::Record& r : clean)
    in_chunk2 += r.file_offset >= chunk2 && r.file_offset < chunk2 + 65536;
  for (const Hit& h : full->hits) {
    bool mismatch = false;
    for (const auto& [k, v] : h.fields)
      if (k == "checksum_mismatch") mismatch = std::get<bool>(v);
    std::int64_t off = 0;
    for (const auto& [k, v] : h.fields)
      if (k == "offset") off = std::get<std::int64_t>(v);
    bool in =
        off >= static_cast<std::int64_t>(chunk2) && off < static_cast<std::int64_t>(chunk2 + 65536);
    EXPECT_EQ(mismatch, in) << "offset " << off;
    flagged += mismatch;
  }
  if (full->hits.size() == full->hits_total) {
    EXPECT_EQ(flagged, in_chunk2);
  }
  EXPECT_GT(in_chunk2, 0u);
}

TEST(EvtxSweep, HitCapKeepsCounting) {
  std::vector<evtx::Record> records = ReadRecords(kSysmonNet);
  auto m = testing::MakeMatcher({{ioc::Kind::kDomain, records[0].computer}});
  Options opts;
  opts.max_hits_per_file = 2;
  Sweeper sweeper(*m->net, opts);
  auto res = sweeper.Scan(kSysmonNet, {Type::kEvtx});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->hits.size(), 2u);
  EXPECT_EQ(res->hits_total, records.size());
  EXPECT_EQ(res->tally.begin()->second.hits, records.size());
}

TEST(EvtxSweep, NotEvtxOrMissingIsAnError) {
  testing::TempDir dir;
  std::string junk = dir.Write("junk.evtx", std::string(70000, 'j'));
  auto m = testing::MakeMatcher({{ioc::Kind::kDomain, "evil.example"}});
  Sweeper sweeper(*m->net, {});
  EXPECT_FALSE(sweeper.Scan(junk, {Type::kEvtx}).ok());
  EXPECT_FALSE(sweeper.Scan(dir.path() + "/missing.evtx", {Type::kEvtx}).ok());
  // Truncated inside the file header: an error or an empty read, never a crash.
  std::string cut = dir.Write("cut.evtx", ReadBytes(kSysmonNet).substr(0, 100));
  auto r = sweeper.Scan(cut, {Type::kEvtx});
  if (r.ok()) {
    EXPECT_EQ(r->items, 0u);
  }
}

TEST(EvtxSweep, EverySampleReadsWithoutCrashing) {
  auto m = testing::MakeMatcher({{ioc::Kind::kCidr, "0.0.0.0/0"}, {ioc::Kind::kKeyword, "exe"}});
  Sweeper sweeper(*m->net, {});
  for (const auto& e : std::filesystem::directory_iterator(kData)) {
    if (!IsEvtxName(e.path().string())) continue;
    auto res = sweeper.Scan(e.path().string(), {Type::kEvtx});
    ASSERT_TRUE(res.ok()) << e.path() << ": " << res.status().message();
    EXPECT_GT(res->items, 0u) << e.path();
    for (const Hit& h : res->hits) {
      EXPECT_LE(testing::StrField(h, "value").size(), 512u);
      EXPECT_FALSE(testing::StrField(h, "field").empty());
    }
  }
}

// Regression (issue 10): record headers in chunk slack that do not decode were
// one ERROR line each (about 200 on the shared samples). They are counted in
// the summary's evtx_slack_unrecoverable and are no error records.
TEST(EvtxSweep, UnrecoverableSlackIsCountedNotAnError) {
  auto m = testing::MakeMatcher({{ioc::Kind::kDomain, "evil.example"}});
  Sweeper sweeper(*m->net, {});
  SweepStats stats;
  std::uint64_t slack = 0;
  for (const auto& e : std::filesystem::directory_iterator(kData)) {
    if (!IsEvtxName(e.path().string())) continue;
    auto res = sweeper.Scan(e.path().string(), {Type::kEvtx});
    ASSERT_TRUE(res.ok()) << e.path();
    for (const std::string& err : res->errors)
      EXPECT_EQ(err.find("not recoverable"), std::string::npos) << e.path() << ": " << err;
    slack += res->slack_unrecoverable;
    stats.Add(*res);
  }
  EXPECT_GT(slack, 20u);  // 34 in the samples: slack holds half-overwritten records
  Options ran;
  ran.evtx = true;
  std::int64_t counted = -1;
  for (const auto& [k, v] : stats.SummaryFields(ran))
    if (k == "evtx_slack_unrecoverable") counted = std::get<std::int64_t>(v);
  EXPECT_EQ(counted, static_cast<std::int64_t>(slack));
}

}  // namespace
}  // namespace trawl::artifacts

namespace trawl::artifacts {
namespace {

// A sweep::Context that keeps what the artifact sweep reports.
class Recorder final : public sweep::Context {
 public:
  void Emit(Finding& f) override { findings.push_back(f); }
  void Error(const std::string& p, const std::string& msg, std::string_view mod) override {
    errors.emplace_back(p, msg, std::string(mod));
  }
  void Skip(std::string_view) override {}
  void AddContacts(const std::map<const ioc::Indicator*, Contact>& c) override { timeline.Add(c); }
  void AddBytes(std::uint64_t) override {}
  std::vector<Finding> findings;
  std::vector<std::tuple<std::string, std::string, std::string>> errors;
  sweep::ContactTimeline timeline;
};

// The artifact sweep as the pipeline runs it (registration, Claims, Scan,
// Summarize): findings under the shown path, error records under the walked
// path, the contact timeline and the summary counters.
TEST(ArtifactSweep, FindingsErrorsTimelineAndStats) {
  std::vector<evtx::Record> records = ReadRecords(kSysmonNet);
  auto m = testing::MakeMatcher({{ioc::Kind::kDomain, records[0].computer}});
  testing::TempDir dir;
  std::string good = dir.Write("Logs/Sysmon.evtx", ReadBytes(kSysmonNet));
  std::string junk = dir.Write("Logs/Junk.EVTX", std::string(70000, 'j'));
  std::string other = dir.Write("Logs/readme.txt", "hello");
  sweep::Engine engine;
  engine.net = m->net.get();
  sweep::Settings settings;  // no --modules: evtx, journal and browser all run
  std::vector<std::string> notes;
  auto made = ArtifactSweepRegistration().make(engine, settings, notes);
  ASSERT_TRUE(made.ok()) << made.status().message();
  ASSERT_NE(*made, nullptr);
  sweep::Sweep& sw = **made;
  EXPECT_TRUE(sw.walks());
  Recorder rec;
  auto run = [&](const std::string& p) {
    struct stat st {};
    EXPECT_EQ(stat(p.c_str(), &st), 0);
    std::string shown = "C:\\shown\\" + p.substr(p.rfind('/') + 1);
    sweep::Item item{p, p, shown, st, true, false};
    ASSERT_TRUE(sw.Claims(item));
    auto worker = sw.MakeWorker();
    EXPECT_EQ(sw.Scan(item, worker.get(), rec), sweep::Verdict::kContinue);
  };
  run(good);
  run(junk);
  std::size_t before = rec.findings.size() + rec.errors.size();
  run(other);  // no artifact: nothing reported
  EXPECT_EQ(rec.findings.size() + rec.errors.size(), before);
  ASSERT_EQ(rec.findings.size(), records.size() + 1);  // every hit, plus one aggregate
  for (const Finding& f : rec.findings) {
    EXPECT_EQ(f.module, "evtx");
    EXPECT_EQ(f.path, "C:\\shown\\Sysmon.evtx");
  }
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(std::get<0>(rec.errors[0]), junk);
  EXPECT_EQ(std::get<2>(rec.errors[0]), "evtx");
  auto tl =
      rec.timeline.Entries(+[](const ioc::Indicator* i) { return std::string_view(i->value); });
  ASSERT_EQ(tl.size(), 1u);
  EXPECT_EQ(tl[0].hits, records.size());
  EXPECT_EQ(tl[0].files, 1u);
  Summary summary;
  sw.Summarize(summary);
  std::map<std::string, std::int64_t> got;
  for (const auto& [k, v] : summary.extra) got[k] = std::get<std::int64_t>(v);
  EXPECT_EQ(got["evtx_files"], 1);
  EXPECT_EQ(got["evtx_records"], static_cast<std::int64_t>(records.size()));
  EXPECT_EQ(got["evtx_hits"], static_cast<std::int64_t>(records.size()));
  EXPECT_EQ(got["browser_databases"], 0);
  EXPECT_EQ(got["evtx_slack_unrecoverable"], 0);
  EXPECT_EQ(summary.extra.size(), 10u);
}

}  // namespace
}  // namespace trawl::artifacts
