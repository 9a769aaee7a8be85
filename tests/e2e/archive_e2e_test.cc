// End to end, inside archives and installers (issue 15): archives built here
// with the Debian tools (zip, 7zz, tar, gzip/xz/zstd, xorriso, gcab, wixl), a
// planted member in each found through the trawl binary with the right
// `member` chain, its own size and hashes; the depth limit; bombs that end
// quickly at a limit, reported; corrupt archives and encrypted members
// reported while the rest is read; --no-archives.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "harness.h"
#include "trawl/testsupport/msi.h"

namespace trawl::e2e {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

// A synthetic "trojanized DLL": random bytes behind a PE-looking start.
const std::string kPayload = "MZ" + RandomBytes(5000);

class ArchiveE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    dir_.Write("iocs/x-hash-iocs.txt", HexDigest("SHA256", kPayload) + ";planted ffmpeg.dll\n");
    dir_.Write("src/ffmpeg.dll", kPayload);
    fs::create_directories(tree_);
  }
  void Sh(const std::string& cmd) {
    std::string full = "cd " + ShellQuote(dir_.path()) + " && (" + cmd + ") >/dev/null 2>&1";
    ASSERT_EQ(std::system(full.c_str()), 0) << cmd;
  }
  RunResult Scan(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"scan", tree_,       "--no-builtin", "--iocs",
                                     iocs_,  "--modules", "file"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunTrawl(args);
  }
  // The finding whose member chain is `chain`, or nullptr.
  static const nlohmann::json* Member(const RunResult& r, const std::string& chain) {
    for (const nlohmann::json& j : r.json)
      if (j.value("type", "") == "finding" && j.value("member", "") == chain) return &j;
    return nullptr;
  }
  static std::vector<std::string> Errors(const RunResult& r) {
    std::vector<std::string> out;
    for (const nlohmann::json& j : r.Of("error"))
      out.push_back(j.value("path", "") + ": " + j.value("message", ""));
    return out;
  }
  static std::uint64_t Skipped(const RunResult& r, const std::string& reason) {
    const nlohmann::json* s = r.Summary();
    if (!s || !(*s)["skipped"].contains(reason)) return 0;
    return (*s)["skipped"][reason].get<std::uint64_t>();
  }
  // A real MSI (wixl) with ffmpeg.dll in its embedded cabinet, at `out`.
  void Msi(const std::string& out) {
    dir_.Write("msi/ffmpeg.dll", kPayload);
    ASSERT_TRUE(testsupport::BuildMsi(
        dir_.path() + "/msi",
        {.name = "Test Desktop App", .version = "18.12.416.0", .cabinet = "app.cab"},
        {{"ffmpeg.dll", "ffmpeg.dll"}}, "../" + out));
  }

  TempDir dir_;
  std::string tree_ = dir_.path() + "/tree";
  std::string iocs_ = dir_.path() + "/iocs";
};

TEST_F(ArchiveE2E, PlantedMemberOfEveryKindFoundWithItsChain) {
  Sh("mkdir -p src/app && cp src/ffmpeg.dll src/app/");
  Sh("cd src && zip -q ../tree/setup.zip app/ffmpeg.dll");
  Sh("cd src && 7zz a -bd ../tree/setup.7z app/ffmpeg.dll");
  Sh("cd src && tar czf ../tree/app.tar.gz app && tar cJf ../tree/app.tar.xz app && "
     "tar --zstd -cf ../tree/app.tar.zst app");
  Sh("xorriso -as mkisofs -quiet -R -o tree/disk.iso src/app");
  Sh("cd src/app && gcab -c ../../tree/app.cab ffmpeg.dll");
  Sh("cp src/ffmpeg.dll ffmpeg.dll && gzip -c ffmpeg.dll > tree/ffmpeg.dll.gz");
  Msi("tree/app.msi");
  RunResult r = Scan();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::vector<std::pair<std::string, std::string>> want = {
      {"setup.zip", "setup.zip!app/ffmpeg.dll"},
      {"setup.7z", "setup.7z!app/ffmpeg.dll"},
      {"app.tar.gz", "app.tar.gz!app/ffmpeg.dll"},
      {"app.tar.xz", "app.tar.xz!app/ffmpeg.dll"},
      {"app.tar.zst", "app.tar.zst!app/ffmpeg.dll"},
      {"disk.iso", "disk.iso!ffmpeg.dll"},
      {"app.cab", "app.cab!ffmpeg.dll"},
      {"ffmpeg.dll.gz", "ffmpeg.dll.gz!ffmpeg.dll"},
      {"app.msi", "app.msi!app.cab!ffmpeg.dll"}};
  for (const auto& [file, chain] : want) {
    const nlohmann::json* f = Member(r, chain);
    ASSERT_NE(f, nullptr) << chain << "\n" << r.err;
    EXPECT_EQ((*f)["path"], tree_ + "/" + file);
    EXPECT_EQ((*f)["level"], "alert");
    EXPECT_EQ((*f)["size"], kPayload.size()) << chain;
    EXPECT_EQ((*f)["hashes"]["sha256"], HexDigest("SHA256", kPayload)) << chain;
    EXPECT_EQ((*f)["reasons"][0]["kind"], "hash");
  }
  EXPECT_TRUE(Errors(r).empty()) << Errors(r)[0];
  const nlohmann::json* s = r.Summary();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ((*s)["archives"], want.size());
  EXPECT_GE((*s)["archive_members"].get<int>(), static_cast<int>(want.size()));

  // --no-archives: only the files on disk.
  RunResult off = Scan({"--no-archives"});
  for (const auto& [file, chain] : want) EXPECT_EQ(Member(off, chain), nullptr) << chain;
  EXPECT_FALSE(off.Summary()->contains("archives"));
}

TEST_F(ArchiveE2E, InstallerInsideAZipHasTheWholeChainAndNameIndicatorsSeeIt) {
  Msi("3CXDesktopApp-18.12.416.msi");
  Sh("zip -q tree/setup.zip 3CXDesktopApp-18.12.416.msi");
  dir_.Write("iocs/x-filename-iocs.txt",
             "setup\\.zip!3CXDesktopApp-[0-9.]+\\.msi!app\\.cab!ffmpeg\\.dll$;75\n");
  RunResult r = Scan();
  const nlohmann::json* f = Member(r, "setup.zip!3CXDesktopApp-18.12.416.msi!app.cab!ffmpeg.dll");
  ASSERT_NE(f, nullptr) << r.err;
  EXPECT_EQ((*f)["path"], tree_ + "/setup.zip");
  ASSERT_EQ((*f)["reasons"].size(), 2u);
  std::vector<std::string> kinds;
  for (const auto& reason : (*f)["reasons"]) kinds.push_back(reason["kind"]);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "filename"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "hash"), kinds.end());
}

TEST_F(ArchiveE2E, NestedFiveDeepStopsAtTheDepthLimit) {
  Sh("cd src && zip -q ../n5.zip ffmpeg.dll && cd .. && zip -q n4.zip n5.zip && zip -q n3.zip "
     "n4.zip && zip -q n2.zip n3.zip && zip -q tree/n1.zip n2.zip");
  const std::string chain = "n1.zip!n2.zip!n3.zip!n4.zip!n5.zip!ffmpeg.dll";
  RunResult r = Scan();
  EXPECT_EQ(Member(r, chain), nullptr) << "five containers deep: past --archive-depth 4";
  EXPECT_EQ(Skipped(r, "archive_depth"), 1u);
  bool named = false;
  for (const std::string& e : Errors(r))
    named |= e.find(tree_ + "/n1.zip: n1.zip!n2.zip!n3.zip!n4.zip!n5.zip") == 0 &&
             e.find("--archive-depth 4") != std::string::npos;
  EXPECT_TRUE(named) << (Errors(r).empty() ? "no error record" : Errors(r)[0]);
  RunResult deeper = Scan({"--archive-depth", "5"});
  EXPECT_NE(Member(deeper, chain), nullptr);
  EXPECT_EQ(Skipped(deeper, "archive_depth"), 0u);
}

TEST_F(ArchiveE2E, BombsFinishQuicklyWithTheLimitReportedAndTheScanGoesOn) {
  // 42.zip-style: three levels of 16 copies over a zip of 16 MiB of zeros
  // (about 16 KB on disk, 64 GiB unpacked).
  Sh("head -c 16777216 /dev/zero > 0.bin && zip -q -9 l0.zip 0.bin && "
     "for level in 1 2 3; do prev=l$((level-1)).zip; files=; for i in $(seq 0 15); do "
     "cp $prev c${level}_$i.zip; files=\"$files c${level}_$i.zip\"; done; "
     "zip -q -9 l$level.zip $files; rm $files; done && cp l3.zip tree/42.zip");
  // One member of 90 MiB of zeros (under the 100M member cap), about 90 KB packed.
  Sh("head -c 94371840 /dev/zero > z.bin && zip -q -9 tree/single.zip z.bin");
  // An xz bomb: 1 MiB of one letter, the stream repeated 4096 times (4 GiB).
  Sh("head -c 1048576 /dev/zero | tr '\\0' a | xz -9 > one.xz && cat one.xz one.xz one.xz one.xz "
     "> 4.xz && for i in $(seq 1024); do cat 4.xz; done > tree/bomb.xz");
  dir_.Write("tree/after.dll", kPayload);  // the scan goes on
  auto t0 = steady_clock::now();
  RunResult r = Scan();
  double secs = std::chrono::duration<double>(steady_clock::now() - t0).count();
  EXPECT_LT(secs, 60) << "bombs must end at a limit, not run their course";
  EXPECT_NE(r.FindingFor(tree_ + "/after.dll"), nullptr);
  EXPECT_EQ(Skipped(r, "archive_ratio"), 3u) << r.Summary()->dump();
  for (const std::string f : {"42.zip", "single.zip", "bomb.xz"}) {
    bool named = false;
    for (const std::string& e : Errors(r))
      named |=
          e.find(tree_ + "/" + f + ": ") == 0 && e.find("--archive-ratio") != std::string::npos;
    EXPECT_TRUE(named) << f;
  }
  // A total cap below the ratio's reach is reported as such.
  RunResult capped = Scan({"--archive-max-bytes", "8M", "--archive-ratio", "100000"});
  EXPECT_GE(Skipped(capped, "archive_bytes"), 2u) << capped.Summary()->dump();
}

// --archive-timeout and --archive-max-members: each limit a flag, each hit a
// counted skip and an error record naming the file; the members read before
// it stand.
TEST_F(ArchiveE2E, TimeAndMemberLimitsAreFlagsAndReported) {
  // Members before the planted one, each 4 MiB of random bytes: tens of
  // milliseconds of inflating before the planted member is reached.
  Sh("mkdir -p many && for i in 1 2 3 4 5 6; do head -c 4194304 /dev/urandom > many/a$i.bin; done "
     "&& cp src/ffmpeg.dll many/zz_ffmpeg.dll && cd many && zip -q -1 ../tree/share.zip "
     "a1.bin a2.bin a3.bin a4.bin a5.bin a6.bin zz_ffmpeg.dll");
  RunResult whole = Scan();
  EXPECT_NE(Member(whole, "share.zip!zz_ffmpeg.dll"), nullptr) << "read whole by default";
  EXPECT_EQ(Skipped(whole, "archive_time"), 0u);

  RunResult timed = Scan({"--archive-timeout", "0.001"});
  EXPECT_EQ(Member(timed, "share.zip!zz_ffmpeg.dll"), nullptr) << "the rest is not read";
  EXPECT_EQ(Skipped(timed, "archive_time"), 1u) << timed.Summary()->dump();
  bool said = false;
  for (const std::string& e : Errors(timed))
    said |= e.find(tree_ + "/share.zip: ") == 0 && e.find("--archive-timeout") != std::string::npos;
  EXPECT_TRUE(said) << "an error record names the file and the flag";

  RunResult few = Scan({"--archive-max-members", "3"});
  EXPECT_EQ(Member(few, "share.zip!zz_ffmpeg.dll"), nullptr);
  EXPECT_EQ(Skipped(few, "archive_members"), 1u) << few.Summary()->dump();
  said = false;
  for (const std::string& e : Errors(few))
    said |= e.find("--archive-max-members") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST_F(ArchiveE2E, CorruptAndTruncatedArchivesAreErrorsAndTheRestIsRead) {
  Sh("head -c 300000 /dev/urandom > src/noise.bin");
  Sh("cd src && zip -q -0 ../whole.zip ffmpeg.dll noise.bin && 7zz a -bd ../whole.7z noise.bin "
     "ffmpeg.dll && tar czf ../whole.tgz noise.bin ffmpeg.dll && gcab -c ../whole.cab noise.bin "
     "ffmpeg.dll");
  // Truncated: the zip keeps its first member (the local header before the cut).
  Sh("head -c 150000 whole.zip > tree/trunc.zip && head -c 150000 whole.7z > tree/trunc.7z && "
     "head -c 150000 whole.tgz > tree/trunc.tgz && head -c 150000 whole.cab > tree/trunc.cab");
  // Corrupt: garbage over the middle (for the gzip stream at its first
  // deflate block, byte 10, which holds the tar header: libarchive's gzip
  // filter does not check the CRC, so garbage that lands inside a stored
  // block of the random data would pass unseen; at byte 64 it sometimes did,
  // and the test failed one run in a few).
  for (const std::string f : {"zip", "7z", "tgz", "cab"})
    Sh("cp whole." + f + " tree/bad." + f + " && dd if=/dev/urandom of=tree/bad." + f +
       " bs=1 seek=" + (f == "tgz" ? "10" : "100000") + " count=4096 conv=notrunc");
  dir_.Write("tree/after.dll", kPayload);
  RunResult r = Scan();
  EXPECT_NE(r.FindingFor(tree_ + "/after.dll"), nullptr);
  EXPECT_NE(Member(r, "trunc.zip!ffmpeg.dll"), nullptr) << "the member before the cut is read";
  for (const std::string f : {"trunc.zip", "trunc.7z", "trunc.tgz", "trunc.cab", "bad.zip",
                              "bad.7z", "bad.tgz", "bad.cab"}) {
    bool named = false;
    for (const std::string& e : Errors(r)) named |= e.find(tree_ + "/" + f + ": " + f) == 0;
    EXPECT_TRUE(named) << f << " has no error record";
  }
  EXPECT_GE(Skipped(r, "archive_error"), 8u);
}

TEST_F(ArchiveE2E, EncryptedMembersAreReportedAndTheirNamesChecked) {
  Sh("cd src && zip -q -P infected ../tree/locked.zip ffmpeg.dll");
  dir_.Write("iocs/x-filename-iocs.txt", "!ffmpeg\\.dll$;60\n");
  RunResult r = Scan();
  EXPECT_EQ(Skipped(r, "archive_encrypted"), 1u);
  bool named = false;
  for (const std::string& e : Errors(r))
    named |= e.find(tree_ + "/locked.zip: locked.zip!ffmpeg.dll: encrypted") == 0;
  EXPECT_TRUE(named) << (Errors(r).empty() ? "" : Errors(r)[0]);
  const nlohmann::json* f = Member(r, "locked.zip!ffmpeg.dll");
  ASSERT_NE(f, nullptr) << "the name is checked even when the content cannot be";
  EXPECT_EQ((*f)["encrypted"], true);
  EXPECT_EQ((*f)["reasons"][0]["kind"], "filename");
  EXPECT_FALSE(f->contains("hashes"));
}

// The inventory sees a product packaged in an installer: a real PE (MinGW)
// whose version resource names an affected 3CX build, in an MSI's cabinet,
// against the built-in pack's version indicators.
TEST_F(ArchiveE2E, InventoryReadsThePeVersionInsideAnMsi) {
  dir_.Write("pe/v.rc",
             "1 VERSIONINFO\nFILEVERSION 18,12,416,0\nPRODUCTVERSION 18,12,416,0\nBEGIN\n BLOCK "
             "\"StringFileInfo\"\n BEGIN\n  BLOCK \"040904b0\"\n  BEGIN\n   VALUE \"ProductName\", "
             "\"3CX Desktop App\"\n   VALUE \"ProductVersion\", \"18.12.416\"\n  END\n END\nEND\n");
  dir_.Write("pe/m.c", "int main(void) { return 0; }\n");
  Sh("cd pe && x86_64-w64-mingw32-windres v.rc -O coff -o v.o && "
     "x86_64-w64-mingw32-gcc -s -o 3CXDesktopApp.exe m.c v.o");
  Sh("mkdir -p msi2 && cp pe/3CXDesktopApp.exe msi2/");
  ASSERT_TRUE(testsupport::BuildMsi(dir_.path() + "/msi2",
                                    {.name = "3CX Desktop App",
                                     .version = "18.12.416.0",
                                     .root = "LocalAppDataFolder",
                                     .install_dir = "3CXDesktopApp"},
                                    {{"App.exe", "3CXDesktopApp.exe"}},
                                    "../tree/3CXDesktopApp-18.12.416.msi"));
  RunResult r = RunTrawl({"scan", tree_, "--modules", "inventory"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json* f = nullptr;
  for (const nlohmann::json& j : r.json)
    if (j.value("type", "") == "finding" && j.value("module", "") == "inventory") f = &j;
  ASSERT_NE(f, nullptr) << r.err;
  EXPECT_EQ((*f)["path"], tree_ + "/3CXDesktopApp-18.12.416.msi");
  // The cabinet names the member by its File key (App.exe); the chain takes
  // the installed name from the MSI's File table.
  EXPECT_EQ((*f)["member"], "3CXDesktopApp-18.12.416.msi!Binary.cab!3CXDesktopApp.exe");
  EXPECT_EQ((*f)["source"], "msi");
  EXPECT_EQ((*f)["version"], "18.12.416");
  EXPECT_EQ((*f)["level"], "alert");
  const nlohmann::json* s = r.Summary();
  ASSERT_NE(s, nullptr);
  ASSERT_EQ((*s)["inventory"].size(), 1u);
  EXPECT_EQ((*s)["inventory"][0]["path"],
            tree_ + "/3CXDesktopApp-18.12.416.msi!Binary.cab!3CXDesktopApp.exe");
  // --no-archives: the package is one blob again.
  RunResult off = RunTrawl({"scan", tree_, "--modules", "inventory", "--no-archives"});
  EXPECT_EQ(off.exit_code, 0) << off.err;
}

TEST_F(ArchiveE2E, MemberFieldInCsvAndEcs) {
  Sh("cd src && zip -q ../tree/setup.zip ffmpeg.dll");
  std::string csv = dir_.path() + "/out.csv", ecs = dir_.path() + "/out.ecs";
  RunResult r = Scan({"--csv", csv});
  ASSERT_NE(Member(r, "setup.zip!ffmpeg.dll"), nullptr);
  EXPECT_NE(testsupport::ReadFile(csv).find("member=setup.zip!ffmpeg.dll"), std::string::npos);
  RunResult e = RunTrawlRaw({"scan", tree_, "--no-builtin", "--iocs", iocs_, "--modules", "file",
                             "--json", ecs, "--json-format", "ecs"});
  EXPECT_NE(testsupport::ReadFile(ecs).find("\"member\":\"setup.zip!ffmpeg.dll\""),
            std::string::npos);
}

}  // namespace
}  // namespace trawl::e2e
