// The IP/CIDR grammar and the refang table (inet.h).
#include "trawl/ioc/inet.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace trawl::ioc {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqNoCase(std::string_view s, std::size_t pos, std::string_view lower) {
  if (pos > s.size() || s.size() - pos < lower.size()) return false;
  for (std::size_t i = 0; i < lower.size(); ++i)
    if (Lower(s[pos + i]) != lower[i]) return false;
  return true;
}

// Host-name characters, for the free-text forms that need a name on both sides.
bool IsHostChar(char c) { return IsAlnum(c) || c == '-' || c == '_'; }

}  // namespace

std::optional<Ip> ParseIpv4(std::string_view text, Ipv4Form form) {
  Ip ip;
  std::size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= text.size() || text[i] != '.') return std::nullopt;
      ++i;
    }
    std::size_t start = i;
    int v = 0;
    while (i < text.size() && IsDigit(text[i]) && i - start < 4) v = v * 10 + (text[i++] - '0');
    std::size_t digits = i - start;
    if (digits == 0 || digits > 3 || v > 255) return std::nullopt;
    if (form == Ipv4Form::kStrict && digits > 1 && text[start] == '0') return std::nullopt;
    ip.bytes[part] = static_cast<std::uint8_t>(v);
  }
  if (i != text.size()) return std::nullopt;
  return ip;
}

std::optional<Ip> ParseIpv6(std::string_view text, bool decorated) {
  if (decorated) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
      text = text.substr(1, text.size() - 2);
    if (auto pct = text.find('%'); pct != std::string_view::npos) text = text.substr(0, pct);
  }
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = 0;
  Ip ip;
  ip.v6 = true;
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
  return ip;
}

std::string FormatIp(const Ip& ip) {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes.data(), buf, sizeof buf)) return {};
  return buf;
}

bool MappedV4(const Ip& ip, Ip& v4) {
  if (!ip.v6) return false;
  for (int i = 0; i < 10; ++i)
    if (ip.bytes[i] != 0) return false;
  if (ip.bytes[10] != 0xff || ip.bytes[11] != 0xff) return false;
  v4 = Ip{};
  for (int i = 0; i < 4; ++i) v4.bytes[i] = ip.bytes[12 + i];
  return true;
}

std::optional<Cidr> ParseCidr(std::string_view text, Ipv4Form form, bool bare_is_host) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos && !bare_is_host) return std::nullopt;
  std::string_view addr = text.substr(0, slash);
  std::optional<Ip> ip = ParseIpv4(addr, form);
  if (!ip) ip = ParseIpv6(addr, false);
  if (!ip) return std::nullopt;
  int max = ip->v6 ? 128 : 32;
  int prefix = max;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return std::nullopt;
    prefix = 0;
    for (char c : p) {
      if (!IsDigit(c)) return std::nullopt;
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > max) return std::nullopt;
  }
  Cidr c;
  c.net = *ip;
  c.prefix = prefix;
  for (int i = 0; i < max / 8; ++i) {
    int keep = prefix - i * 8;
    if (keep >= 8) continue;
    c.net.bytes[i] &= keep <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - keep));
  }
  return c;
}

bool InCidr(const Ip& ip, const Cidr& cidr) {
  if (ip.v6 != cidr.net.v6) return false;
  int full = cidr.prefix / 8, rem = cidr.prefix % 8;
  for (int i = 0; i < full; ++i)
    if (ip.bytes[i] != cidr.net.bytes[i]) return false;
  if (rem == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rem));
  return (ip.bytes[full] & mask) == cidr.net.bytes[full];
}

std::string FormatCidr(const Cidr& cidr) {
  return FormatIp(cidr.net) + "/" + std::to_string(cidr.prefix);
}

bool IsBroadRange(const Cidr& cidr) { return cidr.prefix < (cidr.net.v6 ? 16 : 8); }

std::size_t BracketDotAt(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return 0;
  char b = text[pos];
  if (b != '[' && b != '(' && b != '{') return 0;
  for (const DefangForm& f : kBracketDots)
    if (EqNoCase(text, pos, f.from)) return f.from.size();
  return 0;
}

std::size_t BracketDotBefore(std::string_view text, std::size_t end) {
  if (end == 0 || end > text.size()) return 0;
  char b = text[end - 1];
  if (b != ']' && b != ')' && b != '}') return 0;
  for (const DefangForm& f : kBracketDots)
    if (end >= f.from.size() && EqNoCase(text, end - f.from.size(), f.from)) return f.from.size();
  return 0;
}

Refanged RefangText(std::string_view s, bool free_text) {
  // Pass 1: forms that stand for a character wherever they are.
  Refanged a;
  a.text.reserve(s.size());
  a.defanged.reserve(s.size());
  auto emit = [](Refanged& r, std::string_view to, bool d) {
    r.text += to;
    r.defanged.append(to.size(), d ? 1 : 0);
  };
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = 0;
    std::string_view to;
    for (const DefangForm& f : kDefangTokens)
      if (EqNoCase(s, i, f.from)) len = f.from.size(), to = f.to;
    if (len == 0)
      if (std::size_t n = BracketDotAt(s, i)) len = n, to = ".";
    if (len == 0 && free_text) {
      bool before = i > 0 && IsHostChar(s[i - 1]);
      auto host_after = [&](std::size_t p) { return p < s.size() && IsHostChar(s[p]); };
      if (before && EqNoCase(s, i, " dot ") && host_after(i + 5)) {
        len = 5, to = ".";
      } else if (before && s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '.' &&
                 host_after(i + 2)) {
        len = 2, to = ".";
      } else if (before &&
                 (s.compare(i, 3, "\xEF\xBC\x8E") == 0 || s.compare(i, 3, "\xE3\x80\x82") == 0 ||
                  s.compare(i, 3, "\xEF\xBD\xA1") == 0) &&
                 host_after(i + 3)) {
        len = 3, to = ".";
      } else if (s.compare(i, 4, ":// ") == 0 && i > 0 && IsAlnum(s[i - 1])) {
        std::size_t j = i + 3;
        while (j < s.size() && s[j] == ' ') ++j;
        if (host_after(j)) len = j - i, to = "://";
      }
    }
    if (len) {
      emit(a, to, true);
      i += len;
    } else {
      a.text += s[i++];
      a.defanged += '\0';
    }
  }
  // Pass 2: schemes, after pass 1 so that "hxxp[://]" works too.
  Refanged r;
  r.text.reserve(a.text.size());
  r.defanged.reserve(a.text.size());
  const std::string& t = a.text;
  for (std::size_t i = 0; i < t.size();) {
    bool done = false;
    if (i == 0 || !IsAlnum(t[i - 1])) {
      for (const DefangForm& f : kDefangSchemes) {
        if (EqNoCase(t, i, f.from) && t.compare(i + f.from.size(), 3, "://") == 0) {
          emit(r, f.to, true);
          i += f.from.size();
          done = true;
          break;
        }
      }
    }
    if (!done) {
      r.text += t[i];
      r.defanged += a.defanged[i];
      ++i;
    }
  }
  return r;
}

}  // namespace trawl::ioc
