// The pack store (issue 10 part 4, issue 11 part 6): manifests parsed without
// throwing, installs that copy only what is safe, and a store whose broken
// manifest is an error value rather than an abort.
#include "trawl/ioc/packs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "trawl/testsupport/temp_dir.h"

namespace trawl::ioc {
namespace {

namespace fs = std::filesystem;
using testsupport::TempDir;

TEST(PackManifest, RoundTripsEveryField) {
  PackManifest m;
  m.name = "sigbase";
  m.version = "abc123";
  m.source = "/opt/signature-base";
  m.installed = "2026-12-04T21:00:00Z";
  m.counts = {{"sha256", 12}, {"yara_files", 3}};
  m.skipped = {{"bad line", 2}};
  auto back = ParsePackManifest(PackManifestJson(m), "manifest.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->name, m.name);
  EXPECT_EQ(back->version, m.version);
  EXPECT_EQ(back->source, m.source);
  EXPECT_EQ(back->installed, m.installed);
  EXPECT_EQ(back->counts, m.counts);
  EXPECT_EQ(back->skipped, m.skipped);
}

TEST(PackManifest, NumberVersionIsKeptAsText) {
  // Regression (issue 10): `"version": 5` aborted every scan with exit 134.
  auto m = ParsePackManifest(R"({"name":"p","version":5,"counts":{"md5":-1,"sha1":"x","sha256":4}})",
                             "m.json");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->version, "5");
  EXPECT_EQ(m->counts, (std::map<std::string, std::uint64_t>{{"sha256", 4}}));
}

TEST(PackManifest, NonManifestsAreErrorsNamingTheFile) {
  for (const char* text : {"", "[]", "{", "{\"name\":7}", "{\"version\":\"1\"}", "\xff\xfe{}",
                           "{\"name\":\"a\",\"counts\":{\"x\":1e400}}"}) {
    auto m = ParsePackManifest(text, "/packs/x/manifest.json");
    if (std::string_view(text).find("1e400") != std::string_view::npos) {
      // An out-of-range number is either refused or dropped from the counts;
      // never a crash.
      if (m.ok()) {
        EXPECT_TRUE(m->counts.empty());
      }
      continue;
    }
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_NE(m.status().message().find("/packs/x/manifest.json"), std::string::npos);
  }
}

TEST(PackManifest, NonUtf8SourceIsWrittenNotThrown) {
  PackManifest m;
  m.name = "p";
  m.source = "/mnt/\xff\xfe";
  std::string json = PackManifestJson(m);
  auto back = ParsePackManifest(json, "m.json");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, "p");
}

class PackStore : public ::testing::Test {
 protected:
  TempDir dir_{"trawl-packs"};
  std::string store() const { return dir_.path() + "/store"; }
};

TEST_F(PackStore, InstallListRemove) {
  dir_.Write("src/c2-iocs.txt", "akamaicontainer.com\n");
  dir_.Write("src/hash-iocs.txt",
             "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896;trojanized\n");
  ASSERT_EQ(mkfifo((dir_.path() + "/src/pipe").c_str(), 0600), 0);
  auto m = InstallPack(dir_.path() + "/src", "incident", store());
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->name, "incident");
  const auto count = [&](const char* k) {
    auto it = m->counts.find(k);
    return it == m->counts.end() ? 0u : it->second;
  };
  EXPECT_GE(count("domain") + count("hostname"), 1u);
  EXPECT_GE(count("sha256"), 1u);
  // The FIFO is counted as skipped, never opened (an open would block).
  std::uint64_t skipped = 0;
  for (const auto& [reason, n] : m->skipped) skipped += n;
  EXPECT_GE(skipped, 1u);
  EXPECT_FALSE(fs::exists(fs::path(store()) / "incident/content/pipe"));

  auto list = ListPacks(store());
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "incident");
  EXPECT_EQ((*list)[0].counts, m->counts);

  ASSERT_TRUE(RemovePack("incident", store()).ok());
  list = ListPacks(store());
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(PackStore, BrokenManifestIsAnErrorNotAnAbort) {
  dir_.Write("store/good/manifest.json", R"({"name":"good","version":"1"})");
  dir_.Write("store/bad/manifest.json", "{\"name\": [");
  auto list = ListPacks(store());
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find("bad/manifest.json"), std::string::npos);
}

TEST_F(PackStore, OversizedManifestIsRefusedWithoutReadingIt) {
  dir_.Write("store/big/manifest.json", "");
  ASSERT_EQ(truncate((store() + "/big/manifest.json").c_str(), 8ll << 30), 0);  // sparse 8 GiB
  auto list = ListPacks(store());
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find("over 1 MiB"), std::string::npos)
      << list.status().message();
}

TEST_F(PackStore, FailedInstallKeepsTheInstalledPack) {
  dir_.Write("v1/c2-iocs.txt", "akamaicontainer.com\n");
  ASSERT_TRUE(InstallPack(dir_.path() + "/v1", "p", store()).ok());
  auto bad = InstallPack(dir_.path() + "/does-not-exist", "p", store());
  EXPECT_FALSE(bad.ok());
  auto list = ListPacks(store());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(fs::exists(fs::path(store()) / "p/content/c2-iocs.txt"));
}

TEST(PackNames, Valid) {
  EXPECT_TRUE(ValidPackName("signature-base_2.0"));
  EXPECT_FALSE(ValidPackName(""));
  EXPECT_FALSE(ValidPackName(".hidden"));
  EXPECT_FALSE(ValidPackName("../x"));
  EXPECT_FALSE(ValidPackName(std::string(65, 'a')));
  EXPECT_EQ(PackNameFor("/tmp/signature-base.tar.gz"), "signature-base");
}

}  // namespace
}  // namespace trawl::ioc
