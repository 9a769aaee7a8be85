// src/app: the command line as the binary parses it (CLI11's size
// validator, repeatable options, module selection, the sweeps' own options),
// default scan paths (--root, --map), module selection from the registry.
#include <gtest/gtest.h>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "cli.h"
#include "trawl/app/registry.h"
#include "trawl/app/scan.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::app {
namespace {

namespace fs = std::filesystem;

class TempTree {
 public:
  std::string Dir(const std::string& rel) const {
    fs::create_directories(t_.path() + "/" + rel);
    return t_.path() + "/" + rel;
  }

 private:
  testsupport::TempDir t_{"trawl-app-test"};
};

// Parses `trawl ARGS...`; the exit code when parsing ended the run.
std::optional<int> ParseArgs(CommandLine& cli, std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"trawl"};
  argv.insert(argv.end(), args.begin(), args.end());
  return cli.Parse(static_cast<int>(argv.size()), argv.data());
}

TEST(CommandLineTest, MaxFileSizeTakesUnitsAndRefusesNegativeOrJunk) {
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--max-file-size", "1G", "/srv"}), std::nullopt);
    EXPECT_EQ(cli.scan().config.max_file_size, 1ull << 30);
    EXPECT_EQ(cli.scan().config.paths, std::vector<std::string>{"/srv"});
  }
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--max-file-size", "512K"}), std::nullopt);
    EXPECT_EQ(cli.scan().config.max_file_size, 512ull << 10);
  }
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan"}), std::nullopt);
    EXPECT_EQ(cli.scan().config.max_file_size, 100ull << 20);  // the documented default
  }
  // Regression (issue 10): "-1" was wrapped around to 2^64-1 (no limit).
  for (const char* bad : {"-1", "lots", "99999999999999999999G"}) {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--max-file-size", bad}), kExitError) << bad;
  }
}

// Issue 15: the archive limits, their documented defaults, and bad values refused.
TEST(CommandLineTest, ArchiveFlags) {
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan"}), std::nullopt);
    const ScanConfig& c = cli.scan().config;
    EXPECT_TRUE(c.archives);
    EXPECT_EQ(c.archive_depth, 4);
    EXPECT_EQ(c.archive_max_bytes, 4ull << 30);
    EXPECT_EQ(c.archive_ratio, 250);
    EXPECT_EQ(c.archive_timeout, 120);
    EXPECT_EQ(c.archive_max_members, 100000u);
  }
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--no-archives", "--archive-depth", "6", "--archive-max-bytes",
                              "8M", "--archive-ratio", "1000", "--archive-timeout", "2.5",
                              "--archive-max-members", "50", "/srv"}),
              std::nullopt);
    const ScanConfig& c = cli.scan().config;
    EXPECT_FALSE(c.archives);
    EXPECT_EQ(c.archive_depth, 6);
    EXPECT_EQ(c.archive_max_bytes, 8ull << 20);
    EXPECT_EQ(c.archive_ratio, 1000);
    EXPECT_EQ(c.archive_timeout, 2.5);
    EXPECT_EQ(c.archive_max_members, 50u);
  }
  for (std::vector<const char*> bad :
       {std::vector<const char*>{"--archive-depth", "0"}, {"--archive-depth", "65"},
        {"--archive-max-bytes", "-1"}, {"--archive-max-bytes", "lots"}, {"--archive-ratio", "0"},
        {"--archive-ratio", "-5"}, {"--archive-timeout", "-1"}, {"--archive-max-members", "0"},
        {"--archive-max-members", "many"}}) {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", bad[0], bad[1]}), kExitError) << bad[0] << " " << bad[1];
  }
}

TEST(CommandLineTest, RepeatableOptionsTakeOneValuePerUseAndNeverSwallowThePath) {
  CommandLine cli;
  EXPECT_EQ(ParseArgs(cli, {"scan", "--iocs", "a.txt", "--iocs", "b.csv", "--exclude", "*.iso",
                            "/data"}),
            std::nullopt);
  const ScanConfig& c = cli.scan().config;
  EXPECT_EQ(c.ioc_paths, (std::vector<std::string>{"a.txt", "b.csv"}));
  EXPECT_EQ(c.exclude_globs, std::vector<std::string>{"*.iso"});
  EXPECT_EQ(c.paths, std::vector<std::string>{"/data"});
}

TEST(CommandLineTest, ModulesAreCheckedAgainstTheRegistry) {
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--modules", "file,,log"}), std::nullopt);
    EXPECT_EQ(cli.scan().config.modules, (std::vector<std::string>{"file", "log"}));
  }
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--modules", "file,registry"}), kExitError);
  }
}

TEST(CommandLineTest, ScoreFlagsAndPacks) {
  CommandLine cli;
  EXPECT_EQ(ParseArgs(cli, {"scan", "--alert-score", "90", "--warning-score", "70",
                            "--notice-score", "45", "--no-builtin", "--no-packs", "-q"}),
            std::nullopt);
  const ScanConfig& c = cli.scan().config;
  EXPECT_EQ(c.thresholds.alert, 90);
  EXPECT_EQ(c.thresholds.warning, 70);
  EXPECT_EQ(c.thresholds.notice, 45);
  EXPECT_FALSE(c.builtin);
  EXPECT_FALSE(c.packs);
  EXPECT_TRUE(cli.scan().quiet);
}

TEST(CommandLineTest, NegativeThreadsAndTimeoutsAreRefused) {
  for (const char* opt : {"--threads", "--yara-timeout", "--file-timeout"}) {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", opt, "-2"}), kExitError) << opt;
  }
}

// A sweep's own options come from its registration (Sigma's here), reach the
// settings' options under their name, and are absent when not given.
TEST(CommandLineTest, SweepOptionsComeFromTheRegistry) {
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--sigma", "r1.yml", "--sigma", "rules/", "--sigma-level",
                              "high", "--placeholder", "admins=root", "/logs"}),
              std::nullopt);
    const auto& o = cli.scan().config.sweep_options;
    ASSERT_EQ(o.count("sigma"), 1u);
    EXPECT_EQ(o.at("sigma"), (std::vector<std::string>{"r1.yml", "rules/"}));
    EXPECT_EQ(o.at("sigma-level"), std::vector<std::string>{"high"});
    EXPECT_EQ(o.at("placeholder"), std::vector<std::string>{"admins=root"});
    EXPECT_EQ(o.count("events"), 0u);
    EXPECT_EQ(cli.scan().config.paths, std::vector<std::string>{"/logs"});
  }
  {
    // Regression: a once-only option swallowed the path after it ("At Most 1
    // required but received 2").
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--sigma-level", "high", "--max-artifact-rows", "5",
                              "/logs"}),
              std::nullopt);
    EXPECT_EQ(cli.scan().config.sweep_options.at("sigma-level"),
              std::vector<std::string>{"high"});
    EXPECT_EQ(cli.scan().config.sweep_options.at("max-artifact-rows"),
              std::vector<std::string>{"5"});
    EXPECT_EQ(cli.scan().config.paths, std::vector<std::string>{"/logs"});
  }
  {
    // Declared once-only: a second use is refused, not silently merged.
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--sigma-level", "high", "--sigma-level", "low"}),
              kExitError);
  }
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--no-such-flag"}), kExitError);
  }
}

TEST(CommandLineTest, RootMapAndDefaultPaths) {
  TempTree t;
  std::string img = t.Dir("img"), img2 = t.Dir("img2");
  std::string map = img2 + ":C";
  CommandLine cli;
  EXPECT_EQ(ParseArgs(cli, {"scan", "--root", img.c_str(), "--map", map.c_str()}), std::nullopt);
  EXPECT_EQ(DefaultScanPaths(cli.scan().config), (std::vector<std::string>{img, img2}));
}

TEST(CommandLineTest, VersionAndHelpEndTheRunWithZero) {
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"--version"}), kExitClean);
  }
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--help"}), kExitClean);
  }
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {}), kExitError);  // a command is required
  }
}

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

namespace trawl::app {
namespace {

// Issue 17: --shard I/N is parsed into the scan's configuration; a bad value
// ends the run at parse time with exit 2.
TEST(CommandLineTest, ShardIsParsedAndBadValuesAreRefused) {
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--shard", "2/5", "/srv"}), std::nullopt);
    ASSERT_TRUE(cli.scan().config.shard.has_value());
    EXPECT_EQ(cli.scan().config.shard->index, 2u);
    EXPECT_EQ(cli.scan().config.shard->count, 5u);
    EXPECT_EQ(cli.scan().config.paths, std::vector<std::string>{"/srv"});
  }
  {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "/srv"}), std::nullopt);
    EXPECT_FALSE(cli.scan().config.shard.has_value());
  }
  for (const char* bad : {"0/0", "3/2", "junk", "1/0", "0/1"}) {
    CommandLine cli;
    EXPECT_EQ(ParseArgs(cli, {"scan", "--shard", bad, "/srv"}), kExitError) << bad;
  }
  {
    CommandLine cli;  // `report merge` needs at least one input
    EXPECT_EQ(ParseArgs(cli, {"report", "merge", "--html", "x.html"}), kExitError);
  }
}

}  // namespace
}  // namespace trawl::app
