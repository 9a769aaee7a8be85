#include "trawl/netmatch/addr.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace trawl::netmatch {
namespace {

TEST(Addr, ParseIpv4) {
  struct Case {
    const char* in;
    const char* want;  // canonical, or nullptr
  } cases[] = {
      {"1.2.3.4", "1.2.3.4"},
      {"255.255.255.255", "255.255.255.255"},
      {"010.000.001.002", "10.0.1.2"},
      {"256.1.1.1", nullptr},
      {"1.2.3", nullptr},
      {"1.2.3.4.5", nullptr},
      {"1..2.3", nullptr},
      {"0001.2.3.4", nullptr},
      {"1.2.3.4 ", nullptr},
      {"", nullptr},
  };
  for (const auto& c : cases) {
    auto ip = ParseIpv4(c.in);
    if (!c.want) {
      EXPECT_FALSE(ip) << c.in;
    } else {
      ASSERT_TRUE(ip) << c.in;
      EXPECT_EQ(FormatIp(*ip), c.want) << c.in;
    }
  }
}

TEST(Addr, ParseIpForms) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"2001:db8::1", "2001:db8::1"},
      {"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"[2001:db8::1]", "2001:db8::1"},
      {"[2001:db8::1]:443", "2001:db8::1"},
      {"fe80::1%eth0", "fe80::1"},
      {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
      {"1.2.3.4:443", "1.2.3.4"},
      {" 1.2.3.4 ", "1.2.3.4"},
      {"[2001:db8::1]x", nullptr},
      {"2001:db8:::1", nullptr},
      {"12:34:56", nullptr},
      {"host:443", nullptr},
  };
  for (const auto& c : cases) {
    auto ip = ParseIp(c.in);
    if (!c.want) {
      EXPECT_FALSE(ip) << c.in;
    } else {
      ASSERT_TRUE(ip) << c.in;
      EXPECT_EQ(FormatIp(*ip), c.want) << c.in;
    }
  }
  Ip v4;
  ASSERT_TRUE(MappedV4(*ParseIp("::ffff:1.2.3.4"), v4));
  EXPECT_EQ(FormatIp(v4), "1.2.3.4");
  EXPECT_FALSE(MappedV4(*ParseIp("2001:db8::1"), v4));
}

TEST(Addr, Cidr) {
  struct Case {
    const char* cidr;
    const char* ip;
    bool in;
  } cases[] = {
      {"10.0.0.0/8", "10.255.1.2", true},
      {"10.0.0.0/8", "11.0.0.0", false},
      {"10.1.2.3/8", "10.9.9.9", true},
      {"192.168.4.0/22", "192.168.7.255", true},
      {"192.168.4.0/22", "192.168.8.0", false},
      {"0.0.0.0/0", "8.8.8.8", true},
      {"1.2.3.4", "1.2.3.4", true},
      {"1.2.3.4/32", "1.2.3.5", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"2001:db8::/32", "10.0.0.1", false},
      {"10.0.0.0/8", "::ffff:10.0.0.1", false},
      {"2001:db8:ff00::/40", "2001:db8:ffab::", true},
  };
  for (const auto& c : cases) {
    auto cidr = ParseCidr(c.cidr);
    ASSERT_TRUE(cidr) << c.cidr;
    auto ip = ParseIp(c.ip);
    ASSERT_TRUE(ip) << c.ip;
    EXPECT_EQ(InCidr(*ip, *cidr), c.in) << c.cidr << " " << c.ip;
  }
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "x/8", "2001:db8::/129", "1.2.3.4/8x"})
    EXPECT_FALSE(ParseCidr(bad)) << bad;
}

TEST(Addr, HostTokens) {
  struct Case {
    std::string text;
    std::string at;    // a substring of text inside the token
    std::string raw;   // the token as found
    std::string norm;  // normalised host
  } cases[] = {
      {"GET http://sub.Example.com/x", "Example", "sub.Example.com", "sub.example.com"},
      {"q=example[.]com;", "example", "example[.]com", "example.com"},
      {"q=example(.)com(dot)net x", "example", "example(.)com(dot)net", "example.com.net"},
      {"u=https%3A%2F%2Fexample%2Ecom%2Fp", "example", "example%2Ecom", "example.com"},
      {"(3)www(7)example(3)com(0) A", "example", "www(7)example(3)com", "www.example.com"},
      {"to example.com(443) ok", "example", "example.com", "example.com"},
      {"host example.com. done", "example", "example.com", "example.com"},
      {"cookie .example.com;", "example", "example.com", "example.com"},
      {"\xc3\xa9"
       "example.com\xc3\xa9",
       "example", "example.com", "example.com"},
      {"_dmarc.example.com", "example", "_dmarc.example.com", "_dmarc.example.com"},
      {"user@example.com>", "example", "example.com", "example.com"},
  };
  for (const auto& c : cases) {
    std::size_t at = c.text.find(c.at);
    ASSERT_NE(at, std::string::npos);
    Span s = ExpandHostToken(c.text, at, at + c.at.size());
    EXPECT_EQ(c.text.substr(s.begin, s.size()), c.raw) << c.text;
    std::string norm;
    NormalizeHostText(c.text.substr(s.begin, s.size()), norm);
    EXPECT_EQ(norm, c.norm) << c.text;
  }
}

// A prefilter hit may start on the hex digits of a percent escape; the token
// must not depend on where inside it the hit started (netmatch_fuzz found the
// small and large engines disagreeing on "%AAa.b"): an escape of a byte no
// host has bounds the token, an escape of a host byte is part of it.
TEST(Addr, HostTokenDoesNotDependOnWhereTheHitStarts) {
  auto span = [](std::string_view t, std::size_t from, std::size_t to) {
    Span s = ExpandHostToken(t, from, to);
    return std::string(t.substr(s.begin, s.size()));
  };
  const std::string_view a = "%AAa.b";
  EXPECT_EQ(span(a, 1, 2), "a.b");
  EXPECT_EQ(span(a, 2, 3), "a.b");
  EXPECT_EQ(span(a, 3, 4), "a.b");
  const std::string_view b = "x %61foo.com y";
  EXPECT_EQ(span(b, 3, 4), "%61foo.com");  // on the escape's digits
  EXPECT_EQ(span(b, 5, 8), "%61foo.com");  // on "foo"
  std::string norm;
  NormalizeHostText(span(b, 3, 4), norm);
  EXPECT_EQ(norm, "afoo.com");
}

TEST(Addr, HostMatchesDomain) {
  EXPECT_TRUE(HostMatchesDomain("example.com", "example.com"));
  EXPECT_TRUE(HostMatchesDomain("a.b.example.com", "example.com"));
  EXPECT_FALSE(HostMatchesDomain("notexample.com", "example.com"));
  EXPECT_FALSE(HostMatchesDomain("example.com.net", "example.com"));
  EXPECT_FALSE(HostMatchesDomain("com", "example.com"));
}

TEST(Addr, Ipv4Tokens) {
  struct Case {
    std::string text;
    const char* want;  // nullptr: no address
    bool port;
  } cases[] = {
      {"1.2.3.4:443", "1.2.3.4", false}, {"x 11.2.3.4 y", "11.2.3.4", false},
      {"1.2.3.45", "1.2.3.45", false},   {"1[.]2[.]3[.]4", "1.2.3.4", false},
      {"1.2.3.4.", "1.2.3.4", false},    {"1.2.3.4.443 >", "1.2.3.4", true},
      {"1.2.3.4.5.6", nullptr, false},   {"1.2.3.4.70000", nullptr, false},
      {"10.0.19041.1", nullptr, false},  {"1320279554.496300", nullptr, false},
      {"1%2e2%2E3.4", "1.2.3.4", false},
  };
  for (const auto& c : cases) {
    std::size_t pos = c.text.find_first_of("0123456789");
    Span s = ExpandIpv4Token(c.text, pos);
    bool port = false;
    auto ip = ParseIpv4Token(std::string_view(c.text).substr(s.begin, s.size()), &port);
    if (!c.want) {
      EXPECT_FALSE(ip) << c.text;
    } else {
      ASSERT_TRUE(ip) << c.text;
      EXPECT_EQ(FormatIp(*ip), c.want) << c.text;
      EXPECT_EQ(port, c.port) << c.text;
    }
  }
}

TEST(Addr, Ipv6Tokens) {
  struct Case {
    std::string text;
    const char* want;
  } cases[] = {
      {"[2001:DB8::1]:443", "2001:db8::1"}, {"src:2001:db8::1 dst", "2001:db8::1"},
      {"addr 2001:db8::1.", "2001:db8::1"}, {"2001:db8::1: closed", "2001:db8::1"},
      {"2001:db8::1a", "2001:db8::1a"},     {"Mar 30 12:34:56 host", nullptr},
      {"00:17:f2:d7:cf:65", nullptr},
  };
  for (const auto& c : cases) {
    std::size_t pos = c.text.find(':');
    Span s = ExpandIpv6Token(c.text, pos);
    auto ip = ParseIpv6Token(std::string_view(c.text).substr(s.begin, s.size()));
    if (!c.want) {
      EXPECT_FALSE(ip) << c.text;
    } else {
      ASSERT_TRUE(ip) << c.text;
      EXPECT_EQ(FormatIp(*ip), c.want) << c.text;
    }
  }
}

TEST(Addr, DecodePath) {
  EXPECT_EQ(DecodePath("%2FIconStorages%2Fimages"), "/IconStorages/images");
  EXPECT_EQ(DecodePath("\\/a\\/b%zz"), "/a/b%zz");
}

TEST(Addr, HostileNestingDoesNotRecurse) {
  std::string s;
  for (int i = 0; i < 200000; ++i) s += "(1)";
  s += "example";
  std::size_t at = s.find("example");
  Span sp = ExpandHostToken(s, at, at + 7);
  EXPECT_EQ(sp.end, s.size());
}

TEST(ExtractHosts, FindsNamesAddressesAndUrls) {
  std::set<std::string> got;
  ExtractHosts(
      "Mar 30 10:00:01 h x: GET https://Evil.Example.com/a/x.bin?q from 10.0.0.5 and "
      "[2001:db8::1]:443 via badhost[.]net; libc.so.6 1.2 v1.2.3 12:34:56 ::ffff:192.0.2.7",
      [&](std::string_view k, std::string_view v, std::size_t) {
        got.insert(std::string(k) + " " + std::string(v));
      });
  EXPECT_TRUE(got.count("url https://Evil.Example.com/a/x.bin?q"));
  EXPECT_TRUE(got.count("domain evil.example.com"));
  EXPECT_TRUE(got.count("ipv4 10.0.0.5"));
  EXPECT_TRUE(got.count("ipv6 2001:db8::1"));
  EXPECT_TRUE(got.count("domain badhost.net"));
  EXPECT_TRUE(got.count("ipv4 192.0.2.7"));
  for (const std::string& g : got) {
    EXPECT_EQ(g.find("libc"), std::string::npos) << g;
    EXPECT_NE(g, "domain x.bin");  // "/a/x.bin" is a path, not a host
    EXPECT_NE(g, "ipv4 1.2");
    EXPECT_EQ(g.find("12:34"), std::string::npos) << g;
  }
}

}  // namespace
}  // namespace trawl::netmatch
