// Free-text indicator files (freetext.h): lines as a reader sees them, every
// indicator in each line, precision rules, references, descriptions.
#include "trawl/ioc/freetext.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <unordered_set>

#include "internal.h"
#include "trawl/core/text.h"
#include "trawl/ioc/inet.h"
#include "trawl/ioc/loader.h"
#include "trawl/ioc/psl.h"

namespace trawl::ioc {
namespace {

constexpr std::size_t kMaxDescription = 200;
constexpr std::size_t kMaxToken = 2048;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsNoCase(std::string_view s, std::string_view lower) {
  if (s.size() < lower.size()) return false;
  for (std::size_t i = 0; i < lower.size(); ++i)
    if (Lower(s[i]) != lower[i]) return false;
  return true;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// ---- UTF-8 ----

// The code point at s[i] (length in `len`), or -1 with len 1 for a bad byte.
long DecodeAt(std::string_view s, std::size_t i, std::size_t& len) {
  len = Utf8SequenceLength(s, i);
  if (len == 0) {
    len = 1;
    return -1;
  }
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  switch (len) {
    case 1:
      return b(0);
    case 2:
      return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
    case 3:
      return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    default:
      return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
  }
}

// The code point ending just before s[end] (its length in `len`), or -1.
long DecodeBefore(std::string_view s, std::size_t end, std::size_t& len) {
  std::size_t b = end;
  while (b > 0 && end - b < 4) {
    --b;
    if ((static_cast<unsigned char>(s[b]) & 0xC0) != 0x80) break;
  }
  long cp = DecodeAt(s, b, len);
  if (b + len != end) {
    len = 1;
    return -1;
  }
  return cp;
}

// A non-ASCII code point that belongs to a word (a letter of another script):
// an indicator token never touches one ("müller.de" holds no "ller.de").
bool IsWordCodePoint(long cp) {
  if (cp < 0x80) return false;
  if (cp < 0) return true;                         // invalid bytes: not a boundary we trust
  if (cp >= 0xA0 && cp <= 0xBF) return false;      // Latin-1 punctuation, NBSP
  if (cp == 0xD7 || cp == 0xF7) return false;      // × ÷
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // punctuation, arrows, shapes, bullets
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xFE00 && cp <= 0xFE0F) return false;  // variation selectors
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;  // fullwidth punctuation
  if (cp >= 0xFF1A && cp <= 0xFF20) return false;
  if (cp >= 0xFF5B && cp <= 0xFF65) return false;
  if (cp == 0xFEFF) return false;
  if (cp >= 0x1F000) return false;  // emoji and symbols
  return true;
}


// ---- Lines as a reader sees them ----

struct Line {
  std::size_t no = 0;
  std::string text;
  bool heading = false;  // an HTML heading
};

struct Entity {
  std::string_view name;
  long cp;
};
constexpr Entity kEntities[] = {
    {"amp", '&'},      {"lt", '<'},        {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
    {"nbsp", 0xA0},    {"hellip", 0x2026}, {"ndash", 0x2013}, {"mdash", 0x2014}, {"bull", 0x2022},
    {"lsquo", 0x2018}, {"rsquo", 0x2019},  {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"laquo", 0xAB},
    {"raquo", 0xBB},   {"sbquo", 0x201A},  {"bdquo", 0x201E}, {"middot", 0xB7},  {"period", '.'},
    {"colon", ':'},    {"sol", '/'},       {"lsqb", '['},     {"rsqb", ']'},     {"lpar", '('},
    {"rpar", ')'},     {"commat", '@'},    {"auml", 0xE4},    {"ouml", 0xF6},    {"uuml", 0xFC},
    {"Auml", 0xC4},    {"Ouml", 0xD6},     {"Uuml", 0xDC},    {"szlig", 0xDF},   {"shy", -2},
    {"zwsp", -2},
};

// Decodes one entity at s[i] ('&'); returns its length (0 if none) and appends the text.
std::size_t DecodeEntity(std::string_view s, std::size_t i, std::string& out) {
  std::size_t semi = s.find(';', i);
  if (semi == std::string_view::npos || semi - i > 12 || semi == i + 1) return 0;
  std::string_view body = s.substr(i + 1, semi - i - 1);
  long cp = -1;
  if (body[0] == '#') {
    bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
    std::string_view digits = body.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 7) return 0;
    long v = 0;
    for (char c : digits) {
      int d = IsDigit(c)                    ? c - '0'
              : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
              : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                            : -1;
      if (d < 0) return 0;
      v = v * (hex ? 16 : 10) + d;
    }
    cp = v;
  } else {
    for (const Entity& e : kEntities)
      if (body == e.name) cp = e.cp;
    if (cp == -1) return 0;
  }
  if (cp == -2 || cp == 0x200B) return semi + 1 - i;  // soft hyphen, zero-width space: nothing
  // Controls (but tab), surrogates and beyond Unicode become a blank.
  if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || (cp >= 0xD800 && cp <= 0xDFFF) ||
      cp > 0x10FFFF)
    cp = ' ';
  AppendUtf8(out, static_cast<std::uint32_t>(cp));
  return semi + 1 - i;
}

bool IsBlockTag(std::string_view name) {
  static const std::unordered_set<std::string_view> kBlock = {
      "p",          "div",     "br",    "li",     "ul",         "ol",      "tr",     "table",
      "pre",        "h1",      "h2",    "h3",     "h4",         "h5",      "h6",     "hr",
      "dt",         "dd",      "dl",    "title",  "section",    "article", "header", "footer",
      "blockquote", "tbody",   "thead", "figure", "figcaption", "main",    "nav",    "aside",
      "form",       "caption", "body",  "head",   "html"};
  return kBlock.count(name) > 0;
}

bool IsSkippedElement(std::string_view name) {
  return name == "script" || name == "style" || name == "noscript" || name == "template" ||
         name == "svg" || name == "head";
}

// Tags stripped, entities decoded, one line per source line and per block.
std::vector<Line> HtmlLines(std::string_view s) {
  std::vector<Line> out;
  Line cur;
  std::size_t no = 1;
  bool in_heading = false;
  cur.no = 1;
  auto flush = [&] {
    if (!TrimAscii(cur.text).empty()) {
      cur.heading = cur.heading || in_heading;
      out.push_back(cur);
    }
    cur = Line{};
    cur.no = no;
  };
  auto count_lines = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to && k < s.size(); ++k)
      if (s[k] == '\n') ++no;
  };
  for (std::size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '\n') {
      ++no;
      ++i;
      flush();
      continue;
    }
    if (c == '&') {
      if (std::size_t n = DecodeEntity(s, i, cur.text)) {
        i += n;
        continue;
      }
      cur.text += c;
      ++i;
      continue;
    }
    if (c != '<') {
      if (cur.text.empty() && (c == ' ' || c == '\t')) cur.no = no;
      cur.text += c;
      ++i;
      continue;
    }
    // A comment, a declaration or a tag.
    if (s.compare(i, 4, "<!--") == 0) {
      std::size_t end = s.find("-->", i + 4);
      end = end == std::string_view::npos ? s.size() : end + 3;
      count_lines(i, end);
      i = end;
      continue;
    }
    std::size_t j = i + 1;
    bool closing = j < s.size() && s[j] == '/';
    if (closing) ++j;
    std::size_t name_begin = j;
    while (j < s.size() && (IsAlnum(s[j]) || s[j] == '!' || s[j] == '?')) ++j;
    std::string name = ToLowerAscii(s.substr(name_begin, j - name_begin));
    if (name.empty()) {  // a lone '<' is text
      cur.text += c;
      ++i;
      continue;
    }
    // The end of the tag, skipping quoted attribute values; an unclosed
    // quote must not swallow the page, so past 4 KiB the first '>' ends it.
    const std::size_t name_end = j, limit = std::min(s.size(), j + 4096);
    char quote = 0;
    while (j < limit) {
      char d = s[j];
      if (quote) {
        if (d == quote) quote = 0;
      } else if (d == '"' || d == '\'') {
        quote = d;
      } else if (d == '>') {
        break;
      }
      ++j;
    }
    if (j >= limit) {
      std::size_t gt = s.find('>', name_end);
      j = gt == std::string_view::npos ? s.size() : gt;
    }
    std::size_t tag_end = j < s.size() ? j + 1 : s.size();
    count_lines(i, tag_end);
    i = tag_end;
    if (!closing && IsSkippedElement(name)) {
      std::string close = "</" + name;
      std::size_t k = i;
      while (k < s.size()) {
        k = s.find('<', k);
        if (k == std::string_view::npos) break;
        if (StartsNoCase(s.substr(k), close)) break;
        if (name == "head" && StartsNoCase(s.substr(k), "<body")) break;  // no </head>
        ++k;
      }
      if (k == std::string_view::npos) k = s.size();
      count_lines(i, k);
      i = k;
      continue;
    }
    bool heading = name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6';
    if (name == "td" || name == "th") {
      cur.text += " | ";
    } else if (IsBlockTag(name)) {
      flush();
      if (heading) in_heading = !closing;
    }  // inline tags (<b>, <a>, <code>, <span>) join their text: "<b>x</b>y" is "xy"
  }
  flush();
  return out;
}

bool IsHtml(std::string_view text, std::string_view ext) {
  if (ext == ".html" || ext == ".htm" || ext == ".xhtml") return true;
  std::string_view t = TrimAscii(text.substr(0, 512));
  return StartsNoCase(t, "<!doctype html") || StartsNoCase(t, "<html") ||
         (StartsNoCase(t, "<?xml") && ToLowerAscii(t).find("<html") != std::string::npos);
}

// "Name: value" with an RFC 5322 header field name.
bool IsHeaderLine(std::string_view line) {
  std::size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon > 40) return false;
  for (char c : line.substr(0, colon))
    if (!IsAlnum(c) && c != '-') return false;
  return true;
}

bool StartsMail(std::string_view first) {
  for (std::string_view h : {"received:", "from:", "return-path:", "delivered-to:", "message-id:",
                             "mime-version:", "date:", "subject:", "to:", "x-",
                             "content-type:", "dkim-signature:", "arc-", "authentication-results:"})
    if (StartsNoCase(first, h)) return IsHeaderLine(first);
  return false;
}

std::vector<Line> TextLines(std::string_view text, std::string_view ext) {
  std::vector<Line> out;
  bool mail = ext == ".eml" || ext == ".msg";
  bool in_header = false, first = true;
  internal::ForEachLine(text, [&](std::size_t no, std::string_view line) {
    if (first) {
      first = false;
      in_header = mail || StartsMail(line);
    }
    if (in_header) {
      if (TrimAscii(line).empty()) in_header = false;
      return;  // a mail's header block: the servers and senders of the message itself
    }
    out.push_back({no, std::string(line), false});
  });
  return out;
}

// Drops mail quote marks ("> > ") from the front.
std::string_view StripQuotes(std::string_view s) {
  for (;;) {
    std::string_view t = s;
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    if (t.empty() || t.front() != '>') return s;
    t.remove_prefix(1);
    s = t;
  }
}

// ---- Tokens ----

bool IsDelimiter(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u == 0x7F) return true;
  switch (c) {
    case '|':
    case '`':
    case '"':
    case '\'':
    case '<':
    case '>':
    case '*':
    case ',':
    case ';':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case '\\':
    case '^':
      return true;
    default:
      return false;
  }
}

struct Token {
  std::size_t begin = 0, end = 0;  // in the refanged line
  std::string text;
  bool defanged = false;
};

bool IsLeadTrim(char c) {
  return c == '.' || c == ':' || c == '-' || c == '_' || c == '~' || c == '=' || c == '/' ||
         c == '!' || c == '?' || c == '&' || c == '#' || c == '+';
}
bool IsTailTrim(char c) {
  return c == '.' || c == ':' || c == '-' || c == '_' || c == '~' || c == '=' || c == '!' ||
         c == '?' || c == '&' || c == '#' || c == '+';
}

std::vector<Token> Tokenise(const Refanged& r) {
  std::vector<Token> out;
  const std::string& t = r.text;
  for (std::size_t i = 0; i < t.size();) {
    auto u = static_cast<unsigned char>(t[i]);
    if (u >= 0x80) {
      std::size_t len;
      DecodeAt(t, i, len);
      i += len;
      continue;
    }
    if (IsDelimiter(t[i])) {
      ++i;
      continue;
    }
    std::size_t b = i;
    while (i < t.size() && static_cast<unsigned char>(t[i]) < 0x80 && !IsDelimiter(t[i])) ++i;
    std::size_t e = i;
    // A token that touches a letter of another script is part of a word.
    std::size_t len;
    bool word_before = b > 0 && static_cast<unsigned char>(t[b - 1]) >= 0x80 &&
                       IsWordCodePoint(DecodeBefore(t, b, len));
    bool word_after = e < t.size() && static_cast<unsigned char>(t[e]) >= 0x80 &&
                      IsWordCodePoint(DecodeAt(t, e, len));
    while (b < e && IsLeadTrim(t[b])) ++b;
    while (e > b && IsTailTrim(t[e - 1])) --e;
    if (e - b < 3 || e - b > kMaxToken || word_before || word_after) continue;
    Token tok{b, e, t.substr(b, e - b), false};
    for (std::size_t k = b; k < e; ++k)
      if (r.defanged[k]) tok.defanged = true;
    out.push_back(std::move(tok));
  }
  return out;
}

// The word before position `at` of `t` (lower case), skipping delimiters.
std::string WordBefore(std::string_view t, std::size_t at) {
  std::size_t e = at;
  while (e > 0 && !IsAlnum(t[e - 1])) --e;
  std::size_t b = e;
  while (b > 0 && IsAlnum(t[b - 1])) --b;
  return ToLowerAscii(t.substr(b, e - b));
}

bool IsVersionWord(std::string_view w) {
  static const std::unordered_set<std::string_view> kWords = {
      "version",    "versions",  "ver",      "v",     "build",     "builds", "release",
      "releases",   "update",    "updates",  "patch", "firmware",  "fixed",  "affected",
      "version(s)", "versionen", "revision", "rev",   "release(s)"};
  return kWords.count(w) > 0;
}

bool IsCommitWord(std::string_view w) {
  return w == "commit" || w == "commits" || w == "revision" || w == "rev" || w == "sha" ||
         w == "merge" || w == "pr" || w == "tree";
}

// TLDs that are also common file extensions: a live two-label name under one
// is a file name ("invoice.zip", "install.sh") unless the text defangs it.
bool IsFileExtensionTld(std::string_view tld) {
  static const std::unordered_set<std::string_view> kExt = {
      "zip", "mov", "sh", "py", "pl", "pm", "rs", "md", "so",  "cc",  "app", "ps", "ai",
      "cab", "in",  "am", "ml", "bz", "ko", "mp", "ts", "sys", "exe", "dll", "js", "php"};
  return kExt.count(tld) > 0;
}

std::string Tld(std::string_view d) {
  std::size_t dot = d.rfind('.');
  return std::string(dot == std::string_view::npos ? d : d.substr(dot + 1));
}

std::size_t CountLabels(std::string_view d) {
  return static_cast<std::size_t>(std::count(d.begin(), d.end(), '.')) + 1;
}

// The host of a URL indicator's value ("https://HOST[:PORT]/...").
std::string UrlHost(std::string_view url) {
  std::size_t s = url.find("://");
  std::string_view rest = s == std::string_view::npos ? url : url.substr(s + 3);
  std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (std::size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  if (!host.empty() && host.front() != '[')
    if (std::size_t c = host.rfind(':'); c != std::string_view::npos) host = host.substr(0, c);
  return std::string(host);
}

std::string UrlPath(std::string_view url) {
  std::size_t s = url.find("://");
  std::string_view rest = s == std::string_view::npos ? url : url.substr(s + 3);
  std::size_t p = rest.find_first_of("/?#");
  return p == std::string_view::npos ? std::string() : ToLowerAscii(rest.substr(p));
}

// What a token is: an indicator candidate, a note, or nothing.
struct Candidate {
  enum class What { kNothing, kIndicator, kLeft } what = What::kNothing;
  Indicator ind;
  std::string reason;
};

Candidate Left(std::string reason) {
  Candidate c;
  c.what = Candidate::What::kLeft;
  c.reason = std::move(reason);
  return c;
}

Candidate Take(Indicator ind) {
  Candidate c;
  c.what = Candidate::What::kIndicator;
  c.ind = std::move(ind);
  return c;
}

bool AllHex(std::string_view s) { return !s.empty() && IsHex(s); }
bool IsHashLength(std::size_t n) { return n == 32 || n == 40 || n == 64; }

Candidate Classify(std::string_view tok, const std::string& word_before) {
  Indicator ind;
  // URLs, with a scheme (anything before it on the token is not the URL).
  if (std::size_t sep = tok.find("://"); sep != std::string_view::npos) {
    std::size_t s0 = sep;
    while (s0 > 0 &&
           (IsAlnum(tok[s0 - 1]) || tok[s0 - 1] == '+' || tok[s0 - 1] == '-' || tok[s0 - 1] == '.'))
      --s0;
    if (s0 == sep) return {};
    std::string_view url = tok.substr(s0);
    std::string_view scheme = tok.substr(s0, sep - s0);
    std::string ls = ToLowerAscii(scheme);
    if (ls != "http" && ls != "https" && ls != "ftp" && ls != "ftps" && ls != "ws" && ls != "wss" &&
        ls != "sftp")
      return {};
    // The scheme says it is a URL: its host needs no public suffix check.
    if (!DetectKind(url, ind) || ind.kind != Kind::kUrl) return {};
    return Take(std::move(ind));
  }
  // E-mail addresses: noted, never taken.
  if (std::size_t at = tok.find('@'); at != std::string_view::npos && at > 0) {
    std::string d = internal::NormaliseDomain(tok.substr(at + 1));
    if (!d.empty() && !RegistrableDomain(d).empty())
      return Left("e-mail address: trawl has no e-mail indicator kind");
    return {};
  }
  // Hashes, also "sha256:HEX" / "md5=HEX".
  {
    std::string_view h = tok;
    if (std::size_t p = h.find_last_of(":="); p != std::string_view::npos) h = h.substr(p + 1);
    if (AllHex(h) && IsHashLength(h.size())) {
      if (IsCommitWord(word_before)) return Left("a commit id, not a file hash");
      if (!DetectKind(h, ind)) return {};
      if (internal::IsTrivialHash(ind.value))
        return Left("hash of an empty or newline-only file (would match countless files)");
      return Take(std::move(ind));
    }
    if (AllHex(tok)) return {};
  }
  // CIDR or HOST/PATH.
  if (tok.find('/') != std::string_view::npos) {
    std::string_view t = tok;
    while (!t.empty() && t.back() == '/') t.remove_suffix(1);
    if (t.find('/') == std::string_view::npos) return Classify(t, word_before);
    if (!DetectKind(t, ind)) return {};
    if (ind.kind == Kind::kUrl) {
      std::string host = UrlHost(ind.value);
      if (RegistrableDomain(host).empty()) return {};  // "path/to.file/x", "ffmpeg.dll/x"
    }
    return Take(std::move(ind));
  }
  // IPv6 (a token with two or more ':' and a digit).
  if (std::count(tok.begin(), tok.end(), ':') >= 2) {
    std::string_view t = tok;
    if (!std::any_of(t.begin(), t.end(), IsDigit)) return {};
    if (!DetectKind(t, ind) || ind.kind != Kind::kIpv6) return {};
    if (ind.value == "::" || ind.value == "::1") return {};
    return Take(std::move(ind));
  }
  // A host or an address, maybe with ":PORT".
  std::string_view t = tok;
  if (std::size_t c = t.rfind(':'); c != std::string_view::npos) {
    std::string_view port = t.substr(c + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), IsDigit))
      return {};
    t = t.substr(0, c);
  }
  bool quad = std::count(t.begin(), t.end(), '.') == 3 &&
              std::all_of(t.begin(), t.end(), [](char c) { return IsDigit(c) || c == '.'; });
  if (quad) {
    std::optional<Ip> ip = ParseIpv4(t, Ipv4Form::kStrict);
    if (!ip) return Left("not an IP address (a version number?)");
    if (IsVersionWord(word_before)) return Left("a version number, not an IP address");
    ind.kind = Kind::kIpv4;
    ind.value = FormatIp(*ip);
    return Take(std::move(ind));
  }
  std::string d = internal::NormaliseDomain(t);
  if (d.empty()) return {};
  if (!PslAvailable()) return Left("domain not checked: public suffix list " + PslSource());
  std::string suffix = PublicSuffix(d);
  if (suffix.empty()) return Left("no public suffix: a file name, not a domain");
  if (suffix == d) return Left("a public suffix, not a domain");
  ind.kind = Kind::kDomain;
  ind.value = std::move(d);
  return Take(std::move(ind));
}

// ---- Descriptions ----

bool IsTrimCodePoint(long cp) {
  return cp == 0x2022 || cp == 0x2013 || cp == 0x2014 || cp == 0xB7 || cp == 0x25AA ||
         cp == 0x25BA || cp == 0x2192 || cp == 0xAB || cp == 0xBB || cp == 0x201E || cp == 0x201C ||
         cp == 0x201D || cp == 0x2018 || cp == 0x2019 || cp == 0x2026 || cp == 0xA0 ||
         cp == 0x25CF || cp == 0x2023 || cp == 0x2043 || cp == 0x25E6;
}

bool IsTrimAscii(char c) {
  return c == ' ' || c == '\t' || c == '|' || c == '-' || c == ':' || c == '*' || c == ',' ||
         c == ';' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' ||
         c == '<' || c == '>' || c == '"' || c == '\'' || c == '#' || c == '=' || c == '~' ||
         c == '`' || c == '_' || c == '/' || c == '.';
}

// Text with markup and bullets trimmed from both ends, blanks collapsed.
std::string CleanText(std::string_view s) {
  std::string collapsed;
  for (char c : s) {
    if (c == '\t' || c == '|' || c == '`' || c == '*') c = ' ';
    if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed += c;
  }
  std::string_view v = collapsed;
  for (bool changed = true; changed && !v.empty();) {
    changed = false;
    while (!v.empty() && static_cast<unsigned char>(v.front()) < 0x80 && IsTrimAscii(v.front()))
      v.remove_prefix(1), changed = true;
    while (!v.empty() && static_cast<unsigned char>(v.back()) < 0x80 && IsTrimAscii(v.back()))
      v.remove_suffix(1), changed = true;
    std::size_t len;
    if (!v.empty() && static_cast<unsigned char>(v.front()) >= 0x80 &&
        IsTrimCodePoint(DecodeAt(v, 0, len)))
      v.remove_prefix(len), changed = true;
    if (!v.empty() && static_cast<unsigned char>(v.back()) >= 0x80 &&
        IsTrimCodePoint(DecodeBefore(v, v.size(), len)))
      v.remove_suffix(len), changed = true;
  }
  std::string out(v);
  if (out.size() > kMaxDescription) {
    std::size_t cut = kMaxDescription;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

// Whether a line of no indicator introduces the ones below it.
bool LooksLikeHeading(std::string_view line, std::string& heading) {
  std::string_view t = TrimAscii(line);
  if (t.empty() || t.size() > 120) return false;
  bool colon = t.back() == ':';
  bool bold = t.size() > 4 && t.substr(0, 2) == "**" && EndsWith(t, "**");
  if (!colon && !bold) return false;
  heading = CleanText(t);
  return !heading.empty();
}

}  // namespace

bool IsIndicatorList(std::string_view text) {
  bool any = false, list = true;
  internal::ForEachLine(text, [&](std::size_t, std::string_view line) {
    if (!list) return;
    std::string_view t = TrimAscii(line);
    if (t.empty() || t.front() == '#') return;
    if (t.front() == '<') {  // markup
      list = false;
      return;
    }
    // "VALUE ; SCORE": the blanks around a trailing score are allowed.
    if (std::size_t semi = t.rfind(';'); semi != std::string_view::npos) {
      std::string_view tail = TrimAscii(t.substr(semi + 1));
      if (!tail.empty() && std::all_of(tail.begin(), tail.end(), IsDigit))
        t = TrimAscii(t.substr(0, semi));
    }
    for (char c : t)
      if (c == ' ' || c == '\t') list = false;
    any = true;
  });
  return list && any;
}

TextResult ExtractFreeText(std::string_view text, std::string_view file_name) {
  TextResult res;
  std::string base(file_name);
  if (std::size_t slash = base.find_last_of('/'); slash != std::string::npos)
    base = base.substr(slash + 1);
  std::string ext;
  if (std::size_t dot = base.rfind('.'); dot != std::string::npos && dot > 0)
    ext = ToLowerAscii(base.substr(dot));
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  std::vector<Line> lines = IsHtml(text, ext) ? HtmlLines(text) : TextLines(text, ext);

  struct Pending {
    TextItem item;
    bool defanged = false;
    bool reference_kind = false;  // a live domain or URL may be a reference
  };
  std::vector<Pending> pending;
  // Hex runs of hash length in the paths of the text's URLs (commit ids).
  std::unordered_set<std::string> url_hex;
  std::string heading;

  for (const Line& line : lines) {
    if (std::string_view bad = internal::BadText(line.text); !bad.empty()) {
      TextItem it;
      it.line = line.no;
      it.text = line.text.substr(0, 80);
      it.reason = std::string(bad);
      it.problem = true;
      pending.push_back({std::move(it), false, false});
      continue;
    }
    std::string_view body = StripQuotes(line.text);
    std::string_view trimmed = TrimAscii(body);
    if (trimmed.empty()) continue;
    if (trimmed.front() == '#') {  // a Markdown heading or a "# comment"
      std::string h = CleanText(internal::CommentText(trimmed));
      if (!h.empty()) heading = h;
      continue;
    }
    if (line.heading) {
      std::string h = CleanText(trimmed);
      if (!h.empty()) heading = h;
      continue;
    }
    if (StartsNoCase(trimmed, "```") || StartsNoCase(trimmed, "~~~")) continue;

    Refanged r = RefangText(body, true);
    std::vector<Token> tokens = Tokenise(r);
    std::vector<std::pair<Token, Candidate>> found;
    for (Token& tok : tokens) {
      Candidate c = Classify(tok.text, WordBefore(r.text, tok.begin));
      // "bf939c9c…" / "bf939c9c...": a hash cut short for print matches nothing.
      if (c.what == Candidate::What::kNothing && tok.text.size() >= 8 && tok.text.size() < 64 &&
          IsHex(tok.text) &&
          (r.text.compare(tok.end, 3, "\xE2\x80\xA6") == 0 ||
           r.text.compare(tok.end, 3, "...") == 0))
        c = Left("a truncated hash (cut short for print): give the whole hash");
      if (c.what == Candidate::What::kNothing) continue;
      if (c.what == Candidate::What::kIndicator && c.ind.kind == Kind::kUrl) {
        std::string path = UrlPath(c.ind.value);
        for (std::size_t k = 0; k < path.size();) {
          std::size_t e = k;
          while (e < path.size() && IsHex(std::string_view(&path[e], 1))) ++e;
          if (IsHashLength(e - k)) url_hex.insert(path.substr(k, e - k));
          k = e == k ? k + 1 : e;
        }
      }
      found.emplace_back(std::move(tok), std::move(c));
    }
    bool any_indicator = std::any_of(found.begin(), found.end(), [](const auto& f) {
      return f.second.what == Candidate::What::kIndicator;
    });
    if (!any_indicator) {
      std::string h;
      if (LooksLikeHeading(r.text, h)) heading = h;
    }
    // The rest of the line: the text around its indicators.
    std::string rest = r.text;
    for (const auto& [tok, c] : found)
      if (c.what == Candidate::What::kIndicator)
        for (std::size_t k = tok.begin; k < tok.end; ++k) rest[k] = ' ';
    std::string desc = CleanText(rest);
    if (desc.empty() || desc.size() < 2) desc = heading;
    desc = desc.empty() ? base : desc + " (" + base + ")";

    for (auto& [tok, c] : found) {
      Pending p;
      p.item.line = line.no;
      p.item.text = tok.text;
      p.defanged = tok.defanged;
      if (c.what == Candidate::What::kLeft) {
        p.item.reason = c.reason;
      } else {
        p.item.taken = true;
        p.item.indicator = std::move(c.ind);
        p.item.indicator.description = desc;
        Kind k = p.item.indicator.kind;
        p.reference_kind = k == Kind::kDomain || k == Kind::kUrl;
        if (k == Kind::kDomain && !tok.defanged && CountLabels(p.item.indicator.value) == 2 &&
            IsFileExtensionTld(Tld(p.item.indicator.value))) {
          p.item.taken = false;
          p.item.reason = "a file name (." + Tld(p.item.indicator.value) +
                          " is also a TLD; defang it to take it as a domain)";
        }
      }
      pending.push_back(std::move(p));
    }
  }

  // A text that defangs its indicators: its live domains and URLs are references,
  // unless they name a host the text defangs elsewhere.
  std::unordered_set<std::string> defanged_hosts;
  for (const Pending& p : pending) {
    if (!p.defanged || p.item.problem) continue;
    res.defanged = true;  // a defanged e-mail address counts too
    if (!p.item.taken) continue;
    Kind k = p.item.indicator.kind;
    if (k == Kind::kDomain) defanged_hosts.insert(p.item.indicator.value);
    if (k == Kind::kUrl) defanged_hosts.insert(UrlHost(p.item.indicator.value));
  }
  std::set<std::pair<std::string, std::string>> left_seen;
  for (Pending& p : pending) {
    TextItem& it = p.item;
    if (it.taken && res.defanged && p.reference_kind && !p.defanged) {
      std::string host =
          it.indicator.kind == Kind::kUrl ? UrlHost(it.indicator.value) : it.indicator.value;
      // The host or one of its parents is a defanged indicator's host.
      bool named = false;
      for (std::string_view h = host; !h.empty() && !named;) {
        named = defanged_hosts.count(std::string(h)) > 0;
        std::size_t dot = h.find('.');
        h = dot == std::string_view::npos ? std::string_view() : h.substr(dot + 1);
      }
      if (!named) {
        it.taken = false;
        it.reason = "not taken: not defanged, likely a reference";
      }
    }
    // A hash that is part of a URL's path elsewhere in the text: a commit id.
    if (it.taken && IsHashKind(it.indicator.kind) && url_hex.count(it.indicator.value)) {
      it.taken = false;
      it.reason = "in the path of a URL of the text (a commit id?), not a file hash";
    }
    if (!it.taken && !it.problem) {  // each reason once per token text
      if (!left_seen.insert({ToLowerAscii(it.text), it.reason}).second) continue;
      it.indicator = Indicator{};
    }
    res.items.push_back(std::move(it));
  }
  return res;
}

}  // namespace trawl::ioc
