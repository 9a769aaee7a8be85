// Shared helpers for the sigma tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "trawl/sigma/engine.h"

namespace trawl::sigma::testing {

inline std::string SigmaData() { return std::string(TRAWL_SHARED_DATA) + "/sigma"; }

// The whole SigmaHQ rule set (rules, emerging threats, threat hunting), loaded
// once per test binary with the default mapping.
inline const Engine& FullEngine() {
  static Engine* e = [] {
    auto* eng = new Engine(Mapping::Default());
    for (const char* d : {"rules", "rules-emerging-threats", "rules-threat-hunting"}) {
      Status st = eng->AddPath(SigmaData() + "/" + d);
      EXPECT_TRUE(st.ok()) << st.message();
    }
    Status st = eng->Finish();
    EXPECT_TRUE(st.ok()) << st.message();
    return eng;
  }();
  return *e;
}

}  // namespace trawl::sigma::testing
