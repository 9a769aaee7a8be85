// src/app: default scan paths (--root, --map), module selection from the
// sweep registry.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "trawl/app/registry.h"
#include "trawl/app/scan.h"

namespace trawl::app {
namespace {

namespace fs = std::filesystem;

class TempTree {
 public:
  TempTree() {
    char tmpl[] = "/tmp/trawl-app-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempTree() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string Dir(const std::string& rel) const {
    fs::create_directories(path_ + "/" + rel);
    return path_ + "/" + rel;
  }

 private:
  std::string path_;
};

TEST(AppTest, DefaultPathsAreTheLiveRootWithoutAnImage) {
  ScanConfig c;
  EXPECT_EQ(DefaultScanPaths(c), std::vector<std::string>{"/"});
  c.paths = {"/srv"};
  EXPECT_EQ(DefaultScanPaths(c), std::vector<std::string>{"/srv"});
}

TEST(AppTest, RegressionRootAndMapWithSharedPrefixScansBoth) {
  TempTree t;
  ScanConfig c;
  c.image_root = t.Dir("img");
  c.maps = {t.Dir("img2") + ":C"};
  EXPECT_EQ(DefaultScanPaths(c), (std::vector<std::string>{c.image_root, t.Dir("img2")}));
}

TEST(AppTest, MapInsideTheRootIsScannedOnceThroughTheRoot) {
  TempTree t;
  ScanConfig c;
  c.image_root = t.Dir("img");
  c.maps = {t.Dir("img/win") + ":C"};
  EXPECT_EQ(DefaultScanPaths(c), std::vector<std::string>{c.image_root});
}

TEST(AppTest, ModulesComeFromTheRegistryInRunOrder) {
  EXPECT_EQ(KnownModules(), (std::vector<std::string>{"file", "log", "evtx", "journal", "browser",
                                                      "inventory", "process", "network", "sigma"}));
  EXPECT_TRUE(Sweeps().Knows("evtx"));
  EXPECT_FALSE(Sweeps().Knows("sigma-not-yet"));
  EXPECT_EQ(Sweeps().ModuleList(), "file,log,evtx,journal,browser,inventory,process,network,sigma");
}

TEST(AppTest, ModuleSelection) {
  ScanConfig c;
  EXPECT_TRUE(c.Runs("file"));  // no --modules: every sweep that applies
  c.modules = {"log"};
  EXPECT_TRUE(c.Runs("log"));
  EXPECT_FALSE(c.Runs("file"));
}

}  // namespace
}  // namespace trawl::app
