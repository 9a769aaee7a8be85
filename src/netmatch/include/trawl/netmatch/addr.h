// Address and host-name text: the exact rules that confirm network-indicator
// candidates, exposed for the matcher, other sweeps, tests and fuzzing.
//
// Everything here works on bytes and never allocates more than its output.
// Nothing here knows about indicators or files.
//
// Host-name text units (what a host name in a log may be made of):
//   - the bytes [A-Za-z0-9-_.]
//   - a percent escape "%XX" whose byte is one of those (e.g. "%2E", "%2d")
//   - a defanged dot: "[.]" "(.)" "{.}" "[dot]" "(dot)" "{dot}" (any case;
//     ioc::kBracketDots, the loaders' own table)
//   - a Windows DNS label length "(N)" (N = 0..63, e.g. "(3)www(6)google(3)com(0)"),
//     read as a dot when a host byte follows it, or when N is 0
// Any other byte (including every byte >= 0x80) bounds a host name, and so
// does a percent escape of any other byte ("%60", "%AA"): its hex digits are
// never read as host bytes, wherever inside the text a token is expanded from.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "trawl/ioc/inet.h"

namespace trawl::netmatch {

// The IP/CIDR grammar is ioc's (trawl/ioc/inet.h), read in its log form:
// the names below are that grammar, not a second copy.
using ioc::Cidr;
using ioc::FormatIp;
using ioc::InCidr;
using ioc::Ip;
using ioc::MappedV4;

// Dotted-quad IPv4: exactly four parts of 1..3 decimal digits, each <= 255
// (zero padding such as "010" is read as decimal, as logs pad it).
inline std::optional<Ip> ParseIpv4(std::string_view text) {
  return ioc::ParseIpv4(text, ioc::Ipv4Form::kZeroPadded);
}
// IPv6 in any textual form inet_pton accepts (compressed, expanded, any case,
// embedded IPv4), plus a "%zone" suffix and surrounding brackets, which are ignored.
inline std::optional<Ip> ParseIpv6(std::string_view text) { return ioc::ParseIpv6(text, true); }
// Either, plus "[v6]:port" and "v4:port" forms.
std::optional<Ip> ParseIp(std::string_view text);
// "a.b.c.d/N" (N 0..32) or "v6/N" (N 0..128). A bare address is a /32 or /128.
inline std::optional<Cidr> ParseCidr(std::string_view text) {
  return ioc::ParseCidr(text, ioc::Ipv4Form::kZeroPadded, true);
}

// A half-open byte range of a text.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t size() const { return end - begin; }
  bool empty() const { return end == begin; }
};

// The maximal run of host-name units around [from, to) (which must itself
// be host units), trimmed of leading and trailing dot units. Empty if none.
Span ExpandHostToken(std::string_view text, std::size_t from, std::size_t to);
// Decodes a run of host units (as ExpandHostToken returns) into a lower-case
// host name: escapes decoded, defanged dots and "(N)" read as '.', leading and
// trailing dots removed. `out` is overwritten.
void NormalizeHostText(std::string_view raw, std::string& out);
// Whether `host` (normalised) is `domain` or a subdomain of it.
bool HostMatchesDomain(std::string_view host, std::string_view domain);

// The maximal run of IPv4 units (digits and dot units) around `pos`.
Span ExpandIpv4Token(std::string_view text, std::size_t pos);
// Reads an IPv4 token: four parts, or five where the last is a port
// (tcpdump's "1.2.3.4.443"). `port_part` tells which form it was.
std::optional<Ip> ParseIpv4Token(std::string_view raw, bool* port_part = nullptr);

// The maximal run of [0-9A-Fa-f:.] around `pos`.
Span ExpandIpv6Token(std::string_view text, std::size_t pos);
// Finds an IPv6 address in such a run: the whole run, or the run without
// leading junk before a ':' (e.g. "c:2001:db8::1" from "src:2001:db8::1"),
// or without a trailing '.' or ':'. `found` receives its span within `raw`.
std::optional<Ip> ParseIpv6Token(std::string_view raw, Span* found = nullptr);

// Decodes a URL path for comparison: "%XX" escapes and JSON's "\/" become bytes.
std::string DecodePath(std::string_view raw);

// Every network name in a line of text, not only indicators (the host
// inventory's contact index): calls fn(kind, value, end) for every host name
// ("domain", lower case, defanged forms refanged), IPv4 / IPv6 address
// ("ipv4", "ipv6", canonical text; "::ffff:a.b.c.d" as IPv4) and URL ("url",
// from its scheme to the next blank or quote, at most 2 KiB, as written).
// `end` is the offset in `line` just past the text it was read from. A host
// name is a run of host units with at least two labels whose last label is
// alphabetic (so "libc.so.6" and "1.2" are not); a URL path component
// ("/a/x.bin") is not a host. `value` is valid only during the call.
using HostFn = void (*)(void* user, std::string_view kind, std::string_view value, std::size_t end);
void ExtractHosts(std::string_view line, HostFn fn, void* user);
template <class F>
void ExtractHosts(std::string_view line, F&& fn) {
  using Fn = std::remove_reference_t<F>;
  ExtractHosts(
      line,
      [](void* u, std::string_view kind, std::string_view value, std::size_t end) {
        (*static_cast<Fn*>(u))(kind, value, end);
      },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

}  // namespace trawl::netmatch
