#include <gtest/gtest.h>

#include "trawl/ioc/loader.h"

namespace trawl::ioc {
namespace {

TEST(Refang, Table) {
  struct Row {
    const char* in;
    const char* out;
  };
  const Row rows[] = {
      {"evil[.]com", "evil.com"},
      {"evil(.)com", "evil.com"},
      {"evil{.}com", "evil.com"},
      {"evil[dot]com", "evil.com"},
      {"evil[DOT]com", "evil.com"},
      {"evil(dot)com", "evil.com"},
      {"hxxp://evil[.]com/a", "http://evil.com/a"},
      {"hxxps://evil.com", "https://evil.com"},
      {"HXXPS://evil.com", "https://evil.com"},
      {"hXXp://evil.com", "http://evil.com"},
      {"hxxps[://]evil.com", "https://evil.com"},
      {"https[:]//evil.com", "https://evil.com"},
      {"http[://]evil.com", "http://evil.com"},
      {"fxp://files.evil.com", "ftp://files.evil.com"},
      {"user[@]evil.com", "user@evil.com"},
      {"user[at]evil.com", "user@evil.com"},
      {"10[.]0[.]0[.]1", "10.0.0.1"},
      {"2001:db8[:]1", "2001:db8:1"},
      // Nothing to undo: unchanged, including text that merely contains "hxxp".
      {"evil.com", "evil.com"},
      {"http://[2001:db8::1]/x", "http://[2001:db8::1]/x"},
      {"abchxxp://x", "abchxxp://x"},
      {"hxxpfoo.com", "hxxpfoo.com"},
      {"[", "["},
      {"", ""},
  };
  for (const Row& r : rows) EXPECT_EQ(Refang(r.in), r.out) << r.in;
}

TEST(DetectKind, Accepts) {
  struct Row {
    const char* in;
    Kind kind;
    const char* value;
  };
  const Row rows[] = {
      {"D41D8CD98F00B204E9800998ECF8427F", Kind::kMd5, "d41d8cd98f00b204e9800998ecf8427f"},
      {"20d554a80d759c50d6537dd7097fed84dd258b3e", Kind::kSha1,
       "20d554a80d759c50d6537dd7097fed84dd258b3e"},
      {"59e1edf4d82fae4978e97512b0331b7eb21dd4b838b850ba46794d9c7a2c0983", Kind::kSha256,
       "59e1edf4d82fae4978e97512b0331b7eb21dd4b838b850ba46794d9c7a2c0983"},
      {"  1.2.3.4  ", Kind::kIpv4, "1.2.3.4"},
      {"255.255.255.255", Kind::kIpv4, "255.255.255.255"},
      {"2001:DB8:0:0:0:0:0:1", Kind::kIpv6, "2001:db8::1"},
      {"2001:db8:0:1:1:1:1:1", Kind::kIpv6, "2001:db8:0:1:1:1:1:1"},  // single 0 not compressed
      {"[::1]", Kind::kIpv6, "::1"},
      {"::ffff:1.2.3.4", Kind::kIpv6, "::ffff:1.2.3.4"},
      {"10.1.2.3/8", Kind::kCidr, "10.0.0.0/8"},
      {"192.168.0.0/16", Kind::kCidr, "192.168.0.0/16"},
      {"2001:DB8::/32", Kind::kCidr, "2001:db8::/32"},
      {"2001:db8::ff/120", Kind::kCidr, "2001:db8::/120"},
      {"Evil.COM", Kind::kDomain, "evil.com"},
      {"evil.com.", Kind::kDomain, "evil.com"},
      {"www.journalide.org", Kind::kDomain, "www.journalide.org"},
      {"sbmsa.wiki", Kind::kDomain, "sbmsa.wiki"},
      {"a_b.example.xn--p1ai", Kind::kDomain, "a_b.example.xn--p1ai"},
      {"HTTPS://GitHub.com/IconStorages/images", Kind::kUrl,
       "https://github.com/IconStorages/images"},
      {"https://journalide.org/djour.php", Kind::kUrl, "https://journalide.org/djour.php"},
      {"tcp://23.254.211.230", Kind::kUrl, "tcp://23.254.211.230"},
      {"http://evil.com:8080/a?b=1;c=2#f", Kind::kUrl, "http://evil.com:8080/a?b=1;c=2#f"},
      {"http://[2001:DB8::1]:443/x", Kind::kUrl, "http://[2001:db8::1]:443/x"},
      {"http://user@evil.com/", Kind::kUrl, "http://user@evil.com/"},
  };
  for (const Row& r : rows) {
    Indicator ind;
    ASSERT_TRUE(DetectKind(r.in, ind)) << r.in;
    EXPECT_EQ(ind.kind, r.kind) << r.in;
    EXPECT_EQ(ind.value, r.value) << r.in;
  }
}

TEST(DetectKind, RejectsNearMisses) {
  const char* rows[] = {
      "",
      "   ",
      "d41d8cd98f00b204e9800998ecf8427",    // 31 hex digits
      "d41d8cd98f00b204e9800998ecf8427ff",  // 33
      "1.2.3.256",
      "1.2.3",
      "01.2.3.4",  // leading zero: ambiguous (octal in some parsers)
      "1.2.3.4:80",
      "foo",
      "localhost",
      "evil.c0m",
      "evil.c",
      "-evil.com",
      "evil-.com",
      "ev il.com",
      "evil..com",
      "*.evil.com",
      "http://",
      "http:///path",
      "://evil.com",
      "1http://evil.com",
      "http://evil.com:99999/",
      "http://evil.com:8a/",
      "http://[::1/",
      "http://foo/",
      "http://evil.com/a b",
      "10.0.0.0/33",
      "10.0.0.0/",
      "2001:db8::/129",
      "10.0.0.0/8/8",
      "2001:db8:::1",
      "fe80::1%eth0",
      "caf\xc3\xa9.com",  // IDN must be punycode
      "evil.com\x01",
  };
  for (const char* r : rows) {
    Indicator ind;
    EXPECT_FALSE(DetectKind(r, ind)) << r;
  }
}

}  // namespace
}  // namespace trawl::ioc
