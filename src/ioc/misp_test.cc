// MISP: the real ESET event, and events the tests build (every supported
// type, composites, objects, to_ids, tags, broken input).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "test_util.h"
#include "trawl/ioc/interchange.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {
namespace {

using testing::Loaded;
using testing::ProblemsText;
using testing::Skipped;
using Json = nlohmann::json;

const std::string kMd5 = "0123456789abcdef0123456789abcdef";
const std::string kSha1 = "0123456789abcdef0123456789abcdef01234567";
const std::string kSha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Json Attr(const std::string& uuid, const std::string& type, const std::string& value,
          bool to_ids = true) {
  return {{"uuid", uuid}, {"type", type}, {"value", value}, {"to_ids", to_ids}};
}

Json Event(std::vector<Json> attrs, std::vector<Json> objects = {}) {
  return {
      {"Event",
       {{"uuid", "ev1"},
        {"info", "Test event"},
        {"Tag", {{{"name", "tlp:white"}}, {{"name", "misp-galaxy:mitre-attack-pattern=\"X\""}}}},
        {"Attribute", attrs},
        {"Object", objects}}}};
}

LoadStats Load(const std::string& text, IndicatorSet& set, bool all = false) {
  LoadOptions o;
  o.all_attributes = all;
  return LoadText(text, Format::kMisp, "e.json", set, o);
}

std::string Describe(const Indicator& i) { return std::string(KindName(i.kind)) + " " + i.value; }

TEST(Misp, EveryType) {
  struct Case {
    std::string type, value;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"md5", kMd5, {"md5 " + kMd5}},
      {"sha1", kSha1, {"sha1 " + kSha1}},
      {"sha256", kSha256, {"sha256 " + kSha256}},
      {"filename|md5", "a.dll|" + kMd5, {"md5 " + kMd5}},
      {"filename|sha1", "a.dll|" + kSha1, {"sha1 " + kSha1}},
      {"filename|sha256", "a.dll|" + kSha256, {"sha256 " + kSha256}},
      {"filename", "a.dll", {"filename " + BaseNameRegex("a.dll")}},
      {"domain", "Evil.Example", {"domain evil.example"}},
      {"hostname", "www.evil.example", {"domain www.evil.example"}},
      {"hostname|port", "www.evil.example|443", {"domain www.evil.example"}},
      {"domain|ip", "evil.example|192.0.2.1", {"domain evil.example", "ipv4 192.0.2.1"}},
      {"ip-dst", "192.0.2.1", {"ipv4 192.0.2.1"}},
      {"ip-src", "2001:db8::1", {"ipv6 2001:db8::1"}},
      {"ip-dst", "192.0.2.0/24", {"cidr 192.0.2.0/24"}},
      {"ip-dst|port", "192.0.2.1|8080", {"ipv4 192.0.2.1"}},
      {"ip-src|port", "192.0.2.2|53", {"ipv4 192.0.2.2"}},
      {"url", "hxxps://evil[.]example/x.php", {"url https://evil.example/x.php"}},
      {"yara", "rule a { condition: true }", {"yara rule a { condition: true }"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    IndicatorSet set;
    LoadStats st = Load(Event({Attr("a1", c.type, c.value)}).dump(), set);
    std::vector<std::string> got;
    for (const Indicator& i : set.Materialize()) got.push_back(Describe(i));
    EXPECT_EQ(got, c.want) << ProblemsText(st);
    EXPECT_TRUE(st.problems.empty()) << ProblemsText(st);
    for (const Indicator& i : set.Materialize()) {
      EXPECT_EQ(i.score, 100);
      EXPECT_EQ(i.source, "e.json:ev1/a1");
      EXPECT_TRUE(i.and_filename.empty()) << "a MISP composite is no AND";
    }
  }
}

// Issue 13: a URL without a scheme ("evil.example/x.php", as advisories write
// them) is the URL "https://evil.example/x.php", as in every other format.
TEST(Misp, SchemeLessUrlIsTheUrl) {
  IndicatorSet set;
  LoadStats st = Load(Event({Attr("a", "url", "evil.example/x.php")}).dump(), set);
  ASSERT_EQ(set.size(), 1u) << ProblemsText(st);
  EXPECT_EQ(set.Materialize()[0].kind, Kind::kUrl);
  EXPECT_EQ(set.Materialize()[0].value, "https://evil.example/x.php");
}

TEST(Misp, BadValuesAndUnsupportedTypes) {
  const std::pair<Json, std::string> cases[] = {
      {Attr("a", "md5", kSha1), "bad hash length"},
      {Attr("a", "sha256", "zz"), "not hex"},
      {Attr("a", "domain|ip", "evil.example"), "without '|'"},
      {Attr("a", "domain|ip", "evil.example|999.1.1.1"), "domain|ip: unrecognised value"},
      {Attr("a", "filename|md5", "x.dll"), "without '|'"},
      {Attr("a", "url", "evil example/x.php"), "url without a scheme"},
      {Attr("a", "filename", "C:\\x\\a.dll"), "no path separator"},
      {Attr("a", "email-src", "a@b.example"), "unsupported type"},
      {Attr("a", "sha512", std::string(128, 'a')), "unsupported type"},
      {Attr("a", "md5", "d41d8cd98f00b204e9800998ecf8427e"), "empty or newline"},
      {Json{{"uuid", "a"}, {"type", "md5"}, {"value", 5}, {"to_ids", true}}, "string value"},
      {Json("x"), "not a JSON object"},
  };
  for (const auto& [attr, why] : cases) {
    SCOPED_TRACE(attr.dump());
    IndicatorSet set;
    LoadStats st = Load(Event({attr}).dump(), set);
    EXPECT_EQ(set.size(), 0u);
    ASSERT_EQ(st.problems.size(), 1u) << ProblemsText(st);
    EXPECT_NE(st.problems[0].message.find(why), std::string::npos) << st.problems[0].message;
    EXPECT_EQ(st.problems[0].where.rfind("e.json:ev1/", 0), 0u) << st.problems[0].where;
  }
}

TEST(Misp, ToIdsTagsDescriptionsAndObjects) {
  Json a1 = Attr("a1", "domain", "ctx.example", false);
  Json a2 = Attr("a2", "domain", "ids.example");
  a2["comment"] = "C2 server";
  a2["Tag"] = {{{"name", "trawl:score=\"70\""}}, {{"name", "kill-chain:c2"}}};
  Json a3 = Attr("a3", "text", "some text", false);
  Json a4 = Attr("a4", "domain", "gone.example");
  a4["deleted"] = true;
  Json a5 = Attr("a5", "domain", "bad-score.example");
  a5["Tag"] = {{{"name", "trawl:score=\"900\""}}};
  Json a6 = Attr("a6", "ip-dst", "192.0.2.9");
  a6["to_ids"] = "1";  // older MISP
  Json file_obj = {{"uuid", "o1"},
                   {"name", "file"},
                   {"comment", "Dropper"},
                   {"Attribute",
                    {Json{{"uuid", "f1"},
                          {"type", "filename"},
                          {"object_relation", "filename"},
                          {"value", "drop.exe"},
                          {"to_ids", false}},
                     Attr("f2", "sha256", kSha256)}}};
  std::string doc = Event({a1, a2, a3, a4, a5, a6}, {file_obj}).dump();

  IndicatorSet set;
  LoadStats st = Load(doc, set);
  std::vector<std::string> got;
  for (const Indicator& i : set.Materialize()) got.push_back(Describe(i));
  EXPECT_EQ(
      got, (std::vector<std::string>{"domain ids.example", "ipv4 192.0.2.9", "sha256 " + kSha256}));
  EXPECT_EQ(set.Materialize()[0].score, 70);
  EXPECT_EQ(set.Materialize()[0].description,
            "C2 server | MISP event: Test event | tags: kill-chain:c2, tlp:white");
  EXPECT_EQ(set.Materialize()[2].description,
            "file drop.exe: Dropper | MISP event: Test event | tags: tlp:white");
  EXPECT_EQ(set.Materialize()[2].source, "e.json:ev1/o1/f2");
  EXPECT_EQ(Skipped(st, "not to_ids"), 3u);
  EXPECT_EQ(Skipped(st, "deleted"), 1u);
  EXPECT_EQ(Skipped(st, "bad trawl:score tag"), 1u);
  EXPECT_EQ(st.problems.size(), 1u) << ProblemsText(st);

  IndicatorSet all;
  st = Load(doc, all, /*all=*/true);
  got.clear();
  for (const Indicator& i : all.Materialize()) got.push_back(Describe(i));
  EXPECT_EQ(got, (std::vector<std::string>{
                     "domain ctx.example", "domain ids.example", "ipv4 192.0.2.9",
                     "filename " + BaseNameRegex("drop.exe"), "sha256 " + kSha256}));
  EXPECT_EQ(all.Materialize()[0].score, 50) << "context attributes score lower";
  EXPECT_EQ(Skipped(st, "unsupported type"), 1u) << "the text attribute, counted only";
}

TEST(Misp, Wrappers) {
  Json ev = Event({Attr("a1", "domain", "a.example")});
  Json bare = ev["Event"];
  Json search = {{"response", {{"Attribute", {Attr("x1", "domain", "s.example")}}}}};
  for (const std::string& doc : {ev.dump(), bare.dump(), Json{{"response", {ev, ev}}}.dump(),
                                 Json::array({ev}).dump(), search.dump()}) {
    SCOPED_TRACE(doc.substr(0, 80));
    IndicatorSet set;
    LoadStats st = Load(doc, set);
    EXPECT_EQ(set.size(), 1u) << ProblemsText(st);
    EXPECT_TRUE(st.problems.empty()) << ProblemsText(st);
  }
}

TEST(Misp, MalformedJsonNeverCrashes) {
  std::string good = Event({Attr("a1", "domain", "a.example")}).dump();
  const std::string inputs[] = {
      good.substr(0, good.size() - 3),
      R"({"Event":{"info":"x","Attribute":{"a":1}}})",
      R"({"Event":{"info":"x","Object":[{"Attribute":7}]}})",
      R"({"Event":[1,2]})",
      R"({"response":"nope"})",
      R"({"Event":{"info":"x","Attribute":[{"type":["md5"],"value":"x","to_ids":true}]}})",
      "{\"Event\":{\"info\":\"x\",\"Attribute\":[{\"type\":\"domain\",\"to_ids\":true,\"value\":"
      "\"" +
          std::string(1 << 20, 'a') + ".example\"}]}}",
      std::string(50000, '{'),
  };
  for (const std::string& in : inputs) {
    SCOPED_TRACE(in.substr(0, 60));
    IndicatorSet set;
    LoadStats st = Load(in, set);
    EXPECT_EQ(set.size(), 0u);
    EXPECT_FALSE(st.problems.empty());
  }
}

// The real ESET event (../shared/data/feeds/eset-3cx): every to_ids attribute
// of a type trawl reads loads; what is skipped is context (to_ids false) or a
// type no sweep can use (the AV signature names).
TEST(Misp, EsetLazarusEventLoadsEverythingUsable) {
  std::string path = std::string(TRAWL_SHARED_DATA) + "/feeds/eset-3cx/lazarus_3cx.misp.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  Json doc = Json::parse(ss.str());
  // Count what the file holds, independently of the loader.
  std::set<std::string> usable = {"md5", "sha1", "sha256", "url", "domain", "ip-dst", "filename"};
  std::map<std::string, std::set<std::string>> want;  // type -> values, to_ids only
  uint64_t ids_unusable = 0, not_ids = 0;
  auto visit = [&](const Json& a) {
    if (!a["to_ids"].get<bool>()) {
      ++not_ids;
      return;
    }
    std::string t = a["type"];
    if (usable.count(t))
      want[t].insert(a["value"].get<std::string>());
    else
      ++ids_unusable;
  };
  const Json& ev = doc["response"][0]["Event"];
  for (const Json& a : ev["Attribute"]) visit(a);
  for (const Json& o : ev["Object"])
    for (const Json& a : o["Attribute"]) visit(a);
  ASSERT_FALSE(want.empty());

  IndicatorSet set;
  auto st = LoadFile(path, Format::kAuto, set);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->name, path);
  EXPECT_EQ(Skipped(*st, "not to_ids"), not_ids);
  EXPECT_EQ(Skipped(*st, "unsupported type"), ids_unusable);
  EXPECT_EQ(st->problems.size(), ids_unusable) << ProblemsText(*st);
  for (const Problem& p : st->problems)
    EXPECT_NE(p.message.find("unsupported type: 'text: "), std::string::npos);
  uint64_t total = 0;
  for (const auto& [type, values] : want) {
    total += values.size();
    for (const std::string& v : values) {
      bool found = false;
      for (const Indicator& i : set.Materialize())
        if (i.value == v || (type == "url" && i.value.rfind(v, 0) == 0)) found = true;
      EXPECT_TRUE(found) << type << " " << v;
    }
  }
  EXPECT_EQ(Loaded(*st), total);
  // Hashes of file objects carry their file name and the event.
  auto h = set.FindHash(Kind::kSha1, "0ca1723afe261cd85b05c9ef424fc50290dce7df");
  ASSERT_NE(h, nullptr);
  EXPECT_NE(h->description.find("file guiconfigd: SimplexTea for Linux."), std::string::npos);
  EXPECT_NE(h->description.find("MISP event: Linux malware strengthen links"), std::string::npos);
  EXPECT_EQ(h->description.find("mitre-attack-pattern"), std::string::npos);

  // With --all-attributes the context loads too (od.lk, addresses, names).
  IndicatorSet all;
  LoadOptions o;
  o.all_attributes = true;
  auto st2 = LoadFile(path, Format::kAuto, all, o);
  ASSERT_TRUE(st2.ok());
  EXPECT_GT(Loaded(*st2), Loaded(*st));
  Indicator od;
  od.kind = Kind::kDomain;
  bool has_odlk = false;
  for (const Indicator& i : all.Materialize())
    if (i.kind == Kind::kDomain && i.value == "od.lk") has_odlk = i.score == 50;
  EXPECT_TRUE(has_odlk);
}

}  // namespace
}  // namespace trawl::ioc
