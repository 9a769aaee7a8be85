// asar archives the tests write: the header pickle, nested folders, hostile sizes.
#include "trawl/inventory/asar.h"

#include <nlohmann/json.hpp>
#include <random>

#include "test_util.h"

namespace trawl::inventory {
namespace {

void PutU32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// An asar archive as Electron's asar tool writes it: pickle(size), pickle(json), data.
std::string MakeAsar(const std::vector<std::pair<std::string, std::string>>& files,
                     nlohmann::json* tree_out = nullptr) {
  nlohmann::json tree = {{"files", nlohmann::json::object()}};
  std::string data;
  for (const auto& [path, content] : files) {
    nlohmann::json* node = &tree;
    std::string rest = path;
    for (size_t slash; (slash = rest.find('/')) != std::string::npos;
         rest = rest.substr(slash + 1)) {
      nlohmann::json& dir = (*node)["files"][rest.substr(0, slash)];
      if (!dir.contains("files")) dir["files"] = nlohmann::json::object();
      node = &dir;
    }
    (*node)["files"][rest] = {{"size", content.size()}, {"offset", std::to_string(data.size())}};
    data += content;
  }
  if (tree_out) *tree_out = tree;
  std::string js = tree.dump();
  std::string header;
  PutU32(header, static_cast<std::uint32_t>(js.size()));
  header += js;
  while (header.size() % 4) header += '\0';
  std::string out;
  PutU32(out, 4);
  PutU32(out, static_cast<std::uint32_t>(header.size() + 4));
  PutU32(out, static_cast<std::uint32_t>(header.size()));
  out += header;
  return out + data;
}

std::string MakeAsarFromTree(const nlohmann::json& tree, const std::string& data) {
  std::string js = tree.dump(), header;
  PutU32(header, static_cast<std::uint32_t>(js.size()));
  header += js;
  while (header.size() % 4) header += '\0';
  std::string out;
  PutU32(out, 4);
  PutU32(out, static_cast<std::uint32_t>(header.size() + 4));
  PutU32(out, static_cast<std::uint32_t>(header.size()));
  return out + header + data;
}

const std::uint8_t* U8(const std::string& s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

TEST(Asar, ReadsTheEmbeddedPackageJson) {
  std::string a = MakeAsar(
      {{"index.js", "console.log(1)"},
       {"node_modules/x/package.json", R"({"version":"9.9.9"})"},
       {"package.json",
        R"({"name":"3cx-desktop-app","productName":"3CX Desktop App","version":"18.12.416"})"}});
  auto p = ReadAsarPackage(U8(a), a.size());
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->name, "3cx-desktop-app");
  EXPECT_EQ(p->product_name, "3CX Desktop App");
  EXPECT_EQ(p->version, "18.12.416");
  auto read_at = [&](std::uint64_t off, std::size_t n, std::vector<std::uint8_t>& out) {
    out.assign(a.begin() + static_cast<long>(std::min<std::uint64_t>(off, a.size())),
               a.begin() + static_cast<long>(std::min<std::uint64_t>(off + n, a.size())));
    return Status::Ok();
  };
  auto m = FindAsarMember(read_at, a.size(), "node_modules/x/package.json");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(a.substr(m->offset, m->size), R"({"version":"9.9.9"})");
  EXPECT_FALSE(FindAsarMember(read_at, a.size(), "node_modules/y/package.json").ok());
}

TEST(Asar, PackageJsonFieldsMayBeMissingOrNotStrings) {
  std::string a = MakeAsar({{"package.json", R"({"name":"app","version":3})"}});
  auto p = ReadAsarPackage(U8(a), a.size());
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->name, "app");
  EXPECT_EQ(p->version, "");
  EXPECT_EQ(p->product_name, "");
}

TEST(Asar, BrokenArchivesAreErrors) {
  std::string good = MakeAsar({{"package.json", R"({"version":"1.0.0"})"}});
  nlohmann::json tree = {{"files", {{"package.json", {{"size", 5}, {"offset", "999999"}}}}}};
  nlohmann::json unpacked = {{"files", {{"package.json", {{"size", 5}, {"unpacked", true}}}}}};
  nlohmann::json negative = {{"files", {{"package.json", {{"size", -1}, {"offset", "0"}}}}}};
  nlohmann::json huge = {
      {"files", {{"package.json", {{"size", 5}, {"offset", "9999999999999999999"}}}}}};
  nlohmann::json toolong = {
      {"files", {{"package.json", {{"size", 5}, {"offset", "18446744073709551615"}}}}}};
  nlohmann::json notobj = {{"files", {{"package.json", "x"}}}};
  struct Row {
    std::string bytes;
    std::string error;
  };
  std::string bad_magic = good;
  bad_magic[0] = 5;
  std::string bad_json = good;
  bad_json[16] = '[';
  bad_json[17] = '[';
  const Row rows[] = {
      {"", "asar: shorter than its 16-byte prefix"},
      {bad_magic, "asar: not an asar archive (bad size pickle)"},
      {good.substr(0, 20), "asar: header beyond the end of the file"},
      {bad_json, "asar: header is not valid JSON"},
      {MakeAsarFromTree(tree, "hello"), "asar: package.json lies beyond the end of the archive"},
      {MakeAsarFromTree(unpacked, ""), "asar: package.json is stored unpacked"},
      {MakeAsarFromTree(negative, "hello"), "asar: package.json has no valid size"},
      {MakeAsarFromTree(huge, "hello"), "asar: package.json lies beyond the end of the archive"},
      {MakeAsarFromTree(toolong, "hello"), "asar: package.json has no valid offset"},
      {MakeAsarFromTree(notobj, "hello"), "asar: no package.json"},
      {MakeAsarFromTree(nlohmann::json::array(), ""), "asar: header is not a JSON object"},
      {MakeAsar({{"package.json", "not json"}}), "package.json: not a JSON object"},
      {MakeAsar({{"other.json", "{}"}}), "asar: no package.json"},
  };
  for (const Row& r : rows) {
    auto p = ReadAsarPackage(U8(r.bytes), r.bytes.size());
    ASSERT_FALSE(p.ok()) << r.error;
    EXPECT_EQ(p.status().message(), r.error);
  }
}

TEST(Asar, TruncationsAndFlipsNeverCrash) {
  std::string a = MakeAsar({{"a/b/c.txt", "xyz"}, {"package.json", R"({"version":"1.2.3"})"}});
  for (size_t n = 0; n < a.size(); ++n) {
    auto p = ReadAsarPackage(U8(a), n);
    EXPECT_FALSE(p.ok()) << n;  // package.json is last: every cut loses it
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string bad = a;
    for (int k = 0; k < 3; ++k) bad[rng() % bad.size()] = static_cast<char>(rng() & 0xFF);
    (void)ReadAsarPackage(U8(bad), bad.size());
  }
}

}  // namespace
}  // namespace trawl::inventory

namespace trawl::inventory {
namespace {

std::string AsarWithHeaderText(const std::string& js, const std::string& data) {
  std::string header;
  PutU32(header, static_cast<std::uint32_t>(js.size()));
  header += js;
  while (header.size() % 4) header += '\0';
  std::string out;
  PutU32(out, 4);
  PutU32(out, static_cast<std::uint32_t>(header.size() + 4));
  PutU32(out, static_cast<std::uint32_t>(header.size()));
  return out + header + data;
}

// Regression (issue 11): a planted 60 MB nested header cost 2.26 GB as a DOM.
// The header is now read by a SAX pass with a depth limit.
TEST(Asar, DeeplyNestedHeaderIsRefusedWithoutBuildingIt) {
  const std::size_t depth = 30u << 20;  // 60 MB of brackets
  std::string js = R"({"files":{"package.json":{"size":2,"offset":"0"}},"x":)";
  js.append(depth, '[');
  js.append(depth, ']');
  js += "}";
  std::string a = AsarWithHeaderText(js, "{}");
  auto p = ReadAsarPackage(U8(a), a.size());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "asar: header nested deeper than 1024 levels (not parsed)");
}

TEST(Asar, MemberFoundOnlyOnItsPathAndTheLastDuplicateWins) {
  const std::string pkg = R"({"version":"2.0.0"})";
  std::string size = std::to_string(pkg.size());
  // Decoys: a package.json below another directory and one inside an array;
  // then "files" twice at the top, the second one holding the real entry.
  std::string js = R"({"files":{"sub":{"files":{"package.json":{"size":1,"offset":"99"}}},)"
                   R"("arr":[{"package.json":{"size":1,"offset":"99"}}],)"
                   R"("package.json":{"size":1,"offset":"77"}},)"
                   R"("files":{"package.json":{"offset":"0","size":)" +
                   size + R"(,"ignored":{"size":1}}}})";
  std::string a = AsarWithHeaderText(js, pkg);
  auto p = ReadAsarPackage(U8(a), a.size());
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->version, "2.0.0");
  // A later duplicate that is no object removes the member, as a DOM parse would.
  std::string gone = R"({"files":{"package.json":{"size":1,"offset":"0"},"package.json":3}})";
  std::string b = AsarWithHeaderText(gone, "{}");
  auto q = ReadAsarPackage(U8(b), b.size());
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message(), "asar: no package.json");
}

}  // namespace
}  // namespace trawl::inventory
