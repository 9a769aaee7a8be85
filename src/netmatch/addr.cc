#include "trawl/netmatch/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace trawl::netmatch {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int HexVal(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsHostByte(char c) { return IsAlpha(c) || IsDigit(c) || c == '-' || c == '_' || c == '.'; }

// One host-name unit: its length in the text and the byte it stands for.
struct Unit {
  std::size_t len = 0;  // 0: not a unit
  char c = 0;           // lower case; '.' for every dot form
};

// "(N)" starting at p, N = 0..63. Returns its length (3 or 4) and N, or 0.
std::size_t DnsLenAt(std::string_view t, std::size_t p, int* n) {
  if (p >= t.size() || t[p] != '(') return 0;
  std::size_t i = p + 1;
  int v = 0, digits = 0;
  while (i < t.size() && IsDigit(t[i]) && digits < 2) v = v * 10 + (t[i++] - '0'), ++digits;
  if (digits == 0 || i >= t.size() || t[i] != ')' || v > 63) return 0;
  *n = v;
  return i + 1 - p;
}

Unit ForwardUnit(std::string_view t, std::size_t p, bool ipv4_only);

bool HostUnitStarts(std::string_view t, std::size_t p) {
  // Never recurse into another "(N)": a hostile "(1)(1)(1)..." must not nest.
  return p < t.size() && t[p] != '(' && ForwardUnit(t, p, false).len > 0;
}

// The unit starting at t[p].
Unit ForwardUnit(std::string_view t, std::size_t p, bool ipv4_only) {
  if (p >= t.size()) return {};
  char b = t[p];
  if (IsHostByte(b)) {
    if (ipv4_only && !IsDigit(b) && b != '.') return {};
    return {1, Lower(b)};
  }
  if (b == '%') {
    if (p + 2 < t.size() && IsHexDigit(t[p + 1]) && IsHexDigit(t[p + 2])) {
      char d = static_cast<char>(HexVal(t[p + 1]) * 16 + HexVal(t[p + 2]));
      if (!IsHostByte(d) || (ipv4_only && d != '.')) return {};
      return {3, Lower(d)};
    }
    return {};
  }
  if (b == '[' || b == '(' || b == '{') {
    if (std::size_t len = ioc::BracketDotAt(t, p)) return {len, '.'};
    int n = 0;
    if (!ipv4_only) {
      if (std::size_t len = DnsLenAt(t, p, &n)) {
        if (n == 0 || HostUnitStarts(t, p + len)) return {len, '.'};
      }
    }
  }
  return {};
}

// The unit ending just before t[p] (covering [p - len, p)).
Unit BackwardUnit(std::string_view t, std::size_t p, bool ipv4_only) {
  if (p == 0 || p > t.size()) return {};
  if (p >= 3 && t[p - 3] == '%' && IsHexDigit(t[p - 2]) && IsHexDigit(t[p - 1])) {
    char d = static_cast<char>(HexVal(t[p - 2]) * 16 + HexVal(t[p - 1]));
    if (!IsHostByte(d) || (ipv4_only && d != '.')) return {};
    return {3, Lower(d)};
  }
  char b = t[p - 1];
  if (b == ']' || b == ')' || b == '}') {
    if (std::size_t len = ioc::BracketDotBefore(t, p)) return {len, '.'};
    if (!ipv4_only && b == ')') {
      for (std::size_t len : {3u, 4u}) {
        int n = 0;
        // Same rule as forwards: a host byte follows, or N is 0.
        if (p >= len && DnsLenAt(t, p - len, &n) == len && (n == 0 || HostUnitStarts(t, p)))
          return {len, '.'};
      }
    }
    return {};
  }
  if (IsHostByte(b)) {
    if (ipv4_only && !IsDigit(b) && b != '.') return {};
    return {1, Lower(b)};
  }
  return {};
}

Span Expand(std::string_view t, std::size_t from, std::size_t to, bool ipv4_only) {
  // A candidate that starts on the hex digits of a percent escape is read
  // with the escape, so the token does not depend on where inside it a
  // prefilter hit: an escape of a host byte is a unit (the token includes it),
  // any other escape bounds the token (it starts after it).
  for (std::size_t k = 1; k <= 2; ++k) {
    if (from < k || from - k + 2 >= t.size() || t[from - k] != '%') continue;
    std::size_t esc = from - k;
    if (!IsHexDigit(t[esc + 1]) || !IsHexDigit(t[esc + 2])) continue;
    char d = static_cast<char>(HexVal(t[esc + 1]) * 16 + HexVal(t[esc + 2]));
    if (IsHostByte(d) && (!ipv4_only || d == '.')) {
      from = esc;
    } else {
      from = esc + 3;
      if (to < from) to = from;
    }
    break;
  }
  std::size_t b = from, e = to;
  while (true) {
    Unit u = BackwardUnit(t, b, ipv4_only);
    if (u.len == 0) break;
    b -= u.len;
  }
  while (true) {
    Unit u = ForwardUnit(t, e, ipv4_only);
    if (u.len == 0) break;
    e += u.len;
  }
  return {b, e};
}

Span TrimDots(std::string_view t, Span s, bool ipv4_only) {
  while (s.begin < s.end) {
    Unit u = ForwardUnit(t, s.begin, ipv4_only);
    if (u.len == 0 || u.c != '.' || s.begin + u.len > s.end) break;
    s.begin += u.len;
  }
  while (s.end > s.begin) {
    Unit u = BackwardUnit(t, s.end, ipv4_only);
    if (u.len == 0 || u.c != '.' || s.end - u.len < s.begin) break;
    s.end -= u.len;
  }
  return s;
}

}  // namespace

std::optional<Ip> ParseIp(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.size() < 2 || rest[0] != ':') return std::nullopt;
      for (char c : rest.substr(1))
        if (!IsDigit(c)) return std::nullopt;
    }
    return ParseIpv6(text.substr(1, close - 1));
  }
  if (auto ip = ParseIpv4(text)) return ip;
  if (auto ip = ParseIpv6(text)) return ip;
  auto colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    std::string_view port = text.substr(colon + 1);
    if (port.empty()) return std::nullopt;
    for (char c : port)
      if (!IsDigit(c)) return std::nullopt;
    return ParseIpv4(text.substr(0, colon));
  }
  return std::nullopt;
}

Span ExpandHostToken(std::string_view text, std::size_t from, std::size_t to) {
  if (from > to || to > text.size()) return {};
  return TrimDots(text, Expand(text, from, to, false), false);
}

void NormalizeHostText(std::string_view raw, std::string& out) {
  out.clear();
  for (std::size_t p = 0; p < raw.size();) {
    Unit u = ForwardUnit(raw, p, false);
    if (u.len == 0) {
      out += Lower(raw[p]);
      ++p;
    } else {
      out += u.c;
      p += u.len;
    }
  }
  std::size_t b = 0;
  while (b < out.size() && out[b] == '.') ++b;
  std::size_t e = out.size();
  while (e > b && out[e - 1] == '.') --e;
  if (e < out.size()) out.resize(e);
  if (b > 0) out.erase(0, b);
}

bool HostMatchesDomain(std::string_view host, std::string_view domain) {
  if (domain.empty() || host.size() < domain.size()) return false;
  if (host.substr(host.size() - domain.size()) != domain) return false;
  return host.size() == domain.size() || host[host.size() - domain.size() - 1] == '.';
}

Span ExpandIpv4Token(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return {};
  Unit u = ForwardUnit(text, pos, true);
  if (u.len == 0) return {};
  return Expand(text, pos, pos + u.len, true);
}

std::optional<Ip> ParseIpv4Token(std::string_view raw, bool* port_part) {
  Span s = TrimDots(raw, {0, raw.size()}, true);
  int parts[5];
  int digits[5];
  int n = 0;
  long v = 0;
  int d = 0;
  for (std::size_t p = s.begin; p < s.end;) {
    Unit u = ForwardUnit(raw, p, true);
    if (u.len == 0) return std::nullopt;
    p += u.len;
    if (u.c == '.') {
      if (d == 0 || n >= 4) return std::nullopt;
      parts[n] = static_cast<int>(v), digits[n++] = d;
      v = 0, d = 0;
    } else {
      if (++d > 5) return std::nullopt;
      v = v * 10 + (u.c - '0');
    }
  }
  if (d == 0) return std::nullopt;
  parts[n] = static_cast<int>(v), digits[n++] = d;
  if (n != 4 && n != 5) return std::nullopt;
  Ip ip;
  for (int i = 0; i < 4; ++i) {
    if (digits[i] > 3 || parts[i] > 255) return std::nullopt;
    ip.bytes[i] = static_cast<std::uint8_t>(parts[i]);
  }
  if (n == 5 && parts[4] > 65535) return std::nullopt;
  if (port_part) *port_part = n == 5;
  return ip;
}

Span ExpandIpv6Token(std::string_view text, std::size_t pos) {
  auto ok = [](char c) { return IsHexDigit(c) || c == ':' || c == '.'; };
  if (pos >= text.size() || !ok(text[pos])) return {};
  std::size_t b = pos, e = pos + 1;
  while (b > 0 && ok(text[b - 1])) --b;
  while (e < text.size() && ok(text[e])) ++e;
  // A run cut out of a word ("src:2001:db8::1" gives "c:2001:db8::1"): its
  // first group belongs to the word, so the address starts at the first ':'.
  if (b > 0) {
    char w = text[b - 1];
    if (IsAlpha(w) || IsDigit(w) || w == '_') {
      while (b < e && text[b] != ':') ++b;
    }
  }
  return {b, e};
}

std::optional<Ip> ParseIpv6Token(std::string_view raw, Span* found) {
  if (raw.find(':') == std::string_view::npos) return std::nullopt;
  // Candidate starts: 0, after each single ':', and at each "::".
  std::size_t starts[10];
  int ns = 0;
  starts[ns++] = 0;
  for (std::size_t i = 1; i < raw.size() && ns < 10; ++i) {
    if (raw[i - 1] == ':' && raw[i] != ':')
      starts[ns++] = i;
    else if (raw[i] == ':' && i + 1 < raw.size() && raw[i + 1] == ':' && raw[i - 1] != ':')
      starts[ns++] = i;
  }
  for (int k = 0; k < ns; ++k) {
    std::size_t b = starts[k];
    std::size_t ends[2] = {raw.size(), raw.size()};
    int ne = 1;
    char last = raw.back();
    if (last == '.' || (last == ':' && raw.size() >= 2 && raw[raw.size() - 2] != ':'))
      ends[ne++] = raw.size() - 1;
    for (int j = 0; j < ne; ++j) {
      if (ends[j] <= b) continue;
      std::string_view cand = raw.substr(b, ends[j] - b);
      if (cand.size() < 2 || cand.size() > INET6_ADDRSTRLEN) continue;
      if (auto ip = ParseIpv6(cand)) {
        if (found) *found = {b, ends[j]};
        return ip;
      }
    }
  }
  return std::nullopt;
}

std::string DecodePath(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    if (raw[i] == '%' && i + 2 < raw.size() && IsHexDigit(raw[i + 1]) && IsHexDigit(raw[i + 2])) {
      out += static_cast<char>(HexVal(raw[i + 1]) * 16 + HexVal(raw[i + 2]));
      i += 3;
    } else if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == '/') {
      out += '/';
      i += 2;
    } else {
      out += raw[i++];
    }
  }
  return out;
}

// --- every network name in a line (the inventory's contact index) ---------

namespace {

bool UrlEnd(unsigned char c) {
  return c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`' || c >= 0x80;
}
// A byte that may start a host token (the host-unit bytes but '.').
bool HostStart(char c) { return IsAlpha(c) || IsDigit(c) || c == '-' || c == '_'; }

bool LooksLikeDomain(std::string_view h) {
  std::size_t dot = h.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view tld = h.substr(dot + 1);
  if (tld.size() < 2) return false;
  for (char c : tld)
    if (!IsAlpha(c)) return false;
  return h.find("..") == std::string_view::npos;
}

}  // namespace

void ExtractHosts(std::string_view line, HostFn fn, void* user) {
  // URLs: scheme "://" rest.
  for (std::size_t p = line.find("://"); p != std::string_view::npos; p = line.find("://", p + 3)) {
    std::size_t b = p;
    while (b > 0 && IsAlpha(line[b - 1])) --b;
    if (b == p) continue;
    std::size_t e = p + 3;
    while (e < line.size() && !UrlEnd(static_cast<unsigned char>(line[e])) && e - b < 2048) ++e;
    if (e > p + 3) fn(user, "url", line.substr(b, e - b), e);
  }
  std::string host;
  std::size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (IsHexDigit(c) || c == ':') {
      Span s6 = ExpandIpv6Token(line, i);
      std::string_view raw6 = line.substr(s6.begin, s6.size());
      // Two colons at least (cheap test first: most hex runs are words or numbers).
      std::size_t c1 = raw6.find(':');
      if (c1 != std::string_view::npos && raw6.find(':', c1 + 1) != std::string_view::npos) {
        Span found;
        if (auto ip = ParseIpv6Token(raw6, &found)) {
          Ip v4;
          if (MappedV4(*ip, v4))
            fn(user, "ipv4", FormatIp(v4), s6.begin + found.end);
          else
            fn(user, "ipv6", FormatIp(*ip), s6.begin + found.end);
          i = std::max(i + 1, s6.end);
          continue;
        }
      }
    }
    if (!HostStart(c)) {
      ++i;
      continue;
    }
    Span s = ExpandHostToken(line, i, i + 1);
    if (s.empty() || s.end <= i) {
      ++i;
      continue;
    }
    std::string_view raw = line.substr(s.begin, s.size());
    // A path component ("/a/x.bin") is not a host; a URL's or "//host" is.
    if (s.begin > 0 && line[s.begin - 1] == '/' && !(s.begin > 1 && line[s.begin - 2] == '/')) {
      i = std::max(i + 1, s.end);
      continue;
    }
    if (auto ip = ParseIpv4Token(raw)) {
      fn(user, "ipv4", FormatIp(*ip), s.end);
    } else {
      NormalizeHostText(raw, host);
      if (LooksLikeDomain(host)) fn(user, "domain", host, s.end);
    }
    i = s.end;
  }
}

}  // namespace trawl::netmatch
