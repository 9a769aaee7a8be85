// Helpers for the artifact sweep tests: temporary directories and matchers.
#pragma once

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "trawl/artifacts/artifact_sweep.h"
#include "trawl/artifacts/artifacts.h"
#include "trawl/ioc/indicator.h"
#include "trawl/netmatch/netmatch.h"
#include "trawl/testsupport/sweep_recorder.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::artifacts::testing {

using TempDir = testsupport::TempDir;  // tests/support

// An indicator set and a matcher over it (the set outlives the matcher).
struct Matcher {
  ioc::IndicatorSet set;
  std::unique_ptr<netmatch::NetMatcher> net;
};

inline std::unique_ptr<Matcher> MakeMatcher(
    const std::vector<std::pair<ioc::Kind, std::string>>& indicators) {
  auto m = std::make_unique<Matcher>();
  for (const auto& [kind, value] : indicators) {
    ioc::Indicator ind;
    ind.kind = kind;
    ind.value = value;
    ind.source = "test:1";
    ind.score = 90;
    m->set.Add(ind);
  }
  auto built = netmatch::NetMatcher::Build(m->set);
  EXPECT_TRUE(built.ok()) << built.status().message();
  if (built.ok()) m->net = std::make_unique<netmatch::NetMatcher>(std::move(built).value());
  return m;
}

// The artifact sweep (evtx, journal, browser) as the pipeline makes it.
inline std::unique_ptr<sweep::Sweep> MakeArtifactSweep(const Matcher& m) {
  sweep::Engine engine;
  engine.net = m.net.get();
  static const sweep::Settings settings;  // no --modules: every artifact sweep runs
  std::vector<std::string> notes;
  auto made = ArtifactSweepRegistration().make(engine, settings, notes);
  EXPECT_TRUE(made.ok()) << made.status().message();
  return made.ok() ? std::move(made).value() : nullptr;
}

// Regression check (issue 10) for a walked artifact: put a copy of the file
// (another inode, the same bytes) in its place after the walk; the sweep
// reports the swap as an error record of `module` and reads nothing, and the
// name walked afresh is read (so the file does hold hits).
inline void ExpectSwappedFileReportedNotRead(const Matcher& m, const std::string& dir,
                                             const std::string& name, const std::string& module) {
  auto sw = MakeArtifactSweep(m);
  ASSERT_NE(sw, nullptr);
  const std::string path = dir + "/" + name;
  testsupport::WalkedFile walked(dir, name);
  std::filesystem::copy_file(path, path + ".swap");
  ASSERT_EQ(::rename((path + ".swap").c_str(), path.c_str()), 0);
  testsupport::Recorder rec;
  ASSERT_TRUE(sw->Claims(walked.Item()));
  sw->Scan(walked.Item(), nullptr, rec);
  EXPECT_TRUE(rec.findings.empty());
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].path, path);
  EXPECT_EQ(rec.errors[0].module, module);
  EXPECT_NE(rec.errors[0].message.find("replaced since it was walked"), std::string::npos)
      << rec.errors[0].message;

  testsupport::WalkedFile again(dir, name);
  testsupport::Recorder rec2;
  sw->Scan(again.Item(), nullptr, rec2);
  EXPECT_TRUE(rec2.errors.empty()) << rec2.errors.front().message;
  EXPECT_FALSE(rec2.findings.empty());
}

// The value of a module field of a hit, or nullptr.
inline const FieldValue* FieldOf(const Hit& hit, const std::string& name) {
  for (const auto& [k, v] : hit.fields)
    if (k == name) return &v;
  return nullptr;
}
inline std::string StrField(const Hit& hit, const std::string& name) {
  const FieldValue* v = FieldOf(hit, name);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "";
}
inline std::int64_t IntField(const Hit& hit, const std::string& name) {
  const FieldValue* v = FieldOf(hit, name);
  return v && std::holds_alternative<std::int64_t>(*v) ? std::get<std::int64_t>(*v) : -1;
}

}  // namespace trawl::artifacts::testing
