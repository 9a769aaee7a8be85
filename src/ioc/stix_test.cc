// STIX 2.1: bundles the tests build, covering every pattern form trawl
// evaluates, the ones it refuses, expiry, observed-data and broken JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"
#include "trawl/ioc/interchange.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {
namespace {

using testing::Loaded;
using testing::ProblemsText;
using testing::Skipped;
using Json = nlohmann::json;

constexpr std::int64_t kNow = 1700000000;  // 2023-11-14
const std::string kMd5 = "0123456789abcdef0123456789abcdef";
const std::string kSha1 = "0123456789abcdef0123456789abcdef01234567";
const std::string kSha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Json Ind(const std::string& id, const std::string& pattern) {
  return {{"type", "indicator"},
          {"spec_version", "2.1"},
          {"id", "indicator--" + id},
          {"created", "2023-01-01T00:00:00Z"},
          {"modified", "2023-01-01T00:00:00Z"},
          {"pattern", pattern},
          {"pattern_type", "stix"},
          {"valid_from", "2023-01-01T00:00:00Z"}};
}

Json Bundle(std::vector<Json> objects) {
  return {{"type", "bundle"}, {"id", "bundle--1"}, {"objects", objects}};
}

LoadStats Load(const std::string& text, IndicatorSet& set, LoadOptions opts = {}) {
  opts.now = opts.now ? opts.now : kNow;
  return LoadText(text, Format::kStix, "b.json", set, opts);
}

struct PatternCase {
  std::string pattern;
  // Expected indicators as "kind value [and_filename]", in load order.
  std::vector<std::string> want;
};

std::string Describe(const Indicator& i) {
  std::string s = std::string(KindName(i.kind)) + " " + i.value;
  if (!i.and_filename.empty()) s += " [" + i.and_filename + "]";
  return s;
}

TEST(Stix, EveryPatternForm) {
  const std::string name_re = BaseNameRegex("evil.dll");
  const PatternCase cases[] = {
      {"[file:hashes.MD5 = '" + kMd5 + "']", {"md5 " + kMd5}},
      {"[file:hashes.'MD5' = '" + kMd5 + "']", {"md5 " + kMd5}},
      {"[file:hashes.'SHA-1' = '" + kSha1 + "']", {"sha1 " + kSha1}},
      {"[file:hashes.SHA1 = '" + kSha1 + "']", {"sha1 " + kSha1}},
      {"[file:hashes.'SHA-256' = '" + kSha256 + "']", {"sha256 " + kSha256}},
      {"[file:hashes.SHA256 = '" + std::string(64, 'A') + "']", {"sha256 " + std::string(64, 'a')}},
      {"[file:name = 'evil.dll']", {"filename " + name_re}},
      {"[domain-name:value = 'Evil.Example.COM']", {"domain evil.example.com"}},
      {"[url:value = 'HTTPS://evil.example.com/a?b=1']", {"url https://evil.example.com/a?b=1"}},
      {"[ipv4-addr:value = '198.51.100.7']", {"ipv4 198.51.100.7"}},
      {"[ipv4-addr:value = '198.51.100.0/24']", {"cidr 198.51.100.0/24"}},
      {"[ipv4-addr:value = '198.51.100.7/32']", {"ipv4 198.51.100.7"}},
      {"[ipv6-addr:value = '2001:DB8::1']", {"ipv6 2001:db8::1"}},
      {"[ipv6-addr:value = '2001:db8::/32']", {"cidr 2001:db8::/32"}},
      {"[x-trawl-keyword:value = 'it''s']", {}},  // '' is no escape: a syntax error (below)
      {"[x-trawl-keyword:value = 'it\\'s \\\\ here']", {"keyword it's \\ here"}},
      {"[file:x_trawl_path MATCHES '/tmp/[a-z]+\\\\.so$']", {"filename /tmp/[a-z]+\\.so$"}},
      // OR inside one observation, OR between observations.
      {"[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1']",
       {"domain a.example", "ipv4 192.0.2.1"}},
      {"[domain-name:value = 'a.example'] OR [url:value = 'http://b.example/x']",
       {"domain a.example", "url http://b.example/x"}},
      // Name AND hash: one conditional hash.
      {"[file:name = 'evil.dll' AND file:hashes.MD5 = '" + kMd5 + "']",
       {"md5 " + kMd5 + " [evil.dll]"}},
      {"[file:hashes.'SHA-256' = '" + kSha256 + "' AND file:name = 'evil.dll']",
       {"sha256 " + kSha256 + " [evil.dll]"}},
      // Hashes ANDed: the strongest stands for all.
      {"[file:hashes.MD5 = '" + kMd5 + "' AND file:hashes.'SHA-256' = '" + kSha256 + "']",
       {"sha256 " + kSha256}},
      // AND binds tighter than OR; parentheses distribute.
      {"[file:name = 'a.exe' AND file:hashes.MD5 = '" + kMd5 +
           "' OR domain-name:value = 'c.example']",
       {"md5 " + kMd5 + " [a.exe]", "domain c.example"}},
      {"[file:name = 'a.exe' AND (file:hashes.MD5 = '" + kMd5 + "' OR file:hashes.SHA1 = '" +
           kSha1 + "')]",
       {"md5 " + kMd5 + " [a.exe]", "sha1 " + kSha1 + " [a.exe]"}},
      {"([domain-name:value = 'a.example'])", {"domain a.example"}},
      {"[domain-name:value IN ('a.example', 'b.example')]",
       {"domain a.example", "domain b.example"}},
  };
  for (const PatternCase& c : cases) {
    SCOPED_TRACE(c.pattern);
    IndicatorSet set;
    LoadStats st = Load(Bundle({Ind("1", c.pattern)}).dump(), set);
    std::vector<std::string> got;
    for (const Indicator& i : set.Materialize()) got.push_back(Describe(i));
    EXPECT_EQ(got, c.want) << ProblemsText(st);
    if (c.want.empty()) {
      ASSERT_EQ(st.problems.size(), 1u);
      EXPECT_EQ(st.problems[0].where, "b.json:indicator--1");
    } else {
      EXPECT_TRUE(st.problems.empty()) << ProblemsText(st);
    }
  }
}

TEST(Stix, UnsupportedPartsSkipTheWholeIndicator) {
  const std::string ok = "domain-name:value = 'ok.example'";
  const std::pair<std::string, std::string> cases[] = {
      {"[" + ok + " OR process:name = 'x.exe']", "object type process"},
      {"[" + ok + " OR file:size = '10']", "file:size"},
      {"[" + ok + " OR file:hashes.'SHA-512' = 'aa']", "file:hashes.'SHA-512'"},
      {"[" + ok + " OR domain-name:value != 'x.example']", "operator !="},
      {"[" + ok + " OR url:value LIKE 'http://%']", "operator LIKE"},
      {"[" + ok + " OR domain-name:value MATCHES 'x']", "operator MATCHES"},
      {"[" + ok + " OR NOT domain-name:value = 'x']", "NOT (negation)"},
      {"[domain-name:value NOT = 'x.example']", "NOT"},
      {"[" + ok + "] AND [ipv4-addr:value = '192.0.2.1']", "observations joined by AND"},
      {"[" + ok + "] FOLLOWEDBY [ipv4-addr:value = '192.0.2.1']", "FOLLOWEDBY"},
      {"[" + ok + "] WITHIN 300 SECONDS", "qualifier WITHIN"},
      {"[" + ok + "] REPEATS 5 TIMES", "qualifier REPEATS"},
      {"[" + ok + "] START t'2023-01-01T00:00:00Z' STOP t'2024-01-01T00:00:00Z'",
       "qualifier START"},
      {"[" + ok + " OR domain-name:value = 'not a domain']", "unrecognised value"},
      {"[" + ok + " OR file:hashes.MD5 = 'xyz']", "not hex"},
      {"[" + ok + " OR file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", "empty or newline"},
      {"[domain-name:value = 'a.example' AND domain-name:value = 'b.example']", "AND of several"},
      {"[file:name = 'a.exe' AND file:name = 'b.exe']", "two different file names"},
      {"[file:name = 'a.exe' AND domain-name:value = 'b.example']",
       "AND of different object types"},
      {"[file:name = 'dir/a.exe']", "no path separator"},
      {"[domain-name:value = 1]", "non-string value"},
      {"[domain-name:value = 'unterminated]", "unterminated string"},
      {"[domain-name:value = 'a.example'", "missing ']'"},
      {"domain-name:value = 'a.example'", "expected '[' or '('"},
      {"", "empty pattern"},
      {"[domain-name:value EXISTS]", "operator EXISTS"},
      {"[x-trawl-keyword:value = 'it''s']", "missing ']'"},
  };
  for (const auto& [pattern, why] : cases) {
    SCOPED_TRACE(pattern);
    IndicatorSet set;
    LoadStats st = Load(Bundle({Ind("7", pattern)}).dump(), set);
    EXPECT_EQ(set.size(), 0u) << "never half-read";
    ASSERT_EQ(st.problems.size(), 1u) << ProblemsText(st);
    EXPECT_EQ(st.problems[0].where, "b.json:indicator--7");
    EXPECT_NE(st.problems[0].message.find(why), std::string::npos) << st.problems[0].message;
  }
}

TEST(Stix, ExpiredRevokedAndTimestamps) {
  Json expired = Ind("1", "[domain-name:value = 'old.example']");
  expired["valid_until"] = "2023-11-14T22:13:19Z";  // kNow - 1
  Json current = Ind("2", "[domain-name:value = 'new.example']");
  current["valid_until"] = "2023-11-14T22:13:21.123Z";  // kNow + 1
  Json revoked = Ind("3", "[domain-name:value = 'rev.example']");
  revoked["revoked"] = true;
  Json bad = Ind("4", "[domain-name:value = 'bad.example']");
  bad["valid_until"] = "next tuesday";
  IndicatorSet set;
  LoadStats st = Load(Bundle({expired, current, revoked, bad}).dump(), set);
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set.Materialize()[0].value, "new.example");
  EXPECT_EQ(Skipped(st, "expired"), 1u);
  EXPECT_EQ(Skipped(st, "revoked"), 1u);
  EXPECT_EQ(Skipped(st, "bad valid_until"), 1u);
  ASSERT_EQ(st.problems.size(), 1u) << "expired and revoked are counted, not problems";
  EXPECT_EQ(st.problems[0].where, "b.json:indicator--4");
}

TEST(Stix, DescriptionScoreFpRegexAndYara) {
  Json a = Ind("1", "[file:x_trawl_path MATCHES '\\\\\\\\Temp\\\\\\\\x\\\\.exe']");
  a["name"] = "Dropper";
  a["description"] = "Seen\nin the wild";
  a["x_trawl_score"] = 70;
  a["x_trawl_fp_regex"] = "good";
  Json y = {{"type", "indicator"},
            {"id", "indicator--y"},
            {"pattern_type", "yara"},
            {"pattern", "rule r { condition: true }"}};
  Json badscore = Ind("3", "[domain-name:value = 'x.example']");
  badscore["x_trawl_score"] = 101;
  Json sigma = Ind("4", "title: x");
  sigma["pattern_type"] = "sigma";
  IndicatorSet set;
  LoadStats st = Load(Bundle({a, y, badscore, sigma}).dump(), set);
  ASSERT_EQ(set.size(), 2u) << ProblemsText(st);
  EXPECT_EQ(set.Materialize()[0].value, "\\\\Temp\\\\x\\.exe");
  EXPECT_EQ(set.Materialize()[0].description, "Dropper - Seen in the wild");
  EXPECT_EQ(set.Materialize()[0].score, 70);
  EXPECT_EQ(set.Materialize()[0].fp_regex, "good");
  EXPECT_EQ(set.Materialize()[0].source, "b.json:indicator--1");
  EXPECT_EQ(set.Materialize()[1].kind, Kind::kYara);
  EXPECT_EQ(set.Materialize()[1].value, "rule r { condition: true }");
  EXPECT_EQ(Skipped(st, "bad x_trawl_score"), 1u);
  EXPECT_EQ(Skipped(st, "unsupported pattern_type"), 1u);
}

TEST(Stix, ObservedData) {
  Json file = {{"type", "file"},
               {"id", "file--1"},
               {"name", "a.bin"},
               {"hashes", {{"MD5", kMd5}, {"SHA-256", kSha256}, {"SSDEEP", "3:a:b"}}}};
  Json name_only = {{"type", "file"}, {"id", "file--2"}, {"name", "b.bin"}};
  Json dom = {{"type", "domain-name"}, {"id", "domain-name--1"}, {"value", "c2.example"}};
  Json ip = {{"type", "ipv4-addr"}, {"id", "ipv4-addr--1"}, {"value", "203.0.113.9"}};
  Json proc = {{"type", "process"}, {"id", "process--1"}, {"pid", 4}};
  Json lone = {{"type", "domain-name"}, {"id", "domain-name--2"}, {"value", "lone.example"}};
  Json od = {
      {"type", "observed-data"},
      {"id", "observed-data--1"},
      {"object_refs",
       {"file--1", "file--2", "domain-name--1", "ipv4-addr--1", "process--1", "missing--1"}}};
  // STIX 2.0 style: embedded objects.
  Json od20 = {{"type", "observed-data"},
               {"id", "observed-data--2"},
               {"objects",
                {{"0", {{"type", "url"}, {"value", "http://u.example/p"}}},
                 {"1", {{"type", "ipv6-addr"}, {"value", "bogus"}}}}}};
  Json other = {{"type", "malware"}, {"id", "malware--1"}};
  IndicatorSet set;
  LoadStats st = Load(Bundle({file, name_only, dom, ip, proc, lone, od, od20, other}).dump(), set);
  std::vector<std::string> got;
  for (const Indicator& i : set.Materialize()) got.push_back(Describe(i));
  EXPECT_EQ(got, (std::vector<std::string>{
                     "sha256 " + kSha256, "filename " + BaseNameRegex("b.bin"), "domain c2.example",
                     "ipv4 203.0.113.9", "url http://u.example/p"}));
  EXPECT_EQ(set.Materialize()[0].description, "file a.bin: STIX observed-data observed-data--1");
  EXPECT_EQ(Skipped(st, "unsupported observable type"), 1u);
  EXPECT_EQ(Skipped(st, "observable outside observed-data"), 1u);
  EXPECT_EQ(Skipped(st, "other STIX objects"), 1u);
  EXPECT_EQ(st.problems.size(), 2u) << ProblemsText(st);  // missing ref, bogus IPv6
}

TEST(Stix, LoneObjectsAndArrays) {
  IndicatorSet set;
  LoadStats st = Load(Ind("1", "[domain-name:value = 'a.example']").dump(), set);
  EXPECT_EQ(Loaded(st), 1u);
  st = Load(Json::array({Ind("2", "[domain-name:value = 'b.example']"), 5}).dump(), set);
  EXPECT_EQ(Loaded(st), 1u);
  EXPECT_EQ(st.problems.size(), 1u);
}

TEST(Stix, MalformedJsonNeverCrashes) {
  std::string good = Bundle({Ind("1", "[domain-name:value = 'a.example']")}).dump();
  std::vector<std::string> inputs = {
      good.substr(0, good.size() / 2),                     // truncated
      "{\"type\":\"bundle\",\"objects\":{\"a\":1}}",       // wrong type
      "{\"type\":\"bundle\",\"objects\":[{\"type\":7}]}",  // type not a string
      "{\"type\":\"indicator\",\"id\":\"indicator--1\",\"pattern\":42}",
      "{\"type\":\"indicator\",\"id\":\"indicator--1\",\"pattern\":\"[a:b = 'c']\","
      "\"pattern_type\":[1]}",
      std::string(100000, '[') + std::string(100000, ']'),  // deep nesting
      "{\"type\":\"indicator\",\"id\":\"i\",\"pattern\":\"[url:value = '" +
          std::string(1 << 20, 'a') + "']\"}",  // huge string
      "{\"type\":\"indicator\",\"id\":\"i\",\"pattern\":\"[domain-name:value = '\xff']\"}",
      "",
      "null",
  };
  for (const std::string& in : inputs) {
    SCOPED_TRACE(in.substr(0, 60));
    IndicatorSet set;
    LoadStats st = Load(in, set);
    EXPECT_EQ(set.size(), 0u);
    EXPECT_FALSE(st.problems.empty());
  }
  IndicatorSet set;
  LoadStats st = Load("{\n  \"type\": \"bundle\",\n  \"objects\": [\n", set);
  ASSERT_EQ(st.problems.size(), 1u);
  EXPECT_NE(st.problems[0].where.find("b.json:line "), std::string::npos) << st.problems[0].where;
}

TEST(Stix, JsonFilesAreSniffedAndLoadedFromFolders) {
  testing::TempDir dir;
  dir.Write("a.json", Bundle({Ind("1", "[domain-name:value = 'a.example']")}).dump());
  dir.Write(
      "b.json",
      R"({"Event":{"info":"x","Attribute":[{"type":"domain","value":"b.example","to_ids":true}]}})");
  EXPECT_EQ(DetectFormat(dir.path() / "a.json"), Format::kJson);
  EXPECT_EQ(DetectJsonFormat(Bundle({}).dump()), Format::kStix);
  EXPECT_EQ(DetectJsonFormat(R"({"response":[]})"), Format::kMisp);
  EXPECT_EQ(DetectJsonFormat("[1,2]"), Format::kJson);
  IndicatorSet set;
  auto r = LoadDirectory(dir.path(), set);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(set.size(), 2u);
  EXPECT_NE(set.Materialize()[1].source.find("b.json:"), std::string::npos);
}

TEST(Stix, BaseNameRegexRoundTrips) {
  for (std::string name : {"a.dll", "we ird[1](x)+$^.exe", "ünï.txt", "a-b_c"}) {
    std::string back;
    ASSERT_TRUE(BaseNameOfRegex(BaseNameRegex(name), back)) << name;
    EXPECT_EQ(back, name);
  }
  std::string n;
  EXPECT_FALSE(BaseNameOfRegex("(?:^|[\\\\/])a.dll$", n));  // unescaped '.'
  EXPECT_FALSE(BaseNameOfRegex("\\\\a\\.dll$", n));
}

}  // namespace
}  // namespace trawl::ioc
