// Refanging, kind detection and small text helpers for the loaders.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "internal.h"
#include "trawl/core/text.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithNoCase(std::string_view s, size_t pos, std::string_view prefix) {
  if (s.size() - pos < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (Lower(s[pos + i]) != prefix[i]) return false;
  return true;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!IsDigit(c)) return false;
  return true;
}

// Defanged tokens and what they stand for; patterns are lower case and
// matched case-insensitively, longest first where one is a prefix of another.
struct Token {
  std::string_view from;
  std::string_view to;
};
constexpr Token kTokens[] = {
    {"[://]", "://"}, {"[:/]", "://"}, {"[dot]", "."}, {"(dot)", "."}, {"{dot}", "."}, {"[.]", "."},
    {"(.)", "."},     {"{.}", "."},    {"[:]", ":"},   {"(:)", ":"},   {"[/]", "/"},   {"[@]", "@"},
    {"(@)", "@"},     {"[at]", "@"},   {"(at)", "@"},  {"{at}", "@"},
};

// Defanged URL schemes, only when "://" follows.
constexpr Token kSchemes[] = {
    {"hxxps", "https"},  {"hxxp", "http"},  {"hxtps", "https"}, {"hxtp", "http"},
    {"hxxxps", "https"}, {"hxxxp", "http"}, {"fxp", "ftp"},
};

// RFC 1123 host label (plus '_', seen in real malware host names).
bool ValidLabel(std::string_view l) {
  if (l.empty() || l.size() > 63) return false;
  if (l.front() == '-' || l.back() == '-') return false;
  for (char c : l)
    if (!IsAlnum(c) && c != '-' && c != '_') return false;
  return true;
}

bool ValidTld(std::string_view t) {
  if (t.size() > 4 && t.substr(0, 4) == "xn--") {
    if (t.size() > 63) return false;
    for (char c : t.substr(4))
      if (!IsAlnum(c) && c != '-') return false;
    return true;
  }
  if (t.size() < 2 || t.size() > 63) return false;
  for (char c : t)
    if (!IsAlpha(c)) return false;
  return true;
}

// Lower-cased host name without the root dot, or empty if not a domain.
std::string NormaliseDomain(std::string_view v) {
  std::string d = ToLowerAscii(v);
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty() || d.size() > 253) return {};
  auto labels = Split(d, '.');
  if (labels.size() < 2) return {};
  for (size_t i = 0; i + 1 < labels.size(); ++i)
    if (!ValidLabel(labels[i])) return {};
  if (!ValidTld(labels.back())) return {};
  return d;
}

bool ParseIpv4(std::string_view v, in_addr& a) {
  if (v.empty() || v.size() > 15) return false;
  char buf[16];
  std::memcpy(buf, v.data(), v.size());
  buf[v.size()] = 0;
  return inet_pton(AF_INET, buf, &a) == 1;  // glibc: dotted quad only, no leading zeros
}

bool ParseIpv6(std::string_view v, in6_addr& a) {
  if (v.empty() || v.size() > 45) return false;
  char buf[46];
  std::memcpy(buf, v.data(), v.size());
  buf[v.size()] = 0;
  return inet_pton(AF_INET6, buf, &a) == 1;
}

std::string Ipv4Text(const in_addr& a) {
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &a, buf, sizeof buf) ? buf : "";
}

// glibc's inet_ntop follows RFC 5952: lower case, longest zero run compressed
// (never a single field), IPv4-mapped shown dotted.
std::string Ipv6Text(const in6_addr& a) {
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, &a, buf, sizeof buf) ? buf : "";
}

void MaskBytes(unsigned char* b, size_t n, unsigned prefix) {
  for (size_t i = 0; i < n; ++i) {
    unsigned bits = prefix >= 8 * (i + 1) ? 8 : (prefix > 8 * i ? prefix - 8 * i : 0);
    b[i] &= static_cast<unsigned char>(bits == 0 ? 0 : 0xFF << (8 - bits));
  }
}

bool DetectCidr(std::string_view v, Indicator& out) {
  size_t slash = v.find('/');
  if (slash == std::string_view::npos || v.find('/', slash + 1) != std::string_view::npos)
    return false;
  std::string_view addr = v.substr(0, slash), len = v.substr(slash + 1);
  if (!AllDigits(len) || len.size() > 3) return false;
  unsigned prefix = 0;
  for (char c : len) prefix = prefix * 10 + static_cast<unsigned>(c - '0');
  in_addr a4;
  in6_addr a6;
  if (ParseIpv4(addr, a4)) {
    if (prefix > 32) return false;
    MaskBytes(reinterpret_cast<unsigned char*>(&a4), 4, prefix);
    out.value = Ipv4Text(a4) + "/" + std::to_string(prefix);
  } else if (ParseIpv6(addr, a6)) {
    if (prefix > 128) return false;
    MaskBytes(a6.s6_addr, 16, prefix);
    out.value = Ipv6Text(a6) + "/" + std::to_string(prefix);
  } else {
    return false;
  }
  out.kind = Kind::kCidr;
  return true;
}

bool DetectUrl(std::string_view v, Indicator& out) {
  size_t sep = v.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  std::string_view scheme = v.substr(0, sep);
  if (!IsAlpha(scheme[0])) return false;
  for (char c : scheme)
    if (!IsAlnum(c) && c != '+' && c != '-' && c != '.') return false;
  std::string_view rest = v.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  std::string_view userinfo;
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    userinfo = authority.substr(0, at + 1);
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority, port;
  std::string host_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
      if (!AllDigits(port)) return false;
    }
    in6_addr a6;
    if (!ParseIpv6(host, a6)) return false;
    host_text = "[" + Ipv6Text(a6) + "]";
  } else {
    if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      host = authority.substr(0, colon);
      if (!AllDigits(port)) return false;
    }
    in_addr a4;
    if (ParseIpv4(host, a4)) {
      host_text = Ipv4Text(a4);
    } else {
      host_text = NormaliseDomain(host);
      if (host_text.empty()) return false;
    }
  }
  if (!port.empty() && (port.size() > 5 || std::stoul(std::string(port)) > 65535)) return false;
  // Blanks and controls never occur in a URL; bytes >= 0x80 may (IRIs) in the tail.
  for (char c : v)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return false;
  out.kind = Kind::kUrl;
  out.value = ToLowerAscii(scheme) + "://" + std::string(userinfo) + host_text;
  if (!port.empty()) out.value += ":" + std::string(port);
  out.value += tail;
  return true;
}

}  // namespace

std::string Refang(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    bool done = false;
    for (const Token& t : kTokens) {
      if (StartsWithNoCase(s, i, t.from)) {
        out += t.to;
        i += t.from.size();
        done = true;
        break;
      }
    }
    if (!done) out += s[i++];
  }
  // Schemes second, so "hxxp[://]" works too.
  std::string res;
  res.reserve(out.size());
  for (size_t i = 0; i < out.size();) {
    bool done = false;
    if (i == 0 || !IsAlnum(out[i - 1])) {
      for (const Token& t : kSchemes) {
        if (StartsWithNoCase(out, i, t.from) && out.compare(i + t.from.size(), 3, "://") == 0) {
          res += t.to;
          i += t.from.size();
          done = true;
          break;
        }
      }
    }
    if (!done) res += out[i++];
  }
  return res;
}

bool DetectKind(std::string_view value, Indicator& out) {
  std::string_view v = TrimAscii(value);
  if (v.empty()) return false;
  if (IsHex(v) && (v.size() == 32 || v.size() == 40 || v.size() == 64)) {
    out.kind = v.size() == 32 ? Kind::kMd5 : v.size() == 40 ? Kind::kSha1 : Kind::kSha256;
    out.value = ToLowerAscii(v);
    return true;
  }
  if (v.find("://") != std::string_view::npos) return DetectUrl(v, out);
  for (char c : v)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F)
      return false;
  if (v.find('/') != std::string_view::npos) return DetectCidr(v, out);
  in_addr a4;
  if (ParseIpv4(v, a4)) {
    out.kind = Kind::kIpv4;
    out.value = Ipv4Text(a4);
    return true;
  }
  if (v.find(':') != std::string_view::npos) {
    std::string_view h = v;
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    in6_addr a6;
    if (!ParseIpv6(h, a6)) return false;
    out.kind = Kind::kIpv6;
    out.value = Ipv6Text(a6);
    return true;
  }
  std::string d = NormaliseDomain(v);
  if (d.empty()) return false;
  out.kind = Kind::kDomain;
  out.value = std::move(d);
  return true;
}

namespace internal {

std::string_view BadText(std::string_view line) {
  bool control = false;
  for (size_t i = 0; i < line.size();) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == 0) return "NUL byte";
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t') || c == 0x7F) control = true;
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(line, i);
    if (n == 0) return "invalid UTF-8";
    i += n;
  }
  return control ? "control character" : "";
}

bool ParseScore(std::string_view s, int& score) {
  s = TrimAscii(s);
  if (s.empty() || s.size() > 3 || !AllDigits(s)) return false;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  if (v > 100) return false;
  score = v;
  return true;
}

void ForEachLine(std::string_view text, const std::function<void(size_t, std::string_view)>& fn) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(++line_no, line);
  }
}

std::string_view CommentText(std::string_view line) {
  while (!line.empty() && (line.front() == '#' || line.front() == ' ' || line.front() == '\t'))
    line.remove_prefix(1);
  return TrimAscii(line);
}

}  // namespace internal
}  // namespace trawl::ioc
