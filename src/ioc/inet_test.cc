// The one IP/CIDR grammar (inet.h): the strict indicator form and the
// zero-padded log form differ only where documented.
#include "trawl/ioc/inet.h"

#include <gtest/gtest.h>

namespace trawl::ioc {
namespace {

TEST(Inet, Ipv4Forms) {
  struct Row {
    const char* text;
    bool strict, padded;
  };
  const Row rows[] = {
      {"1.2.3.4", true, true},       {"255.255.255.255", true, true}, {"010.1.2.3", false, true},
      {"0.0.0.0", true, true},       {"256.1.2.3", false, false},     {"1.2.3", false, false},
      {"1.2.3.4.5", false, false},   {"1.2.3.4 ", false, false},      {"1..2.3", false, false},
      {"0001.2.3.4", false, false},  {"a.b.c.d", false, false},       {"", false, false},
      {"18.12.416.0", false, false},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(ParseIpv4(r.text, Ipv4Form::kStrict).has_value(), r.strict) << r.text;
    EXPECT_EQ(ParseIpv4(r.text, Ipv4Form::kZeroPadded).has_value(), r.padded) << r.text;
  }
  EXPECT_EQ(FormatIp(*ParseIpv4("010.001.002.003", Ipv4Form::kZeroPadded)), "10.1.2.3");
}

TEST(Inet, Ipv6AndDecorations) {
  EXPECT_EQ(FormatIp(*ParseIpv6("2001:DB8:0:0:0:0:0:1", false)), "2001:db8::1");
  EXPECT_FALSE(ParseIpv6("[2001:db8::1]", false));
  EXPECT_FALSE(ParseIpv6("fe80::1%eth0", false));
  EXPECT_TRUE(ParseIpv6("[2001:db8::1]", true));
  EXPECT_EQ(FormatIp(*ParseIpv6("fe80::1%eth0", true)), "fe80::1");
  Ip v4;
  EXPECT_TRUE(MappedV4(*ParseIpv6("::ffff:192.0.2.1", false), v4));
  EXPECT_EQ(FormatIp(v4), "192.0.2.1");
}

TEST(Inet, CidrsAndBroadRanges) {
  EXPECT_EQ(FormatCidr(*ParseCidr("10.1.2.3/8", Ipv4Form::kStrict, false)), "10.0.0.0/8");
  EXPECT_EQ(FormatCidr(*ParseCidr("2001:db8::1/32", Ipv4Form::kStrict, false)), "2001:db8::/32");
  EXPECT_FALSE(ParseCidr("10.0.0.0", Ipv4Form::kStrict, false));
  EXPECT_EQ(ParseCidr("10.0.0.1", Ipv4Form::kStrict, true)->prefix, 32);
  EXPECT_FALSE(ParseCidr("10.0.0.0/33", Ipv4Form::kStrict, false));
  EXPECT_FALSE(ParseCidr("10.0.0.0/", Ipv4Form::kStrict, false));
  EXPECT_FALSE(ParseCidr("10.0.0.0/0008", Ipv4Form::kStrict, false));
  EXPECT_FALSE(ParseCidr("::/129", Ipv4Form::kStrict, false));
  auto broad = [](const char* t) { return IsBroadRange(*ParseCidr(t, Ipv4Form::kStrict, false)); };
  EXPECT_TRUE(broad("0.0.0.0/0"));
  EXPECT_TRUE(broad("::/0"));
  EXPECT_TRUE(broad("10.0.0.0/7"));
  EXPECT_FALSE(broad("10.0.0.0/8"));
  EXPECT_TRUE(broad("2000::/3"));
  EXPECT_FALSE(broad("2001:db8::/16"));
  Cidr c = *ParseCidr("192.0.2.0/24", Ipv4Form::kStrict, false);
  EXPECT_TRUE(InCidr(*ParseIpv4("192.0.2.200", Ipv4Form::kStrict), c));
  EXPECT_FALSE(InCidr(*ParseIpv4("192.0.3.1", Ipv4Form::kStrict), c));
}

TEST(Inet, BracketDotsAreOneTable) {
  for (const DefangForm& f : kBracketDots) {
    std::string t = std::string("a") + std::string(f.from) + "b";
    EXPECT_EQ(BracketDotAt(t, 1), f.from.size()) << f.from;
    EXPECT_EQ(BracketDotBefore(t, 1 + f.from.size()), f.from.size()) << f.from;
  }
  EXPECT_EQ(BracketDotAt("a[x]b", 1), 0u);
  EXPECT_EQ(BracketDotBefore("a.b", 2), 0u);
}

}  // namespace
}  // namespace trawl::ioc
