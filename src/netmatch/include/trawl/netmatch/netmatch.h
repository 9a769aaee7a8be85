// Network-indicator matching over bytes: the one set of rules every sweep
// (logs, event logs, journal, browser history, hosts files, connections) uses
// to decide whether text mentions a C2 domain, IP, URL or keyword.
//
// What matches (all of it confirmed by exact rules; see addr.h for host text):
//  - domain D matches host H when H is D or ends in "." + D, case-insensitively;
//    a trailing root dot is allowed. In text a host name is the maximal run of
//    host units (addr.h): "notakamaicontainer.com", "akamaicontainer.community"
//    and "akamaicontainer.com.example.net" do not match akamaicontainer.com;
//    "sub.AKAMAICONTAINER.com.", "akamaicontainer[.]com", "akamaicontainer(.)com",
//    "akamaicontainer[dot]com", "akamaicontainer%2Ecom", "url=https%3A%2F%2Fakamaicontainer.com"
//    and Windows DNS debug "(15)akamaicontainer(3)com(0)" do.
//    Bytes >= 0x80 bound a host name (IDNs appear in logs as xn-- labels).
//  - URL indicator: a host matching its host as above, followed (after an
//    optional ":port") by a path that starts with the indicator's path. The
//    scheme is ignored (http, https, hxxp, none). Paths compare byte for byte,
//    case-sensitively, after decoding %XX escapes and JSON's "\/" on both
//    sides; a plain prefix, so "/a/b" also matches "/a/bc". An indicator with
//    no path (or "/") matches its host anywhere, like a domain. GitHub: an
//    indicator github.com/OWNER/REPO[/...] also matches raw.githubusercontent.com/OWNER/REPO/...,
//    and for github.com and raw.githubusercontent.com the path compares
//    case-insensitively (GitHub owner and repository names are).
//  - IPv4: a run of digits and dot units (defanged dots too) with exactly four
//    parts of 1..3 digits, or five where the fifth is a port (tcpdump's
//    "1.2.3.4.443"); so 1.2.3.4 matches "1.2.3.4:443" and "[1.2.3.4]", not
//    "11.2.3.4", "1.2.3.45" or "1.2.3.4.5.6". A reverse-DNS name
//    "4.3.2.1.in-addr.arpa" is read as 1.2.3.4 (the lookup of that address).
//  - IPv6: any textual form (compressed, expanded, any case, bracketed with a
//    port, with a %zone) matches the indicator's address; ::ffff:a.b.c.d is
//    also checked as a.b.c.d.
//  - CIDR (v4, v6): every address in range, in the forms above.
//  - keyword: the literal bytes, case-sensitive, anywhere.
//
// Engine: one Vectorscan block-mode database holds a prefilter for every
// indicator: each domain's and URL host's longest non-TLD label as a caseless
// literal, percent escapes of host bytes (so an escaped label is not missed),
// each IPv4 address with every dot form and zero padding (forward and as an
// in-addr.arpa name), CIDR prefixes with their fixed octets, each IPv6
// address's longest non-zero group, and keywords as literals. A candidate is
// confirmed (or dropped) by the rules above, so the prefilter can only cost
// time, never a miss.
//
// Large sets (a feed of a million indicators): Vectorscan's compile time grows
// faster than linearly in its pattern count, so per-indicator prefilters are
// used only while they are few (10,000 distinct labels, 256 IPv4 addresses and
// 256 IPv4 ranges, 1,000 IPv6 groups). Past that, labels are found by one pass
// over the text's runs of label bytes against a Bloom filter of the labels,
// and addresses by shared shapes (every dotted quad, every v6-looking run),
// each candidate confirmed by lookup as above: the same hits, a database of a
// few patterns, build time and memory linear in the set.
//
// What it does not do: read files, know line numbers, or decode anything
// beyond what is listed (no base64, no punycode, no double percent-encoding).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/ioc/indicator.h"

namespace trawl::netmatch {

struct Hit {
  const ioc::Indicator* indicator = nullptr;
  std::size_t offset = 0;  // of the matched text in the scanned buffer
  std::size_t length = 0;
  // The text as it appeared, e.g. "sub.akamaicontainer[.]com", "[2001:DB8::1]"'s
  // address part, or a whole URL from its scheme to its end (up to 2 KiB).
  std::string matched;
};

// Immutable after Build; share it const between threads, one Scratch per thread.
// REQUIRES: the IndicatorSet given to Build outlives the matcher (hits point into it).
class NetMatcher {
 public:
  // Per-thread scan state. REQUIRES: used only with the matcher that made it,
  // by one thread at a time.
  class Scratch {
   public:
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

   private:
    friend class NetMatcher;
    struct State;
    Scratch();
    std::unique_ptr<State> s_;
  };

  NetMatcher(NetMatcher&&) noexcept;
  NetMatcher& operator=(NetMatcher&&) noexcept;
  ~NetMatcher();

  // Uses the domain, ipv4, ipv6, cidr, url and keyword indicators of `set`.
  // An indicator it cannot use (unparsable IP or CIDR, empty keyword, a domain
  // with bytes no host name has) is listed in problems(), never dropped silently.
  // Error only if the database cannot be compiled.
  static Result<NetMatcher> Build(const ioc::IndicatorSet& set);

  // Error only if Vectorscan cannot allocate scratch space.
  Result<std::unique_ptr<Scratch>> MakeScratch() const;

  // Appends every hit in `text` to `hits`, in offset order (ties in indicator
  // order). A mention that matches several indicators (a domain and its
  // parent, a URL and its host) gives one hit per indicator. Tokens never span
  // a line break, so callers may cut buffers at line boundaries.
  // REQUIRES: text.size() < 4 GiB. Error only from the engine.
  Status Scan(std::string_view text, Scratch& scratch, std::vector<Hit>& hits) const;

  // Single values from structured sources (an EVTX field, a browser URL, a
  // socket address). Each returns the first matching indicator, or nullptr.
  // A host name (defanged forms allowed; an IP literal is checked as an IP).
  const ioc::Indicator* MatchHost(std::string_view host) const;
  // "1.2.3.4", "1.2.3.4:443", any IPv6 form, "[v6]:443".
  const ioc::Indicator* MatchIp(std::string_view ip_text) const;
  // A URL: URL indicators first, then its host as MatchHost does.
  const ioc::Indicator* MatchUrl(std::string_view url) const;

  // No network or keyword indicators: Scan never finds anything.
  bool empty() const;
  std::size_t indicator_count() const;  // indicators in use
  std::size_t pattern_count() const;    // prefilter patterns in the database (bounded: see above)
  // Indicators that could not be used, with their source and why.
  const std::vector<ioc::Problem>& problems() const;

 private:
  struct Impl;
  explicit NetMatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trawl::netmatch
