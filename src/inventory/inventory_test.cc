// Inventory over a synthetic tree: Windows installs with real PE files, macOS
// bundles with XML and binary Info.plist, Electron app.asar; the built-in pack's
// affected versions.
#include "trawl/inventory/inventory.h"

#include <plist/plist.h>

#include <filesystem>
#include <map>

#include "test_util.h"
#include "trawl/ioc/loader.h"

namespace trawl::inventory {
namespace {

using testing::BuildPe;
using testing::TempDir;

TEST(Inventory, ClassifyByPath) {
  struct Row {
    const char* path;
    Layout layout;
  };
  const Row rows[] = {
      {"/m/Users/bob/AppData/Local/Programs/3CXDesktopApp/3CXDesktopApp.exe", Layout::kWindowsExe},
      {"C:\\Users\\bob\\appdata\\local\\programs\\3cxdesktopapp\\3CXDesktopApp.EXE",
       Layout::kWindowsExe},
      {"/m/Program Files/Foo Bar/foo-bar.exe", Layout::kWindowsExe},
      {"/m/Program Files (x86)/Foo/Foo.exe", Layout::kWindowsExe},
      {"/m/Program Files/Foo/Uninstall Foo.exe", Layout::kNone},  // not the main executable
      {"/m/Users/bob/AppData/Local/Programs/3CXDesktopApp/app/3CXDesktopApp.exe", Layout::kNone},
      {"/m/Users/bob/Downloads/3CXDesktopApp.exe", Layout::kNone},
      {"/Applications/3CX Desktop App.app/Contents/Info.plist", Layout::kMacBundle},
      {"/Applications/X.APP/contents/info.plist", Layout::kMacBundle},
      {"/Applications/3CX Desktop App.app/Contents/Frameworks/3CX Desktop App Helper.app/Contents/"
       "Info.plist",
       Layout::kNone},  // a helper nested in the bundle
      {"/Applications/X.app/Contents/Resources/Info.plist", Layout::kNone},
      {"/opt/x/Contents/Info.plist", Layout::kNone},
      {"/opt/Slack/resources/app.asar", Layout::kAsar},
      {"C:\\P\\3CXDesktopApp\\resources\\app.asar", Layout::kAsar},
      {"/opt/Slack/resources/app.asar.unpacked/x", Layout::kNone},
      {"/opt/Slack/resources/other.asar", Layout::kNone},
      {"/x.exe", Layout::kNone},
      {"", Layout::kNone},
  };
  for (const Row& r : rows) EXPECT_EQ(Classify(r.path), r.layout) << r.path;
}

TEST(Inventory, ProductKeysAndVersions) {
  EXPECT_EQ(ProductKey("3CX Desktop App"), "3cxdesktopapp");
  EXPECT_EQ(ProductKey("3cx-desktop-app"), "3cxdesktopapp");
  EXPECT_EQ(ProductKey("3CXDesktopApp"), "3cxdesktopapp");
  struct Row {
    const char* a;
    const char* b;
    bool equal;
  };
  const Row rows[] = {
      {"18.12.416", "18.12.416", true},
      {"18.12.416.0", "18.12.416", true},
      {"18.12.416", "18.12.4160", false},
      {"18.12.416", "18.12.41", false},
      {"18.012.416", "18.12.416", true},
      {"1.0", "1", true},
      {"1.0-beta", "1.0-BETA", true},
      {"1.0-beta", "1.0", false},
      {"", "", false},
      {"18.12.416", " 18.12.416 ", true},
      {"18.11.1213", "18.11.1213.0.0", true},
  };
  for (const Row& r : rows) EXPECT_EQ(VersionsEqual(r.a, r.b), r.equal) << r.a << " vs " << r.b;
}

std::string XmlPlist(const std::string& name, const std::string& version) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
         "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
         "<plist version=\"1.0\"><dict>\n"
         "<key>CFBundleName</key><string>" +
         name +
         "</string>\n"
         "<key>CFBundleIdentifier</key><string>com.example.app</string>\n"
         "<key>CFBundleShortVersionString</key><string>" +
         version +
         "</string>\n"
         "<key>CFBundleVersion</key><string>999</string>\n"
         "</dict></plist>\n";
}

std::string BinaryPlist(const std::string& name, const std::string& version) {
  plist_t d = plist_new_dict();
  plist_dict_set_item(d, "CFBundleDisplayName", plist_new_string(name.c_str()));
  plist_dict_set_item(d, "CFBundleShortVersionString", plist_new_string(version.c_str()));
  char* bin = nullptr;
  uint32_t len = 0;
  plist_to_bin(d, &bin, &len);
  std::string out(bin, len);
  free(bin);
  plist_free(d);
  EXPECT_EQ(out.rfind("bplist00", 0), 0u);
  return out;
}

void PutU32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::string Asar(const std::string& package_json) {
  std::string js = R"({"files":{"main.js":{"size":2,"offset":"0"},"package.json":{"size":)" +
                   std::to_string(package_json.size()) + R"(,"offset":"2"}}})";
  std::string header;
  PutU32(header, static_cast<std::uint32_t>(js.size()));
  header += js;
  while (header.size() % 4) header += '\0';
  std::string out;
  PutU32(out, 4);
  PutU32(out, static_cast<std::uint32_t>(header.size() + 4));
  PutU32(out, static_cast<std::uint32_t>(header.size()));
  return out + header + "//" + package_json;
}

TEST(Inventory, SweepFindsInstallationsAndFlagsAffectedVersions) {
  ioc::IndicatorSet set;
  ioc::LoadBuiltin3cx(set);
  ASSERT_GT(set.CountOf(ioc::Kind::kVersion), 0u);

  TempDir tree, build_a, build_b;
  const std::string root = tree.path();
  std::string pe_bad = BuildPe(build_a.path(), {"3CX Desktop App", "18.12.416", true});
  std::string pe_good = BuildPe(build_b.path(), {"3CX Desktop App", "18.12.425", true});
  const std::string win_bad =
      tree.Write("Users/alice/AppData/Local/Programs/3CXDesktopApp/3CXDesktopApp.exe", pe_bad);
  const std::string win_good =
      tree.Write("Users/bob/AppData/Local/Programs/3CXDesktopApp/3CXDesktopApp.exe", pe_good);
  const std::string mac_bad = tree.Write("Applications/3CX Desktop App.app/Contents/Info.plist",
                                         XmlPlist("3CX Desktop App", "18.11.1213"));
  const std::string mac_good =
      tree.Write("Users/c/Applications/3CX Desktop App.app/Contents/Info.plist",
                 BinaryPlist("3CX Desktop App", "18.12.425"));
  const std::string asar_win = tree.Write(
      "Users/alice/AppData/Local/Programs/3CXDesktopApp/resources/app.asar",
      Asar(R"({"name":"3cx-desktop-app","productName":"3CX Desktop App","version":"18.12.407"})"));
  // The Linux build of 3CX was not trojanized: the same version on Linux is not affected.
  const std::string asar_linux = tree.Write(
      "opt/3cx/resources/app.asar",
      Asar(R"({"name":"3cx-desktop-app","productName":"3CX Desktop App","version":"18.12.407"})"));
  const std::string asar_other =
      tree.Write("opt/slack/resources/app.asar", Asar(R"({"name":"slack","version":"4.29.149"})"));
  const std::string broken =
      tree.Write("opt/broken/resources/app.asar", "this is not an asar archive");
  const std::string plain = tree.Write("etc/hosts", "127.0.0.1 localhost\n");

  std::vector<Finding> findings;
  std::vector<std::pair<std::string, std::string>> errors;
  std::mutex mu;
  Sweep sweep(
      set, Thresholds{},
      [&](const Finding& f) {
        std::lock_guard<std::mutex> l(mu);
        findings.push_back(f);
      },
      [&](const std::string& p, const std::string& m) {
        std::lock_guard<std::mutex> l(mu);
        errors.emplace_back(p, m);
      });
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    std::string p = e.path().string();
    sweep.OnFile(p, "SHOWN" + p.substr(root.size()));
  }

  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].first, "SHOWN/opt/broken/resources/app.asar");
  EXPECT_EQ(errors[0].second, "asar: not an asar archive (bad size pickle)");

  std::map<std::string, InstalledProduct> by_path;
  for (const InstalledProduct& p : sweep.Installations()) by_path[p.path] = p;
  ASSERT_EQ(by_path.size(), 7u);
  struct Want {
    std::string path, product, version, platform, source;
    bool affected;
  };
  auto shown = [&](const std::string& p) { return "SHOWN" + p.substr(root.size()); };
  const Want want[] = {
      {shown(win_bad), "3CX Desktop App", "18.12.416", "windows", "pe", true},
      {shown(win_good), "3CX Desktop App", "18.12.425", "windows", "pe", false},
      {shown(mac_bad), "3CX Desktop App", "18.11.1213", "macos", "plist", true},
      {shown(mac_good), "3CX Desktop App", "18.12.425", "macos", "plist", false},
      {shown(asar_win), "3CX Desktop App", "18.12.407", "windows", "asar", true},
      {shown(asar_linux), "3CX Desktop App", "18.12.407", "linux", "asar", false},
      {shown(asar_other), "slack", "4.29.149", "linux", "asar", false},
  };
  for (const Want& w : want) {
    auto it = by_path.find(w.path);
    ASSERT_NE(it, by_path.end()) << w.path;
    EXPECT_EQ(it->second.product, w.product) << w.path;
    EXPECT_EQ(it->second.version, w.version) << w.path;
    EXPECT_EQ(it->second.platform, w.platform) << w.path;
    EXPECT_EQ(it->second.source, w.source) << w.path;
    EXPECT_EQ(it->second.affected, w.affected) << w.path;
  }
  EXPECT_EQ(sweep.affected(), 3u);

  ASSERT_EQ(findings.size(), 3u);
  for (const Finding& f : findings) {
    EXPECT_EQ(f.module, "inventory");
    EXPECT_EQ(f.level, Level::kAlert) << f.path;
    ASSERT_EQ(f.reasons.size(), 1u);
    EXPECT_EQ(f.reasons[0].kind, "version");
    EXPECT_EQ(f.reasons[0].source, "builtin:3cx");
    EXPECT_NE(f.reasons[0].indicator.find("3CX Desktop App"), std::string::npos);
    bool affected_field = false;
    for (const auto& [k, v] : f.extra)
      if (k == "affected") affected_field = std::get<bool>(v);
    EXPECT_TRUE(affected_field);
  }
}

TEST(Inventory, VersionIndexHonoursPlatformAndProduct) {
  ioc::IndicatorSet set;
  ioc::LoadText("Foo App;any;2.0\nBar;windows;1.0\n", ioc::Format::kVersion, "v.txt", set);
  VersionIndex idx(set);
  auto prod = [](const char* name, const char* version, const char* platform) {
    InstalledProduct p;
    p.product = name;
    p.version = version;
    p.platform = platform;
    return p;
  };
  EXPECT_NE(idx.Match(prod("foo-app", "2.0.0.0", "linux")), nullptr);
  EXPECT_NE(idx.Match(prod("FOO APP", "2", "macos")), nullptr);
  EXPECT_EQ(idx.Match(prod("Foo App", "2.1", "linux")), nullptr);
  EXPECT_NE(idx.Match(prod("Bar", "1.0", "windows")), nullptr);
  EXPECT_EQ(idx.Match(prod("Bar", "1.0", "macos")), nullptr);
  EXPECT_EQ(idx.Match(prod("Barn", "1.0", "windows")), nullptr);
}

TEST(Inventory, ExamineErrorsNameThePath) {
  TempDir tree;
  std::string exe = tree.Write("Programs/X/X.exe", "MZ not really");
  auto r = Examine(exe, Layout::kWindowsExe);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind(exe + ": ", 0), 0u) << r.status().message();
  std::string plist = tree.Write("A.app/Contents/Info.plist", "<plist><array/></plist>");
  auto q = Examine(plist, Layout::kMacBundle);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message(), plist + ": not a property list dictionary");
  std::string nover = tree.Write("B.app/Contents/Info.plist", XmlPlist("B", ""));
  auto n = Examine(nover, Layout::kMacBundle);
  // CFBundleVersion is the fallback: "999".
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(n->version, "999");
}

}  // namespace
}  // namespace trawl::inventory
