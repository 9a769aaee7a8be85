// Helpers for the ioc tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "trawl/ioc/indicator.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::ioc::testing {

inline uint64_t Loaded(const LoadStats& s) {
  uint64_t n = 0;
  for (const auto& [k, v] : s.loaded) n += v;
  return n;
}

inline uint64_t Skipped(const LoadStats& s, const std::string& reason) {
  auto it = s.skipped.find(reason);
  return it == s.skipped.end() ? 0 : it->second;
}

inline std::string ProblemsText(const LoadStats& s) {
  std::string out;
  for (const Problem& p : s.problems) out += p.where + ": " + p.message + "\n";
  return out;
}

// The shared temporary directory (tests/support), with its paths as
// std::filesystem::path for the loaders' API.
class TempDir {
 public:
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path Write(const std::string& name, const std::string& content) const {
    return dir_.Write(name, content);
  }

 private:
  testsupport::TempDir dir_{"trawl-ioc"};
  std::filesystem::path path_{dir_.path()};
};

}  // namespace trawl::ioc::testing
