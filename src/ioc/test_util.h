// Helpers for the ioc tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "trawl/ioc/indicator.h"

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

// A fresh directory under $TMPDIR, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "trawl-ioc-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path Write(const std::string& name, const std::string& content) const {
    std::filesystem::path p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace trawl::ioc::testing
