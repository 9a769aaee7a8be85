// Helpers for the artifact sweep tests: temporary directories and matchers.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "trawl/artifacts/artifacts.h"
#include "trawl/ioc/indicator.h"
#include "trawl/netmatch/netmatch.h"
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
