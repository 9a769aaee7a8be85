// The built-in 3CX pack: loads cleanly and holds what the public reporting lists.
#include <filesystem>
#include <fstream>
#include <set>

#include "test_util.h"
#include "trawl/core/text.h"
#include "trawl/ioc/loader.h"
#include "trawl/ioc/psl.h"

namespace trawl::ioc {
namespace {

using testing::ProblemsText;

bool HasValue(const IndicatorSet& set, Kind kind, const std::string& value) {
  for (const Indicator* i : set.OfKind(kind))
    if (i->value == value) return true;
  return false;
}

class Builtin3cx : public ::testing::Test {
 protected:
  void SetUp() override { stats_ = LoadBuiltin3cx(set_); }
  IndicatorSet set_;
  LoadStats stats_;
};

TEST_F(Builtin3cx, LoadsWithoutProblemsOrDuplicates) {
  EXPECT_TRUE(stats_.problems.empty()) << ProblemsText(stats_);
  EXPECT_TRUE(stats_.skipped.empty());
  EXPECT_EQ(stats_.name, "builtin:3cx");
  EXPECT_FALSE(stats_.version.empty());
  ASSERT_EQ(set_.stats().size(), 1u);
  EXPECT_EQ(set_.stats()[0].name, "builtin:3cx");
  for (const Indicator& i : set_.Materialize()) {
    EXPECT_EQ(i.source, "builtin:3cx") << i.value;
    EXPECT_FALSE(i.description.empty()) << i.value;
    // Every entry names where it was published.
    EXPECT_TRUE(i.description.find("https://") != std::string::npos ||
                i.description.find("signature-base") != std::string::npos)
        << i.value << ": " << i.description;
  }
  EXPECT_EQ(Builtin3cxFiles().size(), 4u);
}

TEST_F(Builtin3cx, HoldsTheNamedIndicators) {
  for (const char* sha1 :
       {"20d554a80d759c50d6537dd7097fed84dd258b3e", "bf939c9c261d27ee7bb92325cc588624fca75429",
        "cad1120d91b812acafef7175f949dd1b09c6c21a"})
    EXPECT_NE(set_.FindHash(Kind::kSha1, sha1), nullptr) << sha1;
  const char* domains[] = {"akamaicontainer.com",    "akamaitechcloudservices.com",
                           "azuredeploystore.com",   "azureonlinecloud.com",
                           "azureonlinestorage.com", "dunamistrd.com",
                           "glcloudservice.com",     "journalide.org",
                           "msedgepackageinfo.com",  "msstorageazure.com",
                           "msstorageboxes.com",     "officeaddons.com",
                           "officestoragebox.com",   "pbxcloudeservices.com",
                           "pbxphonenetwork.com",    "pbxsources.com",
                           "qwepoi123098.com",       "sbmsa.wiki",
                           "sourceslabs.com",        "visualstudiofactory.com",
                           "zacharryblogs.com"};
  EXPECT_EQ(std::size(domains), 21u);
  for (const char* d : domains) EXPECT_TRUE(HasValue(set_, Kind::kDomain, d)) << d;
  EXPECT_TRUE(HasValue(set_, Kind::kUrl, "https://github.com/IconStorages/images"));
  EXPECT_TRUE(HasValue(set_, Kind::kUrl, "https://journalide.org/djour.php"));
  EXPECT_TRUE(HasValue(set_, Kind::kUrl, "https://od.lk/d/NTJfMzg4MDE1NzJf/vxmedia"));
  // od.lk is a public file host: the URL only, never the whole domain or its address.
  EXPECT_FALSE(HasValue(set_, Kind::kDomain, "od.lk"));
  EXPECT_FALSE(HasValue(set_, Kind::kIpv4, "38.108.185.115"));
  // The legitimate 3CX page listed among the decoded URLs must not be an indicator.
  for (const Indicator& i : set_.Materialize()) EXPECT_EQ(i.value.find("3cx.com"), std::string::npos);
}

TEST_F(Builtin3cx, DomainsAreRegistrableDomains) {
  for (const Indicator* d : set_.OfKind(Kind::kDomain))
    EXPECT_EQ(RegistrableDomain(d->value), d->value) << d->value;
}

TEST_F(Builtin3cx, CoversEveryHashAndHostOfTheVolexityCsv) {
  const std::filesystem::path csv =
      std::filesystem::path(TRAWL_SHARED_DATA) / "feeds/volexity-3cx/iocs.csv";
  IndicatorSet feed;
  Result<LoadStats> r = LoadFile(csv, Format::kCsv, feed);
  ASSERT_TRUE(r.ok()) << r.status().message();
  size_t hashes = 0, hosts = 0;
  for (const Indicator& i : feed.Materialize()) {
    if (IsHashKind(i.kind)) {
      ++hashes;
      EXPECT_NE(set_.FindHash(i.kind, i.value), nullptr) << i.value;
    } else if (i.kind == Kind::kDomain) {
      ++hosts;
      // The pack lists the reports' hosts by registrable domain (the PSL's, issue 13).
      std::string registrable = RegistrableDomain(i.value);
      ASSERT_FALSE(registrable.empty()) << i.value;
      EXPECT_TRUE(HasValue(set_, Kind::kDomain, registrable)) << i.value;
    }
  }
  EXPECT_EQ(hashes, 18u);
  EXPECT_GE(hosts, 21u);
}

TEST_F(Builtin3cx, FilenameRegexesHaveGradedScores) {
  int notices = 0, strong = 0;
  bool guiconfigd = false, sysnetd = false, update_agent = false;
  for (const Indicator* f : set_.OfKind(Kind::kFilename)) {
    if (f->score < 60) ++notices;
    if (f->score >= 80) ++strong;
    guiconfigd |= f->value.find("guiconfigd$") != std::string::npos;
    sysnetd |= f->value.find("sysnetd$") != std::string::npos;
    update_agent |= f->value.find("UpdateAgent$") != std::string::npos && f->score >= 80;
    // Bare names are anchored at a path separator and the end.
    if (f->value.find("guiconfigd") != std::string::npos ||
        f->value.find("sysnetd") != std::string::npos) {
      EXPECT_EQ(f->value.rfind("[/\\\\]", 0), 0u) << f->value;
    }
  }
  EXPECT_EQ(notices, 2);  // the DLLs / dylib present in good builds too: verify the hash
  EXPECT_GE(strong, 2);
  EXPECT_TRUE(guiconfigd);
  EXPECT_TRUE(sysnetd);
  EXPECT_TRUE(update_agent);
}

TEST_F(Builtin3cx, HoldsTheAffectedVersions) {
  std::set<std::string> got;
  for (const Indicator* v : set_.OfKind(Kind::kVersion)) {
    EXPECT_EQ(v->product, "3CX Desktop App");
    EXPECT_EQ(v->score, 100);
    got.insert(v->platform + " " + v->value);
  }
  const std::set<std::string> want = {"windows 18.12.407", "windows 18.12.416",
                                      "macos 18.11.1213",  "macos 18.12.402",
                                      "macos 18.12.407",   "macos 18.12.416"};
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace trawl::ioc
