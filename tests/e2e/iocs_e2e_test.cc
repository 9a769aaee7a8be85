// End to end: `trawl iocs check|list|convert`, `trawl signatures
// install|list|remove`, and `trawl scan` with STIX/MISP indicators and
// installed packs. Every run uses its own XDG_DATA_HOME. Synthetic content only.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "harness.h"

namespace trawl::e2e {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct Cmd {
  int exit_code = -1;
  std::string out, err;
};

using testsupport::ReadFile;

// Runs trawl with args (no --json added) and XDG_DATA_HOME=data_home.
Cmd RunCmd(const std::vector<std::string>& args, const std::string& data_home) {
  RunResult r = RunTrawlRaw(args, "XDG_DATA_HOME=" + ShellQuote(data_home));
  return {r.exit_code, std::move(r.out), std::move(r.err)};
}

// `iocs list` rows without the source column (sources differ after a conversion).
std::multiset<std::string> Rows(const std::string& list_out) {
  std::multiset<std::string> rows;
  std::istringstream in(list_out);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, '\t');) cols.push_back(c);
    if (cols.size() > 3) cols.erase(cols.begin() + 3);
    std::string row;
    for (const std::string& c : cols) row += c + "|";
    rows.insert(row);
  }
  return rows;
}

Json StixInd(const std::string& id, const std::string& pattern) {
  return {{"type", "indicator"}, {"spec_version", "2.1"},  {"id", "indicator--" + id},
          {"pattern", pattern},  {"pattern_type", "stix"}, {"valid_from", "2023-01-01T00:00:00Z"}};
}

class IocsE2E : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string home_ = dir_.path() + "/xdg";
};

TEST_F(IocsE2E, CheckReportsCountsAndProblems) {
  Json bundle = {{"type", "bundle"},
                 {"id", "bundle--1"},
                 {"objects",
                  {StixInd("good", "[domain-name:value = 'evil.example' OR file:hashes.MD5 = '" +
                                       std::string(32, 'a') + "']"),
                   StixInd("bad", "[process:name = 'x.exe']")}}};
  std::string f = dir_.Write("feed/bundle.json", bundle.dump());
  dir_.Write("feed/hash-iocs.txt", std::string(32, 'b') + ";test hash\nnot-a-hash;x\n");
  Cmd c = RunCmd({"iocs", "check", dir_.path() + "/feed"}, home_);
  EXPECT_EQ(c.exit_code, 2) << c.out << c.err;
  EXPECT_NE(c.out.find(f + ": loaded 1 domain, 1 md5"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find(f + ":indicator--bad: unsupported pattern: object type process"),
            std::string::npos)
      << c.out;
  EXPECT_NE(c.out.find("hash-iocs.txt:2: not hex"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("total: loaded 1 domain, 2 md5"), std::string::npos) << c.out;

  std::string good = dir_.Write(
      "good.json",
      Json{{"type", "bundle"}, {"objects", {StixInd("g", "[url:value = 'http://a.example/x']")}}}
          .dump());
  c = RunCmd({"iocs", "check", good}, home_);
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_EQ(RunCmd({"iocs", "check", dir_.path() + "/missing"}, home_).exit_code, 2);
}

TEST_F(IocsE2E, ConvertRoundTripsThroughEveryFormat) {
  // A signature-base folder of every kind it holds.
  std::string src = dir_.path() + "/src";
  dir_.Write("src/iocs/hash-iocs.txt",
             std::string(64, 'c') + ";80;a sha256\n" + std::string(40, 'd') + ";a sha1\n");
  dir_.Write("src/iocs/filename-iocs.txt", "# drop zone\n\\\\Temp\\\\evil\\.exe;70;\\\\Good\\\\\n");
  dir_.Write("src/iocs/c2-iocs.txt", "# c2\nevil.example;90\n192.0.2.7\nhttp://evil.example/a\n");
  dir_.Write("src/iocs/keyword-iocs.txt", "# kw\nEVIL-KEYWORD\n");
  Cmd orig = RunCmd({"iocs", "list", "--no-builtin", "--no-packs", src}, home_);
  ASSERT_EQ(orig.exit_code, 0) << orig.err;
  std::multiset<std::string> want = Rows(orig.out);
  ASSERT_EQ(want.size(), 7u) << orig.out;

  // sigbase -> stix (stdout) -> csv (file) -> signature-base (folder) -> list.
  Cmd stix = RunCmd({"iocs", "convert", "--to", "stix", src}, home_);
  ASSERT_EQ(stix.exit_code, 0) << stix.err;
  std::string stix_file = dir_.Write("conv/set.json", stix.out);
  EXPECT_EQ(Rows(RunCmd({"iocs", "list", "--no-builtin", "--no-packs", stix_file}, home_).out),
            want);
  std::string csv_file = dir_.path() + "/conv/set.csv";
  Cmd csv = RunCmd({"iocs", "convert", "--to", "csv", "-o", csv_file, stix_file}, home_);
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(Rows(RunCmd({"iocs", "list", "--no-builtin", "--no-packs", csv_file}, home_).out),
            want);
  std::string sb = dir_.path() + "/conv/sb";
  Cmd sbc = RunCmd({"iocs", "convert", "--to", "signature-base", "-o", sb, csv_file}, home_);
  ASSERT_EQ(sbc.exit_code, 0) << sbc.err;
  EXPECT_TRUE(fs::exists(sb + "/iocs/hash-iocs.txt"));
  EXPECT_EQ(Rows(RunCmd({"iocs", "list", "--no-builtin", "--no-packs", sb}, home_).out), want);
  // MISP carries everything here but the path regex and the keyword, and says so.
  Cmd misp = RunCmd({"iocs", "convert", "--to", "misp", sb}, home_);
  ASSERT_EQ(misp.exit_code, 0) << misp.err;
  EXPECT_NE(misp.err.find("misp: 1 path regexes left out"), std::string::npos) << misp.err;
  EXPECT_NE(misp.err.find("misp: 1 keyword indicators left out"), std::string::npos) << misp.err;
  std::string misp_file = dir_.Write("conv/event.json", misp.out);
  EXPECT_EQ(
      Rows(RunCmd({"iocs", "list", "--no-builtin", "--no-packs", misp_file}, home_).out).size(),
      5u);
  // signature-base to stdout is several files: refused without -o.
  EXPECT_EQ(RunCmd({"iocs", "convert", "--to", "signature-base", src}, home_).exit_code, 2);
  EXPECT_EQ(RunCmd({"iocs", "convert", "--to", "xml", src}, home_).exit_code, 2);
}

TEST_F(IocsE2E, ListMergesBuiltinPacksAndPaths) {
  Cmd c = RunCmd({"iocs", "list"}, home_);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("sha1\tbf939c9c261d27ee7bb92325cc588624fca75429\t"), std::string::npos);
  EXPECT_NE(c.out.find("\tbuiltin:3cx\t"), std::string::npos);
  EXPECT_NE(c.err.find("set builtin:3cx version "), std::string::npos) << c.err;
  c = RunCmd({"iocs", "list", "--no-builtin"}, home_);
  EXPECT_EQ(c.out.find("builtin:3cx"), std::string::npos);
}

// Builds a tarball with hostile members (absolute path, "..", a symlink out).
std::string HostileTarball(const TempDir& dir) {
  std::string tar = dir.path() + "/pack.tar.gz";
  std::string script =
      "import io, tarfile\n"
      "t = tarfile.open('" +
      tar +
      "', 'w:gz')\n"
      "def add(name, data, **kw):\n"
      "    i = tarfile.TarInfo(name); i.size = len(data)\n"
      "    for k, v in kw.items(): setattr(i, k, v)\n"
      "    t.addfile(i, io.BytesIO(data))\n"
      "add('mypack-1/VERSION', b'2024.05.01\\n')\n"
      "add('mypack-1/iocs/hash-iocs.txt', b'" +
      HexDigest("SHA256", "PACKED-CONTENT") +
      ";pack hash\\n')\n"
      "add('mypack-1/yara/r.yar', b'rule pack_rule { strings: $a = \"YARA-PACK-MARK\" condition: "
      "$a }\\n')\n"
      "add('/abs-escape.txt', b'x')\n"
      "add('mypack-1/../../dotdot-escape.txt', b'x')\n"
      "i = tarfile.TarInfo('mypack-1/iocs/link'); i.type = tarfile.SYMTYPE; i.linkname = '/etc'\n"
      "t.addfile(i)\n"
      "t.close()\n";
  std::string py = dir.Write("mk.py", script);
  EXPECT_EQ(std::system(("/usr/bin/python3 " + ShellQuote(py)).c_str()), 0);
  return tar;
}

TEST_F(IocsE2E, SignaturePacksInstallListScanRemove) {
  std::string tar = HostileTarball(dir_);
  Cmd c = RunCmd({"signatures", "install", tar, "--name", "mypack"}, home_);
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_NE(c.out.find("installed mypack\tversion 2024.05.01"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("unsafe path in archive"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("link not extracted"), std::string::npos) << c.out;
  std::string pack = home_ + "/trawl/packs/mypack";
  EXPECT_TRUE(fs::exists(pack + "/manifest.json"));
  EXPECT_TRUE(fs::exists(pack + "/content/iocs/hash-iocs.txt")) << "top folder stripped";
  EXPECT_FALSE(fs::exists(fs::symlink_status(pack + "/content/iocs/link")));
  EXPECT_FALSE(fs::exists("/abs-escape.txt"));
  EXPECT_FALSE(fs::exists(home_ + "/trawl/dotdot-escape.txt"));
  EXPECT_FALSE(fs::exists(home_ + "/trawl/packs/dotdot-escape.txt"));
  Json manifest = Json::parse(ReadFile(pack + "/manifest.json"));
  EXPECT_EQ(manifest["counts"]["sha256"], 1);
  EXPECT_EQ(manifest["counts"]["yara_files"], 1);
  EXPECT_FALSE(manifest["installed"].get<std::string>().empty());

  c = RunCmd({"signatures", "list"}, home_);
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_NE(c.out.find("mypack\tversion 2024.05.01"), std::string::npos) << c.out;

  // A scan loads the pack (hash and rules) and names it with its version.
  std::string tree = dir_.path() + "/tree";
  std::string hit = dir_.Write("tree/a.bin", "PACKED-CONTENT");
  std::string rule_hit = dir_.Write("tree/b.bin", "xx YARA-PACK-MARK xx");
  RunResult r = RunTrawl({"scan", tree, "--no-builtin"}, "XDG_DATA_HOME=" + ShellQuote(home_));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const Json* f = r.FindingFor(hit);
  ASSERT_NE(f, nullptr) << r.err;
  EXPECT_NE((*f)["reasons"][0]["source"].get<std::string>().find(
                "/trawl/packs/mypack/content/iocs/hash-iocs.txt:1"),
            std::string::npos);
  ASSERT_NE(r.FindingFor(rule_hit), nullptr);
  bool named = false;
  for (const Json& s : (*r.Summary())["indicator_sets"])
    if (s["name"] == "pack:mypack" && s["version"] == "2024.05.01") named = true;
  EXPECT_TRUE(named) << r.Summary()->dump();
  // --no-packs: not loaded.
  r = RunTrawl({"scan", tree, "--no-builtin", "--no-packs", "--iocs",
                dir_.Write("x/c2-iocs.txt", "x.example\n")},
               "XDG_DATA_HOME=" + ShellQuote(home_));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.FindingFor(hit), nullptr);

  // Install from a folder (git commit as the version), then remove.
  dir_.Write("sb/iocs/c2-iocs.txt", "evil.example\n");
  dir_.Write("sb/.git/HEAD", "ref: refs/heads/master\n");
  dir_.Write("sb/.git/refs/heads/master", "0123456789abcdef0123456789abcdef01234567\n");
  c = RunCmd({"signatures", "install", dir_.path() + "/sb"}, home_);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("installed sb\tversion git 0123456789abcdef"), std::string::npos) << c.out;
  EXPECT_FALSE(fs::exists(home_ + "/trawl/packs/sb/content/.git"));
  EXPECT_EQ(RunCmd({"signatures", "remove", "mypack"}, home_).exit_code, 0);
  EXPECT_FALSE(fs::exists(pack));
  EXPECT_EQ(RunCmd({"signatures", "remove", "mypack"}, home_).exit_code, 2);
  EXPECT_EQ(RunCmd({"signatures", "install", tar, "--name", "../evil"}, home_).exit_code, 2);
  c = RunCmd({"signatures", "list"}, home_);
  EXPECT_EQ(c.out.find("mypack"), std::string::npos);
  EXPECT_NE(c.out.find("sb\t"), std::string::npos);
}

TEST_F(IocsE2E, ScanWithStixAndMispIndicators) {
  std::string content = RandomBytes(4096);
  std::string sha256 = HexDigest("SHA256", content);
  std::string named = dir_.Write("tree/evil.dll", content);
  std::string renamed = dir_.Write("tree/other.dll", content);
  std::string ctx_content = RandomBytes(1000);
  std::string ctx = dir_.Write("tree/ctx.bin", ctx_content);
  std::string ruled = dir_.Write("tree/ruled.txt", "...MISP-RULE-MARKER...");
  Json bundle = {
      {"type", "bundle"},
      {"objects",
       {StixInd("and", "[file:name = 'evil.dll' AND file:hashes.'SHA-256' = '" + sha256 + "']")}}};
  dir_.Write("iocs/feed.json", bundle.dump());
  Json event = {
      {"Event",
       {{"uuid", "ev"},
        {"info", "e2e"},
        {"Attribute",
         {{{"uuid", "y1"},
           {"type", "yara"},
           {"to_ids", true},
           {"value", "rule misp_rule { strings: $a = \"MISP-RULE-MARKER\" condition: $a }"}},
          {{"uuid", "c1"},
           {"type", "sha256"},
           {"to_ids", false},
           {"value", HexDigest("SHA256", ctx_content)}}}}}}};
  dir_.Write("iocs/event.json", event.dump());
  std::string tree = dir_.path() + "/tree";
  // Paths first: --iocs takes every value after it.
  RunResult r =
      RunTrawl({"scan", tree, "--no-builtin", "--no-packs", "--iocs", dir_.path() + "/iocs"},
               "XDG_DATA_HOME=" + ShellQuote(home_));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_NE(r.FindingFor(named), nullptr) << r.err;
  EXPECT_EQ(r.FindingFor(renamed), nullptr) << "name AND hash: the name must match too";
  const Json* y = r.FindingFor(ruled);
  ASSERT_NE(y, nullptr) << r.err;
  EXPECT_EQ((*y)["reasons"][0]["kind"], "yara");
  EXPECT_NE((*y)["reasons"][0]["source"].get<std::string>().find("event.json:ev/y1"),
            std::string::npos);
  EXPECT_EQ(r.FindingFor(ctx), nullptr) << "not to_ids";
  r = RunTrawl({"scan", tree, "--no-builtin", "--no-packs", "--all-attributes", "--iocs",
                dir_.path() + "/iocs"},
               "XDG_DATA_HOME=" + ShellQuote(home_));
  const Json* c = r.FindingFor(ctx);
  ASSERT_NE(c, nullptr) << r.err;
  EXPECT_EQ((*c)["score"], 50);
}

}  // namespace
}  // namespace trawl::e2e

namespace trawl::e2e {
namespace {

// Issue 13: an advisory pasted as it is, reviewed with `iocs extract` and
// checked with `iocs check` (references only: exit 0); issue 11 part 5:
// strict loaders in `iocs check`.
class FreeTextE2E : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string home_ = dir_.path() + "/xdg";
};

TEST_F(FreeTextE2E, ExtractAndCheckAnAdvisory) {
  std::string adv =
      dir_.Write("advisory.txt",
                 "Quelle: https://www.heise.de/news/3cx.html\n"
                 "C2-Domains:\n"
                 "\xE2\x80\xA2 akamaicontainer[.]com\n"
                 "\xE2\x80\xA2 github[.]com/IconStorages/images\n"
                 "\xE2\x80\xA2 bf939c9c261d27ee7bb92325cc588624fca75429 | ffmpeg.dll\n");
  Cmd c = RunCmd({"iocs", "extract", adv}, home_);
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_NE(
      c.out.find("taken\tdomain\takamaicontainer.com\tC2-Domains (advisory.txt)\t" + adv + ":3"),
      std::string::npos)
      << c.out;
  EXPECT_NE(c.out.find("taken\turl\thttps://github.com/IconStorages/images\t"), std::string::npos)
      << c.out;
  EXPECT_NE(c.out.find("taken\tsha1\tbf939c9c261d27ee7bb92325cc588624fca75429\tffmpeg.dll "
                       "(advisory.txt)"),
            std::string::npos)
      << c.out;
  EXPECT_NE(c.out.find("left\t" + adv + ":1\tnot taken: not defanged, likely a reference"),
            std::string::npos)
      << c.out;
  EXPECT_EQ(c.out.find("heise.de\t"), std::string::npos) << "the reference is not taken";

  c = RunCmd({"iocs", "check", adv}, home_);
  EXPECT_EQ(c.exit_code, 0) << "only references were left\n" << c.out << c.err;
  EXPECT_NE(c.out.find("note: not taken: not defanged, likely a reference"), std::string::npos)
      << c.out;
  EXPECT_NE(c.out.find("0 problems"), std::string::npos) << c.out;

  // --to converts what was taken; the review goes to stderr.
  c = RunCmd({"iocs", "extract", adv, "--to", "csv"}, home_);
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("akamaicontainer.com"), std::string::npos) << c.out;
  EXPECT_EQ(c.out.find("taken\t"), std::string::npos) << c.out;
  EXPECT_NE(c.err.find("taken\tdomain\takamaicontainer.com"), std::string::npos) << c.err;
}

// The advisory feeds a sweep: the scheme-less GitHub repository matches its
// raw.githubusercontent.com downloads in a log, and the advisory's own (live)
// reference link is no indicator.
TEST_F(FreeTextE2E, AdvisoryFeedsTheLogSweep) {
  std::string adv = dir_.Write("advisory.txt",
                               "Read the write-up at https://vendor-blog-e2e.net/post first.\n"
                               "Repository:\n"
                               "\xE2\x80\xA2 github[.]com/OwnerQ/repo-q\n");
  std::string tree = dir_.path() + "/tree";
  dir_.Write(
      "tree/proxy/access.log",
      "2023-03-30T10:00:01Z GET https://raw.githubusercontent.com/OwnerQ/repo-q/main/a.ico\n"
      "2023-03-30T10:00:02Z GET https://vendor-blog-e2e.net/post\n"
      "2023-03-30T10:00:03Z GET https://raw.githubusercontent.com/OwnerQ/other/main/a.ico\n");
  RunResult r = RunTrawl({"scan", tree, "--no-builtin", "--no-packs", "--iocs", adv});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  std::set<uint64_t> lines;
  for (const auto& f : r.Of("finding")) lines.insert(f["line"].get<uint64_t>());
  EXPECT_EQ(lines, (std::set<uint64_t>{1})) << r.out;
}

TEST_F(FreeTextE2E, CheckIsStrict) {
  // A filename regex neither engine compiles.
  std::string fn = dir_.Write("a/filename-iocs.txt", "([;70\n");
  Cmd c = RunCmd({"iocs", "check", fn}, home_);
  EXPECT_EQ(c.exit_code, 2) << c.out;
  EXPECT_NE(c.out.find("filename-iocs.txt:1"), std::string::npos) << c.out;
  EXPECT_EQ(c.out.find(" 0 problems"), std::string::npos) << c.out;
  // A score out of 0..100 is a problem, not description text.
  std::string h = dir_.Write("b/hash-iocs.txt", std::string(32, 'c') + ";200;desc\n");
  c = RunCmd({"iocs", "check", h}, home_);
  EXPECT_EQ(c.exit_code, 2) << c.out;
  EXPECT_NE(c.out.find("hash-iocs.txt:1: bad score"), std::string::npos) << c.out;
  // Catch-all ranges are refused unless allowed.
  std::string r = dir_.Write("c/ranges.txt", "0.0.0.0/0\n::/0\n10.0.0.0/7\n");
  c = RunCmd({"iocs", "check", r}, home_);
  EXPECT_EQ(c.exit_code, 2) << c.out;
  EXPECT_NE(c.out.find("catch-all range"), std::string::npos) << c.out;
  c = RunCmd({"iocs", "check", "--allow-broad-ranges", r}, home_);
  EXPECT_EQ(c.exit_code, 0) << c.out;
  EXPECT_NE(c.out.find("loaded 3 cidr"), std::string::npos) << c.out;
}

}  // namespace
}  // namespace trawl::e2e
