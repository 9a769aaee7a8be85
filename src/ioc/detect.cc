// Refanging, kind detection and small text helpers for the loaders.
#include <cstring>
#include <optional>

#include "internal.h"
#include "trawl/core/text.h"
#include "trawl/ioc/inet.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!IsDigit(c)) return false;
  return true;
}

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

}  // namespace

// Lower-cased host name without the root dot, or empty if not a domain.
std::string internal::NormaliseDomain(std::string_view v) {
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

namespace {
using internal::NormaliseDomain;

bool DetectCidr(std::string_view v, Indicator& out) {
  if (v.find('/') == std::string_view::npos) return false;
  std::optional<Cidr> c = ParseCidr(v, Ipv4Form::kStrict, false);
  if (!c) return false;
  out.value = FormatCidr(*c);
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
    std::optional<Ip> a6 = ParseIpv6(host, false);
    if (!a6) return false;
    host_text = "[" + FormatIp(*a6) + "]";
  } else {
    if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      host = authority.substr(0, colon);
      if (!AllDigits(port)) return false;
    }
    if (std::optional<Ip> a4 = ParseIpv4(host, Ipv4Form::kStrict)) {
      host_text = FormatIp(*a4);
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

std::string Refang(std::string_view s) { return RefangText(s, false).text; }

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
  if (v.find('/') != std::string_view::npos) {
    if (DetectCidr(v, out)) return true;
    // HOST/PATH without a scheme, as advisories write "github.com/OWNER/REPO":
    // the same URL indicator as "https://HOST/PATH" (matching ignores the scheme).
    size_t slash = v.find('/');
    if (slash == 0 || NormaliseDomain(v.substr(0, slash)).empty()) return false;
    return DetectUrl("https://" + std::string(v), out);
  }
  if (std::optional<Ip> a4 = ParseIpv4(v, Ipv4Form::kStrict)) {
    out.kind = Kind::kIpv4;
    out.value = FormatIp(*a4);
    return true;
  }
  if (v.find(':') != std::string_view::npos) {
    std::string_view h = v;
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    std::optional<Ip> a6 = ParseIpv6(h, false);
    if (!a6) return false;
    out.kind = Kind::kIpv6;
    out.value = FormatIp(*a6);
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
