// The one IP address and CIDR grammar of trawl, and the one table of
// defanged forms: indicator loaders (detect.cc, freetext.cc) and the network
// matcher (netmatch/addr.h, which re-exports these names) both call this.
//
// Bytes in, values out; nothing here allocates more than its result or knows
// about files. Two IPv4 forms: indicator files are strict (a dotted quad as
// inet_pton reads it: no zero padding), logs pad octets ("010.001.002.003"),
// so the matcher reads them leniently. Everything else is the same rule.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trawl::ioc {

// An IP address: v4 in bytes[0..3], or v6 in all 16 bytes.
struct Ip {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const Ip&) const = default;
};

enum class Ipv4Form {
  kStrict,      // four parts 0..255 of 1..3 digits, no leading zero ("01" is refused)
  kZeroPadded,  // four parts of 1..3 digits, each <= 255, read as decimal ("010" = 10)
};

// Dotted-quad IPv4, exactly four parts, nothing around it.
std::optional<Ip> ParseIpv4(std::string_view text, Ipv4Form form);
// IPv6 in any textual form inet_pton accepts (compressed, expanded, any case,
// embedded IPv4). With `decorated`, surrounding brackets and a "%zone" suffix
// are accepted and ignored (as logs write them); indicator text has neither.
std::optional<Ip> ParseIpv6(std::string_view text, bool decorated);
// Canonical text: dotted quad, or RFC 5952 (inet_ntop) for v6.
std::string FormatIp(const Ip& ip);
// True for ::ffff:a.b.c.d; `v4` receives a.b.c.d.
bool MappedV4(const Ip& ip, Ip& v4);

struct Cidr {
  Ip net;  // host bits cleared
  int prefix = 0;
};
// "ADDR/N" (N 0..32 for IPv4, 0..128 for IPv6, 1..3 digits). With
// `bare_is_host`, an address without "/N" is a /32 or /128; else it is refused.
std::optional<Cidr> ParseCidr(std::string_view text, Ipv4Form form, bool bare_is_host);
bool InCidr(const Ip& ip, const Cidr& cidr);
// "a.b.c.d/N" or "v6/N", canonical network address.
std::string FormatCidr(const Cidr& cidr);
// A range so wide it names no adversary: IPv4 shorter than /8 (0.0.0.0/0
// included), IPv6 shorter than /16 (::/0, 2000::/3: all of the Internet).
bool IsBroadRange(const Cidr& cidr);

// ---- Defanged forms (refanging) ----
//
// One table: every form the loaders undo, with what it stands for. Matching
// is case-insensitive. "Bracket dots" are the forms a host name may carry
// inside logs too (no blanks, ASCII): the matcher's host units use exactly those.
struct DefangForm {
  std::string_view from;  // lower case
  std::string_view to;
};
// [.] (.) {.} [dot] (dot) {dot} -> "."
inline constexpr DefangForm kBracketDots[] = {
    {"[.]", "."}, {"(.)", "."}, {"{.}", "."}, {"[dot]", "."}, {"(dot)", "."}, {"{dot}", "."},
};
// Everything else that stands for one character or "://" wherever it occurs.
inline constexpr DefangForm kDefangTokens[] = {
    {"[://]", "://"}, {"[:/]", "://"}, {"[:]", ":"},  {"(:)", ":"},  {"[/]", "/"},
    {"[@]", "@"},     {"(@)", "@"},    {"[at]", "@"}, {"(at)", "@"}, {"{at}", "@"},
};
// Defanged URL schemes, read only when "://" follows and no letter or digit precedes.
inline constexpr DefangForm kDefangSchemes[] = {
    {"hxxps", "https"},  {"hxxp", "http"},  {"hxtps", "https"}, {"hxtp", "http"},
    {"hxxxps", "https"}, {"hxxxp", "http"}, {"fxp", "ftp"},
};
// Forms of free text only (never in a host token of a log), undone only
// between host-name characters: " dot " and "\." -> "."; the fullwidth and
// ideographic full stops U+FF0E, U+3002, U+FF61 -> "."; "[.]" etc. above;
// and ":// " (a blank after the scheme separator) -> "://".

// Length of the bracket dot starting at text[pos], or 0.
std::size_t BracketDotAt(std::string_view text, std::size_t pos);
// Length of the bracket dot ending just before text[end], or 0.
std::size_t BracketDotBefore(std::string_view text, std::size_t end);

// Refanged text with, per output byte, whether it came from a defanged form.
struct Refanged {
  std::string text;
  std::string defanged;  // same size as text: 1 where the byte replaced a defanged form
};
// Undoes every form above. `free_text` adds the free-text forms (" dot ",
// "\.", fullwidth stops, ":// "); Refang() (loader.h) is RefangText(s, false).text.
Refanged RefangText(std::string_view s, bool free_text);

}  // namespace trawl::ioc
