// Sigma detection -> matchers: value modifiers, wildcards, escapes, null.
// Every choice the specification leaves open follows pySigma (README "Sigma").
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <pcre2.h>

#include <cstring>
#include <functional>

#include "compile.h"
#include "pcre_regex.h"

namespace trawl::sigma::detail {

Pattern ParseSigmaString(std::string_view s) {
  Pattern p;
  p.reserve(s.size());
  bool esc = false;
  for (char ch : s) {
    int c = static_cast<unsigned char>(ch);
    if (esc) {
      if (c == '*' || c == '?' || c == '\\') {
        p.push_back(c);
      } else {
        p.push_back('\\');
        p.push_back(c);
      }
      esc = false;
    } else if (c == '\\') {
      esc = true;
    } else if (c == '*') {
      p.push_back(kStar);
    } else if (c == '?') {
      p.push_back(kOne);
    } else {
      p.push_back(c);
    }
  }
  if (esc) p.push_back('\\');
  return p;
}

bool HasWildcard(const Pattern& p) {
  for (int c : p)
    if (c < 0) return true;
  return false;
}

std::string PatternLiteral(const Pattern& p) {
  std::string s;
  for (int c : p)
    if (c >= 0) s.push_back(static_cast<char>(c));
  return s;
}

namespace {

std::string Base64(std::string_view in) {
  static const char* kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out += kAlpha[(v >> 18) & 63];
    out += kAlpha[(v >> 12) & 63];
    out += kAlpha[(v >> 6) & 63];
    out += kAlpha[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlpha[(v >> 18) & 63];
    out += kAlpha[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlpha[(v >> 18) & 63];
    out += kAlpha[(v >> 12) & 63];
    out += kAlpha[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// UTF-8 -> code points (invalid bytes pass through as Latin-1).
std::vector<std::uint32_t> CodePoints(std::string_view s) {
  std::vector<std::uint32_t> cps;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      cps.push_back(c);
      ++i;
      continue;
    }
    std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    bool ok = true;
    for (int k = 1; k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2) ok = false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (!ok) {
      cps.push_back(c);
      ++i;
      continue;
    }
    cps.push_back(cp);
    i += len;
  }
  return cps;
}

// Encodes each literal run of `p` as UTF-16 (wildcards kept, as pySigma).
Pattern Utf16(const Pattern& p, bool be, bool bom) {
  Pattern out;
  auto unit = [&](std::uint32_t u) {
    if (be) {
      out.push_back(static_cast<int>((u >> 8) & 0xff));
      out.push_back(static_cast<int>(u & 0xff));
    } else {
      out.push_back(static_cast<int>(u & 0xff));
      out.push_back(static_cast<int>((u >> 8) & 0xff));
    }
  };
  if (bom) unit(0xfeff);
  std::string run;
  auto flush = [&] {
    for (std::uint32_t cp : CodePoints(run)) {
      if (cp >= 0x10000) {
        cp -= 0x10000;
        unit(0xd800 + (cp >> 10));
        unit(0xdc00 + (cp & 0x3ff));
      } else {
        unit(cp);
      }
    }
    run.clear();
  };
  for (int c : p) {
    if (c >= 0) {
      run.push_back(static_cast<char>(c));
    } else {
      flush();
      out.push_back(c);
    }
  }
  flush();
  return out;
}

Pattern FromBytes(std::string_view s) {
  Pattern p;
  for (char c : s) p.push_back(static_cast<unsigned char>(c));
  return p;
}

// pySigma's windash: every '-' or '/' that starts a word (non-word before,
// word character after) becomes each of - / en-dash em-dash horizontal-bar.
std::vector<Pattern> Windash(const Pattern& p) {
  auto word = [](int c) {
    return c >= 0 && (std::isalnum(c) || c == '_' || c >= 0x80);
  };
  std::vector<std::size_t> spots;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '-' && p[i] != '/') continue;
    bool before_word = i > 0 && word(p[i - 1]);
    bool after_word = i + 1 < p.size() && word(p[i + 1]);
    if (!before_word && after_word) spots.push_back(i);
  }
  std::vector<Pattern> out{Pattern{}};
  static const char* kDashes[] = {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95"};
  std::size_t next = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (next < spots.size() && spots[next] == i && out.size() <= 625) {
      std::vector<Pattern> grown;
      for (const Pattern& base : out)
        for (const char* d : kDashes) {
          Pattern q = base;
          for (const char* c = d; *c; ++c) q.push_back(static_cast<unsigned char>(*c));
          grown.push_back(std::move(q));
        }
      out = std::move(grown);
      ++next;
    } else {
      for (Pattern& q : out) q.push_back(p[i]);
    }
  }
  return out;
}

bool ParseCidr(std::string_view text, Cidr& out) {
  std::string s(text);
  std::size_t slash = s.find('/');
  std::string addr = s.substr(0, slash);
  out.v6 = addr.find(':') != std::string::npos;
  int max_bits = out.v6 ? 128 : 32;
  out.bits = max_bits;
  if (slash != std::string::npos) {
    std::string b = s.substr(slash + 1);
    if (b.empty() || b.size() > 3) return false;
    for (char c : b)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out.bits = std::stoi(b);
    if (out.bits > max_bits) return false;
  }
  return inet_pton(out.v6 ? AF_INET6 : AF_INET, addr.c_str(), out.addr) == 1;
}

bool ParseNumber(std::string_view s, double& out) {
  if (s.empty() || s.size() > 64) return false;
  char buf[72];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  char* end = nullptr;
  out = std::strtod(buf, &end);
  return end == buf + s.size();
}

// Glob over (folded) patterns; shared by the matcher.
Matcher FromPattern(Pattern p, bool cased) {
  Matcher m;
  m.cased = cased;
  if (!cased)
    for (int& c : p)
      if (c >= 'A' && c <= 'Z') c = c - 'A' + 'a';
  // Literal body between optional leading/trailing stars?
  std::size_t b = 0, e = p.size();
  bool lead = false, trail = false;
  while (b < e && p[b] == kStar) {
    lead = true;
    ++b;
  }
  while (e > b && p[e - 1] == kStar) {
    trail = true;
    --e;
  }
  bool inner_wild = false;
  for (std::size_t i = b; i < e; ++i) inner_wild = inner_wild || p[i] < 0;
  // Longest literal run: what the prefilter needs.
  std::string best, cur;
  for (int c : p) {
    if (c >= 0) {
      cur.push_back(static_cast<char>(c));
    } else {
      if (cur.size() > best.size()) best = cur;
      cur.clear();
    }
  }
  if (cur.size() > best.size()) best = cur;
  m.prefilter_literal = best;
  if (inner_wild) {
    m.kind = Matcher::kGlob;
    m.glob = std::move(p);
    return m;
  }
  for (std::size_t i = b; i < e; ++i) m.lit.push_back(static_cast<char>(p[i]));
  if (b == e && (lead || trail)) {
    m.kind = Matcher::kContains;  // '*' alone: any value (of a present field)
  } else {
    m.kind = lead ? (trail ? Matcher::kContains : Matcher::kSuffix)
                  : (trail ? Matcher::kPrefix : Matcher::kEq);
  }
  return m;
}

const std::set<std::string>& KnownModifiers() {
  static const std::set<std::string> k = {
      "contains", "startswith", "endswith", "all",     "re",      "i",        "m",
      "s",        "windash",    "cidr",     "base64",  "base64offset", "wide", "utf16le",
      "utf16be",  "utf16",      "fieldref", "exists",  "expand",  "gt",       "gte",
      "lt",       "lte",        "cased",    "ignorecase", "multiline", "dotall"};
  return k;
}

bool Has(const std::vector<std::string>& mods, const char* m) {
  for (const auto& x : mods)
    if (x == m) return true;
  return false;
}

}  // namespace

// A literal every match of a regex contains, for the prefilter: the longest
// run of plain characters outside every group and class, at the top level of
// a pattern without a top-level alternation, each character required (not
// followed by ?, * or {0,...}). "" when unsure: an extended-mode pattern, a
// multi-character escape, non-ASCII text (a quantifier there covers several
// bytes). Only ever a substring every match holds (the prefilter is caseless,
// so case does not matter).
std::string RegexLiteral(std::string_view p) {
  if (p.find("\\Q") != std::string_view::npos) return "";
  for (std::size_t at = p.find("(?"); at != std::string_view::npos; at = p.find("(?", at + 2)) {
    for (std::size_t k = at + 2;
         k < p.size() && (std::isalpha(static_cast<unsigned char>(p[k])) || p[k] == '-'); ++k)
      if (p[k] == 'x') return "";  // extended mode: blanks are not literal
  }
  std::string best, cur;
  auto flush = [&] {
    if (cur.size() > best.size()) best = cur;
    cur.clear();
  };
  // The quantifier at q, if any: 0 none, 1 optional (?, *, {0...}), 2 one or more (+, {N...}).
  auto quant = [&](std::size_t q) {
    if (q >= p.size()) return 0;
    if (p[q] == '?' || p[q] == '*') return 1;
    if (p[q] == '+') return 2;
    if (p[q] == '{') {
      std::size_t k = q + 1;
      if (k < p.size() && std::isdigit(static_cast<unsigned char>(p[k]))) {
        bool zero = p[k] == '0' &&
                    (k + 1 >= p.size() || !std::isdigit(static_cast<unsigned char>(p[k + 1])));
        return zero ? 1 : 2;
      }
    }
    return 0;
  };
  auto skip_class = [&](std::size_t i) {  // p[i] == '[': index after its ']'
    std::size_t k = i + 1;
    if (k < p.size() && p[k] == '^') ++k;
    if (k < p.size() && p[k] == ']') ++k;
    while (k < p.size() && p[k] != ']') k += p[k] == '\\' ? 2 : 1;
    return k + 1;
  };
  int depth = 0;
  std::size_t i = 0;
  while (i < p.size()) {
    char c = p[i];
    if (c == '[') {
      flush();
      i = skip_class(i);
      continue;
    }
    if (c == '\\' && i + 1 < p.size() && depth > 0) {
      i += 2;
      continue;
    }
    if (c == '(') {
      flush();
      ++depth;
      ++i;
      continue;
    }
    if (c == ')') {
      flush();
      --depth;
      ++i;
      continue;
    }
    if (depth > 0) {
      ++i;
      continue;
    }
    if (c == '|') return "";  // top-level alternation: no one literal is required
    char lit = 0;
    std::size_t len = 1;
    if (c == '\\') {
      if (i + 1 >= p.size()) return "";
      char d = p[i + 1];
      if (std::isalnum(static_cast<unsigned char>(d))) {
        // Multi-character escapes, and digits (a back reference or octal "\\012").
        if (std::strchr("xpPNkgcoQEu0123456789", d)) return "";
        flush();                                       // \d \w \s \b \A \Z \1 ...: not a literal
        i += 2;
        continue;
      }
      if (static_cast<unsigned char>(d) >= 0x80) return "";
      lit = d;
      len = 2;
    } else if (c == '.' || c == '^' || c == '$' || static_cast<unsigned char>(c) >= 0x80) {
      flush();
      ++i;
      continue;
    } else if (c == '*' || c == '+' || c == '?' || c == '{') {
      flush();
      if (c == '{')
        while (i < p.size() && p[i] != '}') ++i;
      ++i;
      continue;
    } else {
      lit = c;
    }
    int q = quant(i + len);
    if (q == 1) {
      flush();
    } else {
      cur.push_back(lit);
      if (q == 2) flush();
    }
    i += len;
  }
  flush();
  return best;
}

bool CompileValues(const std::vector<std::string>& mods, const std::vector<ValueIn>& values,
                   const CompileOptions& opts, std::vector<Matcher>& out, CompileError& err) {
  for (const std::string& m : mods) {
    if (!KnownModifiers().count(m)) {
      err = {"unknown-modifier", "unknown modifier '" + m + "'"};
      return false;
    }
  }
  bool cased = Has(mods, "cased");
  bool is_re = Has(mods, "re");
  for (const ValueIn& v : values) {
    if (v.null) {
      if (!mods.empty() && !(mods.size() == 1 && mods[0] == "all")) {
        err = {"bad-value", "null value with modifiers"};
        return false;
      }
      Matcher m;
      m.kind = Matcher::kNull;
      out.push_back(std::move(m));
      continue;
    }
    const std::string& s = v.text;
    if (is_re) {
      for (const auto& m : mods) {
        if (m != "re" && m != "i" && m != "m" && m != "s" && m != "all" && m != "ignorecase" &&
            m != "multiline" && m != "dotall") {
          err = {"bad-modifier", "modifier '" + m + "' cannot be combined with 're'"};
          return false;
        }
      }
      std::uint32_t flags = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
      if (Has(mods, "i") || Has(mods, "ignorecase")) flags |= PCRE2_CASELESS;
      if (Has(mods, "m") || Has(mods, "multiline")) flags |= PCRE2_MULTILINE;
      if (Has(mods, "s") || Has(mods, "dotall")) flags |= PCRE2_DOTALL;
      std::string why;
      auto re = Regex::Compile(s, flags, why);
      if (!re) {
        err = {"bad-regex", "regex '" + s + "': " + why};
        return false;
      }
      Matcher m;
      m.kind = Matcher::kRegex;
      m.re = std::move(re);
      m.prefilter_literal = RegexLiteral(s);
      out.push_back(std::move(m));
      continue;
    }
    if (Has(mods, "i") || Has(mods, "m") || Has(mods, "s")) {
      err = {"bad-modifier", "regex flags i/m/s need 're'"};
      return false;
    }
    if (Has(mods, "cidr")) {
      Matcher m;
      m.kind = Matcher::kCidr;
      if (!ParseCidr(s, m.cidr)) {
        err = {"bad-value", "not a CIDR network: '" + s + "'"};
        return false;
      }
      out.push_back(std::move(m));
      continue;
    }
    int cmp = Has(mods, "gt") ? 0 : Has(mods, "gte") ? 1 : Has(mods, "lt") ? 2 : Has(mods, "lte") ? 3 : -1;
    if (cmp >= 0) {
      Matcher m;
      m.kind = Matcher::kCmp;
      m.cmp = cmp;
      if (!ParseNumber(s, m.num)) {
        err = {"bad-value", "comparison needs a number, not '" + s + "'"};
        return false;
      }
      out.push_back(std::move(m));
      continue;
    }
    if (Has(mods, "exists")) {
      Matcher m;
      m.kind = Matcher::kExists;
      if (s == "true" || s == "True" || s == "yes") {
        m.exists = true;
      } else if (s == "false" || s == "False" || s == "no") {
        m.exists = false;
      } else {
        err = {"bad-value", "'exists' needs true or false, not '" + s + "'"};
        return false;
      }
      out.push_back(std::move(m));
      continue;
    }
    if (Has(mods, "fieldref")) {
      Matcher m;
      m.kind = Matcher::kFieldRef;
      m.cased = cased;
      m.ref = s;
      m.ref_mode = Has(mods, "contains")     ? Matcher::kContains
                   : Has(mods, "startswith") ? Matcher::kPrefix
                   : Has(mods, "endswith")   ? Matcher::kSuffix
                                             : Matcher::kEq;
      out.push_back(std::move(m));
      continue;
    }
    // String pipeline, modifiers in the order written (as pySigma applies them).
    std::vector<Pattern> pats{ParseSigmaString(s)};
    for (const std::string& mod : mods) {
      std::vector<Pattern> next;
      if (mod == "contains" || mod == "startswith" || mod == "endswith") {
        for (Pattern& p : pats) {
          if (mod != "startswith" && (p.empty() || p.front() != kStar)) p.insert(p.begin(), kStar);
          if (mod != "endswith" && (p.empty() || p.back() != kStar)) p.push_back(kStar);
        }
        continue;
      }
      if (mod == "all" || mod == "cased") continue;
      if (mod == "expand") {
        for (const Pattern& p : pats) {
          // Replace each %name% with every configured value.
          std::vector<Pattern> acc{Pattern{}};
          for (std::size_t i = 0; i < p.size(); ++i) {
            if (p[i] == '%') {
              std::size_t j = i + 1;
              while (j < p.size() && p[j] != '%' && p[j] >= 0) ++j;
              if (j < p.size() && p[j] == '%' && j > i + 1) {
                std::string name;
                for (std::size_t k = i + 1; k < j; ++k) name.push_back(static_cast<char>(p[k]));
                const std::vector<std::string>* vals = nullptr;
                if (opts.placeholders) {
                  auto it = opts.placeholders->find(name);
                  if (it != opts.placeholders->end() && !it->second.empty()) vals = &it->second;
                }
                if (!vals) {
                  err = {"unset-placeholder", "placeholder %" + name + "% has no value (expand)"};
                  return false;
                }
                std::vector<Pattern> grown;
                for (const Pattern& a : acc)
                  for (const std::string& val : *vals) {
                    Pattern q = a;
                    Pattern add = ParseSigmaString(val);
                    q.insert(q.end(), add.begin(), add.end());
                    grown.push_back(std::move(q));
                  }
                acc = std::move(grown);
                i = j;
                continue;
              }
            }
            for (Pattern& a : acc) a.push_back(p[i]);
          }
          next.insert(next.end(), acc.begin(), acc.end());
        }
      } else if (mod == "wide" || mod == "utf16le" || mod == "utf16be" || mod == "utf16") {
        for (const Pattern& p : pats) next.push_back(Utf16(p, mod == "utf16be", mod == "utf16"));
      } else if (mod == "base64" || mod == "base64offset") {
        for (const Pattern& p : pats) {
          if (HasWildcard(p)) {
            err = {"bad-value", mod + " of a value with wildcards"};
            return false;
          }
          std::string raw = PatternLiteral(p);
          if (mod == "base64") {
            next.push_back(FromBytes(Base64(raw)));
          } else {
            static const int kStart[] = {0, 2, 3};
            static const int kEnd[] = {0, -3, -2};
            for (int k = 0; k < 3; ++k) {
              std::string b64 = Base64(std::string(static_cast<std::size_t>(k), ' ') + raw);
              int endo = kEnd[(raw.size() + k) % 3];
              std::size_t start = static_cast<std::size_t>(kStart[k]);
              std::size_t end = b64.size() + endo;
              if (end <= start) continue;
              next.push_back(FromBytes(std::string_view(b64).substr(start, end - start)));
            }
          }
        }
      } else if (mod == "windash") {
        for (const Pattern& p : pats)
          for (Pattern& q : Windash(p)) next.push_back(std::move(q));
      } else {
        err = {"bad-modifier", "modifier '" + mod + "' does not apply to a string value"};
        return false;
      }
      pats = std::move(next);
    }
    for (Pattern& p : pats) out.push_back(FromPattern(std::move(p), cased));
  }
  return true;
}

}  // namespace trawl::sigma::detail
