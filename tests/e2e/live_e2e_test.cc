// End to end: live response (a running process and a C2 connection the test
// starts), inventory (a Windows tree with a real PE, an app.asar), mounted
// images (--root, --map).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "harness.h"
#include "trawl/testsupport/loopback.h"

namespace trawl::e2e {
namespace {

namespace fs = std::filesystem;

const nlohmann::json* FindingWhere(const RunResult& r, const std::string& module,
                                   const std::string& key, const nlohmann::json& value) {
  for (const auto& j : r.json)
    if (j.value("type", "") == "finding" && j.value("module", "") == module && j.contains(key) &&
        j[key] == value)
      return &j;
  return nullptr;
}

TEST(LiveE2e, FindsARunningProcessAndItsC2ConnectionWithThePids) {
  TempDir dir;
  // A copy of a small program at a path a filename indicator names; its hash listed.
  std::string exe = dir.path() + "/bin/trawl-e2e-implant";
  fs::create_directories(dir.path() + "/bin");
  fs::copy_file("/bin/sleep", exe);
  fs::permissions(exe, fs::perms::owner_all);
  std::string sha256 = HexDigest("SHA256", ReadFile(exe));
  dir.Write("iocs/hash-iocs.txt", sha256 + ";e2e implant\n");
  dir.Write("iocs/filename-iocs.txt", "# e2e implant name\n[/\\\\]trawl-e2e-implant$;70\n");
  dir.Write("iocs/c2-iocs.txt", "# e2e C2\n127.0.0.2\n");
  pid_t child = fork();
  if (child == 0) {
    execl(exe.c_str(), exe.c_str(), "300", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    std::error_code ec;
    if (fs::read_symlink("/proc/" + std::to_string(child) + "/exe", ec).string() == exe) break;
    usleep(10000);
  }
  // A connection to 127.0.0.2 held by this process.
  auto conn = std::make_unique<testsupport::LoopbackConnection>("127.0.0.2");
  ASSERT_TRUE(conn->ok());
  const std::string remote = conn->remote();

  RunResult r = RunTrawl(
      {"scan", "--no-builtin", "--iocs", dir.path() + "/iocs", "--modules", "process,network"});
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  conn.reset();

  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json* proc = FindingWhere(r, "process", "pid", child);
  ASSERT_NE(proc, nullptr) << r.out;
  EXPECT_EQ((*proc)["path"], exe);
  EXPECT_EQ((*proc)["exe"], exe);
  EXPECT_EQ((*proc)["ppid"], getpid());
  EXPECT_EQ((*proc)["cmdline"], exe + " 300");
  EXPECT_EQ((*proc)["level"], "alert");
  std::set<std::string> kinds;
  for (const auto& reason : (*proc)["reasons"]) kinds.insert(reason["kind"]);
  EXPECT_EQ(kinds, (std::set<std::string>{"hash", "filename"}));

  const nlohmann::json* net = FindingWhere(r, "network", "remote", remote);
  ASSERT_NE(net, nullptr) << r.out;
  EXPECT_EQ((*net)["pid"], getpid());
  EXPECT_EQ((*net)["exe"], fs::read_symlink("/proc/self/exe").string());
  EXPECT_EQ((*net)["state"], "ESTABLISHED");
  EXPECT_EQ((*net)["reasons"][0]["indicator"], "127.0.0.2");
  EXPECT_EQ((*net)["level"], "alert");

  const nlohmann::json* s = r.Summary();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ((*s)["live"], "on");
  EXPECT_GT((*s)["processes"].get<int>(), 1);
  EXPECT_EQ((*s)["files"], 0);  // no file walk for --modules process,network
}

std::string BuildPe(const std::string& dir, const std::string& version) {
  std::string fixed = version;
  for (char& c : fixed)
    if (c == '.') c = ',';
  std::ofstream(dir + "/v.rc") << "1 VERSIONINFO\nFILEVERSION " << fixed << ",0\nPRODUCTVERSION "
                               << fixed
                               << ",0\nBEGIN\n BLOCK \"StringFileInfo\"\n BEGIN\n  BLOCK "
                                  "\"040904b0\"\n  BEGIN\n   VALUE \"ProductName\", \"3CX Desktop "
                                  "App\"\n   VALUE \"ProductVersion\", \""
                               << version << "\"\n  END\n END\nEND\n";
  std::ofstream(dir + "/m.c") << "int main(void) { return 0; }\n";
  std::string cmd = "cd " + ShellQuote(dir) +
                    " && x86_64-w64-mingw32-windres v.rc -O coff -o v.o && "
                    "x86_64-w64-mingw32-gcc -s -o app.exe m.c v.o";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "needs gcc-mingw-w64-x86-64 (scripts/setup.sh)";
  return ReadFile(dir + "/app.exe");
}

TEST(LiveE2e, MappedWindowsVolumeInventoryAndCaselessWindowsNames) {
  TempDir vol, build;
  std::string pe = BuildPe(build.path(), "18.12.416");
  vol.Write("c/Users/Alice/AppData/Local/Programs/3CXDesktopApp/3CXDesktopApp.exe", pe);
  vol.Write("c/users/BOB/appdata/roaming/EVIL.DAT", "x");
  vol.Write("c/Windows/System32/drivers/etc/hosts", "10.1.2.3 update.akamaicontainer.com\n");
  TempDir iocs;
  iocs.Write("filename-iocs.txt",
             "# e2e Windows name\n\\\\Users\\\\Bob\\\\AppData\\\\Roaming\\\\evil\\.dat$;80\n");
  RunResult r = RunTrawl({"scan", "--iocs", iocs.path() + "/filename-iocs.txt", "--map",
                          vol.path() + "/c:C", "--modules", "file,inventory,network"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string exe_shown =
      "C:\\Users\\Alice\\AppData\\Local\\Programs\\3CXDesktopApp\\3CXDesktopApp.exe";
  const nlohmann::json* inv = r.FindingFor(exe_shown);
  ASSERT_NE(inv, nullptr) << r.out;
  EXPECT_EQ((*inv)["module"], "inventory");
  EXPECT_EQ((*inv)["version"], "18.12.416");
  EXPECT_EQ((*inv)["product"], "3CX Desktop App");
  EXPECT_EQ((*inv)["affected"], true);
  EXPECT_EQ((*inv)["level"], "alert");
  const nlohmann::json* name = r.FindingFor("C:\\users\\BOB\\appdata\\roaming\\EVIL.DAT");
  ASSERT_NE(name, nullptr) << r.out;
  EXPECT_EQ((*name)["reasons"][0]["kind"], "filename");
  const nlohmann::json* hosts = r.FindingFor("C:\\Windows\\System32\\drivers\\etc\\hosts");
  ASSERT_NE(hosts, nullptr) << r.out;
  EXPECT_EQ((*hosts)["module"], "network");
  EXPECT_EQ((*hosts)["host"], "update.akamaicontainer.com");
  for (const auto& j : r.json) {  // every path is shown as the Windows system names it
    if (j.contains("path")) {
      EXPECT_EQ(j["path"].get<std::string>().rfind("C:\\", 0), 0u) << j;
    }
  }
  const nlohmann::json* s = r.Summary();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ((*s)["live"], "off (image)");
  ASSERT_EQ((*s)["inventory"].size(), 1u);
  EXPECT_EQ((*s)["inventory"][0]["path"], exe_shown);
  EXPECT_EQ((*s)["inventory"][0]["affected"], true);
  EXPECT_EQ((*s)["installations_affected"], 1);
}

TEST(LiveE2e, RootScansAMountedSystemAsThatSystem) {
  TempDir img;
  img.Write("etc/hosts", "127.0.0.1 localhost\n10.0.0.9 msstorageboxes.com\n");
  img.Write("home/u/.config/guiconfigd", "not really");
  img.Write("opt/app/resources/app.asar", "broken asar, reported as an error");
  RunResult r = RunTrawl({"scan", "--root", img.path()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json* hosts = FindingWhere(r, "network", "path", "/etc/hosts");
  ASSERT_NE(hosts, nullptr) << r.out;
  EXPECT_EQ((*hosts)["line"], 2);
  ASSERT_NE(r.FindingFor("/home/u/.config/guiconfigd"), nullptr) << r.out;
  bool asar_error = false;
  for (const auto& e : r.Of("error"))
    asar_error |= e["path"] == "/opt/app/resources/app.asar" && e["module"] == "inventory";
  EXPECT_TRUE(asar_error) << r.out;
  const nlohmann::json* s = r.Summary();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ((*s)["live"], "off (image)");
  EXPECT_FALSE(s->contains("processes"));
  EXPECT_EQ((*s)["image_root"], img.path());
  for (const auto& j : r.Of("finding"))  // nothing of the live host leaks into an image scan
    EXPECT_NE(j["module"], "process") << j;
}

}  // namespace
}  // namespace trawl::e2e
