// STIX 2.1: indicator patterns and observed-data cyber-observables (see
// trawl/ioc/interchange.h for what is read and what is refused).
#include <algorithm>
#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "interchange_internal.h"
#include "internal.h"
#include "trawl/core/civil_time.h"
#include "trawl/core/text.h"
#include "trawl/ioc/interchange.h"

namespace trawl::ioc::internal {
namespace {

// ---- Pattern language --------------------------------------------------

// One comparison after expansion: OBJECT:PROPERTY OP VALUE.
struct Comparison {
  std::string object;    // "file", "domain-name", ...
  std::string property;  // "hashes.SHA-256", "name", "value", "x_trawl_path"
  std::string op;        // "=" or "MATCHES"
  std::string value;
};
using Term = std::vector<Comparison>;  // ANDed
using Dnf = std::vector<Term>;         // ORed

constexpr size_t kMaxTerms = 4096;

enum class Tok {
  kEnd,
  kLBracket,
  kRBracket,
  kLParen,
  kRParen,
  kComma,
  kWord,
  kString,
  kOp,
  kOther
};

struct Token {
  Tok type = Tok::kEnd;
  std::string text;  // word, operator, or the unescaped string
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  // False with `error` set on a malformed token.
  bool Next(Token& t, std::string& error) {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
    t = Token{};
    if (pos_ >= s_.size()) return true;
    char c = s_[pos_];
    auto single = [&](Tok type) {
      t.type = type;
      t.text = std::string(1, c);
      ++pos_;
      return true;
    };
    switch (c) {
      case '[':
        return single(Tok::kLBracket);
      case ']':
        return single(Tok::kRBracket);
      case '(':
        return single(Tok::kLParen);
      case ')':
        return single(Tok::kRParen);
      case ',':
        return single(Tok::kComma);
      default:
        break;
    }
    if (c == '\'') return String(t, error);
    // Typed literals: t'...', h'...', b'...' (kept as "other": never supported values).
    if ((c == 't' || c == 'h' || c == 'b') && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
      ++pos_;
      if (!String(t, error)) return false;
      t.type = Tok::kOther;
      return true;
    }
    if (c == '=' || c == '!' || c == '<' || c == '>') {
      size_t start = pos_++;
      if (pos_ < s_.size() && s_[pos_] == '=') ++pos_;
      t.type = Tok::kOp;
      t.text = std::string(s_.substr(start, pos_ - start));
      if (t.text == "!") {
        error = "lone '!'";
        return false;
      }
      return true;
    }
    // Words: keywords, object paths (type:prop.prop, 'quoted' parts,
    // [index]), numbers, booleans.
    if (IsWordChar(c) || c == '-') {
      size_t start = pos_;
      std::string text;
      while (pos_ < s_.size()) {
        char d = s_[pos_];
        if (IsWordChar(d) || d == '-' || d == ':' || d == '.' || d == '*') {
          text += d;
          ++pos_;
        } else if (d == '\'' && pos_ > start && (s_[pos_ - 1] == '.' || s_[pos_ - 1] == ':')) {
          // A quoted property name inside a path: hashes.'SHA-256'.
          Token q;
          if (!String(q, error)) return false;
          text += "'" + q.text + "'";
        } else if (d == '[' && text.find(':') != std::string::npos) {
          // A list index inside a path: extensions.x[0] / [*].
          size_t close = s_.find(']', pos_);
          if (close == std::string_view::npos) {
            error = "unclosed '[' in an object path";
            return false;
          }
          text += std::string(s_.substr(pos_, close - pos_ + 1));
          pos_ = close + 1;
        } else {
          break;
        }
      }
      t.type = Tok::kWord;
      t.text = std::move(text);
      return true;
    }
    error = std::string("unexpected character '") + EscapeControl(std::string_view(&c, 1)) + "'";
    return false;
  }

 private:
  static bool IsWordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  bool String(Token& t, std::string& error) {
    ++pos_;  // opening quote
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '\\') {
        if (pos_ >= s_.size()) break;
        char n = s_[pos_++];
        if (n != '\'' && n != '\\') {
          error = "bad escape in a string (only \\' and \\\\)";
          return false;
        }
        out += n;
      } else if (c == '\'') {
        t.type = Tok::kString;
        t.text = std::move(out);
        return true;
      } else {
        out += c;
      }
    }
    error = "unterminated string";
    return false;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// Recursive descent over the token list, producing the disjunctive normal
// form of the comparisons, or an error naming what trawl cannot evaluate.
class PatternParser {
 public:
  explicit PatternParser(std::vector<Token> toks) : t_(std::move(toks)) {}

  bool Parse(Dnf& out, std::string& error) {
    if (!ObsOr(out)) {
      error = error_;
      return false;
    }
    if (Peek().type != Tok::kEnd) {
      error = "unexpected '" + Peek().text + "' after the pattern";
      return false;
    }
    return true;
  }

 private:
  const Token& Peek() const { return t_[i_]; }
  bool IsWord(const char* w) const { return Peek().type == Tok::kWord && Peek().text == w; }
  bool Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }

  static bool Or(Dnf& acc, Dnf more) {
    acc.insert(acc.end(), std::make_move_iterator(more.begin()),
               std::make_move_iterator(more.end()));
    return acc.size() <= kMaxTerms;
  }

  static bool And(Dnf& acc, const Dnf& more) {
    Dnf out;
    if (acc.size() * more.size() > kMaxTerms) return false;
    for (const Term& a : acc)
      for (const Term& b : more) {
        Term t = a;
        t.insert(t.end(), b.begin(), b.end());
        out.push_back(std::move(t));
      }
    acc = std::move(out);
    return true;
  }

  // Observation expressions: only OR between observations is evaluable.
  bool ObsOr(Dnf& out) {
    if (!ObsAnd(out)) return false;
    while (IsWord("OR")) {
      ++i_;
      Dnf more;
      if (!ObsAnd(more)) return false;
      if (!Or(out, std::move(more))) return Fail("pattern too complex");
    }
    return true;
  }

  bool ObsAnd(Dnf& out) {
    if (!ObsUnit(out)) return false;
    if (IsWord("AND"))
      return Fail("observations joined by AND (trawl cannot correlate separate observations)");
    if (IsWord("FOLLOWEDBY")) return Fail("FOLLOWEDBY (trawl cannot evaluate sequences)");
    return true;
  }

  bool ObsUnit(Dnf& out) {
    if (Peek().type == Tok::kLBracket) {
      ++i_;
      if (!CompOr(out)) return false;
      if (Peek().type != Tok::kRBracket) return Fail("missing ']'");
      ++i_;
    } else if (Peek().type == Tok::kLParen) {
      ++i_;
      if (!ObsOr(out)) return false;
      if (Peek().type != Tok::kRParen) return Fail("missing ')'");
      ++i_;
    } else {
      return Fail(Peek().type == Tok::kEnd ? "empty pattern or missing observation"
                                           : "expected '[' or '(' at '" + Peek().text + "'");
    }
    if (IsWord("WITHIN") || IsWord("REPEATS") || IsWord("START") || IsWord("STOP"))
      return Fail("qualifier " + Peek().text + " (trawl cannot evaluate time windows or repeats)");
    return true;
  }

  bool CompOr(Dnf& out) {
    if (!CompAnd(out)) return false;
    while (IsWord("OR")) {
      ++i_;
      Dnf more;
      if (!CompAnd(more)) return false;
      if (!Or(out, std::move(more))) return Fail("pattern too complex");
    }
    return true;
  }

  bool CompAnd(Dnf& out) {
    if (!CompUnit(out)) return false;
    while (IsWord("AND")) {
      ++i_;
      Dnf more;
      if (!CompUnit(more)) return false;
      if (!And(out, more)) return Fail("pattern too complex");
    }
    return true;
  }

  bool CompUnit(Dnf& out) {
    if (Peek().type == Tok::kLParen) {
      ++i_;
      if (!CompOr(out)) return false;
      if (Peek().type != Tok::kRParen) return Fail("missing ')'");
      ++i_;
      return true;
    }
    return Compare(out);
  }

  bool Compare(Dnf& out) {
    if (IsWord("EXISTS")) return Fail("EXISTS");
    if (IsWord("NOT")) return Fail("NOT (negation)");
    if (Peek().type != Tok::kWord) return Fail("expected an object path at '" + Peek().text + "'");
    std::string path = Peek().text;
    ++i_;
    size_t colon = path.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == path.size())
      return Fail("not an object path: '" + path + "'");
    Comparison c;
    c.object = path.substr(0, colon);
    c.property = path.substr(colon + 1);
    if (IsWord("NOT")) return Fail("NOT (" + path + ")");
    if (Peek().type == Tok::kOp) {
      c.op = Peek().text;
      ++i_;
      if (c.op != "=") return Fail("operator " + c.op + " (" + path + ")");
      if (Peek().type != Tok::kString)
        return Fail("a non-string value for " + path +
                    (Peek().text.empty() ? "" : ": " + Peek().text));
      c.value = Peek().text;
      ++i_;
      out.push_back({std::move(c)});
      return true;
    }
    if (IsWord("IN")) {
      ++i_;
      if (Peek().type != Tok::kLParen) return Fail("IN without '('");
      ++i_;
      c.op = "=";
      for (;;) {
        if (Peek().type != Tok::kString) return Fail("a non-string value in IN (" + path + ")");
        Comparison one = c;
        one.value = Peek().text;
        ++i_;
        out.push_back({std::move(one)});
        if (out.size() > kMaxTerms) return Fail("pattern too complex");
        if (Peek().type == Tok::kComma) {
          ++i_;
          continue;
        }
        if (Peek().type != Tok::kRParen) return Fail("missing ')' after IN values");
        ++i_;
        return true;
      }
    }
    if (IsWord("MATCHES")) {
      ++i_;
      if (Peek().type != Tok::kString) return Fail("MATCHES without a string");
      c.op = "MATCHES";
      c.value = Peek().text;
      ++i_;
      out.push_back({std::move(c)});
      return true;
    }
    if (Peek().type == Tok::kWord) return Fail("operator " + Peek().text + " (" + path + ")");
    return Fail("missing operator after " + path);
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  std::string error_;
};

bool ParsePattern(std::string_view pattern, Dnf& out, std::string& error) {
  Lexer lex(pattern);
  std::vector<Token> toks;
  for (;;) {
    Token t;
    if (!lex.Next(t, error)) return false;
    toks.push_back(t);
    if (t.type == Tok::kEnd) break;
    if (toks.size() > 100000) {
      error = "pattern too long";
      return false;
    }
  }
  return PatternParser(std::move(toks)).Parse(out, error);
}

// "hashes.'SHA-256'" / "hashes.SHA256" / ... -> kind; nullopt for others.
std::optional<Kind> HashProperty(std::string_view property) {
  if (property.substr(0, 7) != "hashes.") return std::nullopt;
  std::string algo(property.substr(7));
  if (algo.size() >= 2 && algo.front() == '\'' && algo.back() == '\'')
    algo = algo.substr(1, algo.size() - 2);
  std::string a;
  for (char c : ToLowerAscii(algo))
    if (c != '-' && c != '_') a += c;
  if (a == "md5") return Kind::kMd5;
  if (a == "sha1") return Kind::kSha1;
  if (a == "sha256") return Kind::kSha256;
  return std::nullopt;
}

int Strength(Kind k) { return k == Kind::kSha256 ? 3 : k == Kind::kSha1 ? 2 : 1; }

// One alternative of the pattern -> one indicator, or why not.
std::string TermToIndicator(const Term& term, Indicator& out) {
  const std::string& object = term.front().object;
  for (const Comparison& c : term)
    if (c.object != object)
      return "AND of different object types (" + object + ", " + c.object + ")";
  if (object == "file") {
    std::optional<std::string> name, path_regex;
    std::map<Kind, std::string> hashes;
    for (const Comparison& c : term) {
      if (c.property == "x_trawl_path" && c.op == "MATCHES") {
        if (path_regex && *path_regex != c.value) return "two path regexes ANDed";
        path_regex = c.value;
        continue;
      }
      if (c.op != "=") return "operator " + c.op + " on file:" + c.property;
      if (c.property == "name") {
        if (name && *name != c.value) return "two different file names ANDed";
        name = c.value;
        continue;
      }
      std::optional<Kind> k = HashProperty(c.property);
      if (!k) return "file:" + c.property;
      Indicator h;
      if (std::string why = MakeValue(KindName(*k), c.value, h); !why.empty())
        return "file:" + c.property + ": " + why + " ('" + EscapeControl(c.value.substr(0, 80)) +
               "')";
      auto [it, inserted] = hashes.emplace(*k, h.value);
      if (!inserted && it->second != h.value)
        return "two different " + std::string(KindName(*k)) + " values ANDed";
    }
    if (path_regex) {
      if (name || !hashes.empty()) return "file:x_trawl_path ANDed with other comparisons";
      if (path_regex->empty() || path_regex->size() > kMaxValueBytes) return "bad path regex";
      if (std::string_view bad = BadText(*path_regex); !bad.empty()) return std::string(bad);
      out.kind = Kind::kFilename;
      out.value = *path_regex;
      return {};
    }
    if (!hashes.empty()) {
      auto best = std::max_element(hashes.begin(), hashes.end(), [](const auto& a, const auto& b) {
        return Strength(a.first) < Strength(b.first);
      });
      out.kind = best->first;
      out.value = best->second;
      if (name) {
        Indicator n;
        if (std::string why = MakeNameIndicator(*name, n); !why.empty()) return "file:name: " + why;
        out.and_filename = *name;
      }
      return {};
    }
    if (name) {
      if (std::string why = MakeNameIndicator(*name, out); !why.empty()) return "file:name: " + why;
      return {};
    }
    return "file: nothing usable";
  }
  if (term.size() != 1) return "AND of several " + object + " comparisons";
  const Comparison& c = term.front();
  if (object == "x-trawl-keyword" && c.property == "value" && c.op == "=") {
    if (c.value.empty() || c.value.size() > kMaxValueBytes) return "bad keyword";
    if (std::string_view bad = BadText(c.value); !bad.empty()) return std::string(bad);
    out.kind = Kind::kKeyword;
    out.value = c.value;
    return {};
  }
  const char* family = object == "domain-name" ? "domain"
                       : object == "url"       ? "url"
                       : object == "ipv4-addr" ? "ipv4"
                       : object == "ipv6-addr" ? "ipv6"
                                               : nullptr;
  if (!family) return "object type " + object;
  if (c.property != "value") return object + ":" + c.property;
  if (c.op != "=") return "operator " + c.op + " on " + object + ":value";
  if (std::string why = MakeValue(family, c.value, out); !why.empty())
    return object + ":value: " + why + " ('" + EscapeControl(c.value.substr(0, 80)) + "')";
  return {};
}

// ---- Timestamps ---------------------------------------------------------

// RFC 3339 "YYYY-MM-DDTHH:MM:SS[.fff]Z" (STIX requires UTC) -> Unix seconds.
bool ParseTimestamp(std::string_view s, std::int64_t& out) {
  auto num = [&](size_t pos, size_t n, int& v) {
    if (pos + n > s.size()) return false;
    v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    return true;
  };
  int Y, M, D, h, m, sec;
  if (s.size() < 20 || !num(0, 4, Y) || s[4] != '-' || !num(5, 2, M) || s[7] != '-' ||
      !num(8, 2, D) || (s[10] != 'T' && s[10] != 't') || !num(11, 2, h) || s[13] != ':' ||
      !num(14, 2, m) || s[16] != ':' || !num(17, 2, sec))
    return false;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  if (i + 1 != s.size() || (s[i] != 'Z' && s[i] != 'z')) return false;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return false;
  const std::int64_t days = DaysFromCivil(Y, static_cast<unsigned>(M), static_cast<unsigned>(D));
  out = days * 86400 + h * 3600 + m * 60 + sec;
  return true;
}

// ---- Objects -------------------------------------------------------------

bool ReadScore(const Json& obj, std::string_view id, JsonSink& sink, int& score) {
  auto it = obj.find("x_trawl_score");
  if (it == obj.end()) return true;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > 100) {
    sink.Reject(id, "bad x_trawl_score", it->dump().substr(0, 40));
    return false;
  }
  score = static_cast<int>(it->get<std::int64_t>());
  return true;
}

void LoadIndicator(const Json& obj, std::string_view id, std::int64_t now, JsonSink& sink) {
  if (auto r = obj.find("revoked"); r != obj.end() && r->is_boolean() && r->get<bool>()) {
    sink.Count("revoked");
    return;
  }
  if (auto vu = obj.find("valid_until"); vu != obj.end()) {
    std::int64_t t;
    if (!vu->is_string() || !ParseTimestamp(vu->get_ref<const std::string&>(), t)) {
      sink.Reject(id, "bad valid_until",
                  vu->is_string() ? vu->get_ref<const std::string&>() : vu->type_name());
      return;
    }
    if (t <= now) {
      sink.Count("expired");
      return;
    }
  }
  auto pat = obj.find("pattern");
  if (pat == obj.end() || !pat->is_string()) {
    sink.Reject(id, "indicator without a pattern string");
    return;
  }
  const std::string& pattern = pat->get_ref<const std::string&>();
  std::string pattern_type = "stix";
  if (auto pt = obj.find("pattern_type"); pt != obj.end()) {
    if (!pt->is_string()) {
      sink.Reject(id, "pattern_type is not a string");
      return;
    }
    pattern_type = ToLowerAscii(pt->get_ref<const std::string&>());
  }
  Indicator base;
  if (!ReadScore(obj, id, sink, base.score)) return;
  std::string name = CleanDescription(StringOf(obj, "name"));
  std::string desc = CleanDescription(StringOf(obj, "description"));
  base.description = name.empty() ? desc : desc.empty() ? name : name + " - " + desc;
  std::string fp(StringOf(obj, "x_trawl_fp_regex"));

  if (pattern_type == "yara") {
    if (pattern.empty() || pattern.size() > kMaxRuleBytes) {
      sink.Reject(id, pattern.empty() ? "empty YARA rule" : "YARA rule too long");
      return;
    }
    if (std::string_view bad = BadText(pattern); bad == "NUL byte" || bad == "invalid UTF-8") {
      sink.Reject(id, std::string(bad) + " in a YARA rule");
      return;
    }
    Indicator ind = base;
    ind.kind = Kind::kYara;
    ind.value = pattern;
    sink.Add(std::move(ind), id);
    return;
  }
  if (pattern_type != "stix") {
    sink.Reject(id, "unsupported pattern_type", pattern_type);
    return;
  }
  if (pattern.size() > kMaxPatternBytes) {
    sink.Reject(id, "pattern too long");
    return;
  }
  Dnf dnf;
  std::string error;
  if (!ParsePattern(pattern, dnf, error)) {
    sink.Reject(id, "unsupported pattern: " + error, pattern);
    return;
  }
  // Every alternative must be usable, or none is loaded.
  std::vector<Indicator> out;
  for (const Term& term : dnf) {
    Indicator ind = base;
    if (std::string why = TermToIndicator(term, ind); !why.empty()) {
      sink.Reject(id, "unsupported pattern: " + why, pattern);
      return;
    }
    if (ind.kind == Kind::kFilename) ind.fp_regex = fp;
    out.push_back(std::move(ind));
  }
  for (Indicator& ind : out) sink.Add(std::move(ind), id);
}

// One cyber-observable of an observed-data object.
void LoadObservable(const Json& sco, const std::string& where, const Indicator& base,
                    JsonSink& sink) {
  std::string_view type = StringOf(sco, "type");
  Indicator ind = base;
  std::string why;
  if (type == "file") {
    Kind best = Kind::kKeyword;
    std::string best_value;
    if (auto h = sco.find("hashes"); h != sco.end() && h->is_object()) {
      for (const auto& [algo, v] : h->items()) {
        std::optional<Kind> k = HashProperty("hashes." + algo);
        if (!k || !v.is_string()) continue;  // other algorithms: the supported ones suffice
        Indicator hv;
        if (std::string w = MakeValue(KindName(*k), v.get_ref<const std::string&>(), hv);
            !w.empty()) {
          sink.Reject(where, "file hash " + algo + ": " + w, v.get_ref<const std::string&>());
          return;
        }
        if (best == Kind::kKeyword || Strength(*k) > Strength(best)) {
          best = *k;
          best_value = hv.value;
        }
      }
    }
    std::string_view name = StringOf(sco, "name");
    if (best != Kind::kKeyword) {
      ind.kind = best;
      ind.value = best_value;
      if (!name.empty())
        ind.description = CleanDescription("file " + std::string(name) +
                                           (ind.description.empty() ? "" : ": " + ind.description));
    } else if (!name.empty()) {
      why = MakeNameIndicator(name, ind);
    } else {
      sink.Reject(where, "file observable without a supported hash or a name");
      return;
    }
  } else if (type == "domain-name" || type == "url" || type == "ipv4-addr" || type == "ipv6-addr") {
    const char* family = type == "domain-name" ? "domain"
                         : type == "url"       ? "url"
                         : type == "ipv4-addr" ? "ipv4"
                                               : "ipv6";
    std::string_view v = StringOf(sco, "value");
    why = MakeValue(family, v, ind);
    if (!why.empty()) why += " ('" + EscapeControl(v.substr(0, 80)) + "')";
  } else {
    sink.Count("unsupported observable type");
    return;
  }
  if (!why.empty()) {
    sink.Reject(where, "observable: " + why);
    return;
  }
  sink.Add(std::move(ind), where);
}

void LoadObservedData(const Json& obj, std::string_view id,
                      const std::map<std::string, const Json*>& by_id, JsonSink& sink) {
  Indicator base;
  if (!ReadScore(obj, id, sink, base.score)) return;
  base.description = CleanDescription("STIX observed-data " + std::string(id));
  bool any = false;
  if (auto objs = obj.find("objects"); objs != obj.end() && objs->is_object()) {
    for (const auto& [key, sco] : objs->items()) {
      any = true;
      if (!sco.is_object()) {
        sink.Reject(std::string(id) + "/" + key, "observable is not a JSON object");
        continue;
      }
      LoadObservable(sco, std::string(id) + "/" + key, base, sink);
    }
  }
  if (auto refs = obj.find("object_refs"); refs != obj.end() && refs->is_array()) {
    for (const Json& r : *refs) {
      any = true;
      if (!r.is_string()) {
        sink.Reject(id, "object_refs holds a non-string");
        continue;
      }
      const std::string& ref = r.get_ref<const std::string&>();
      auto it = by_id.find(ref);
      if (it == by_id.end()) {
        sink.Reject(id, "object_refs: not in the bundle", ref);
        continue;
      }
      LoadObservable(*it->second, std::string(id) + "/" + ref, base, sink);
    }
  }
  if (!any) sink.Reject(id, "observed-data without objects or object_refs");
}

bool IsObservableType(std::string_view t) {
  static const std::set<std::string_view> kScos = {"artifact",
                                                   "autonomous-system",
                                                   "directory",
                                                   "domain-name",
                                                   "email-addr",
                                                   "email-message",
                                                   "file",
                                                   "ipv4-addr",
                                                   "ipv6-addr",
                                                   "mac-addr",
                                                   "mutex",
                                                   "network-traffic",
                                                   "process",
                                                   "software",
                                                   "url",
                                                   "user-account",
                                                   "windows-registry-key",
                                                   "x509-certificate"};
  return kScos.count(t) > 0;
}

}  // namespace

void LoadStixDoc(const Json& doc, const LoadOptions& options, JsonSink& sink) {
  std::int64_t now = options.now != 0 ? options.now : static_cast<std::int64_t>(std::time(nullptr));
  std::vector<const Json*> objects;
  if (doc.is_object() && StringOf(doc, "type") == "bundle") {
    auto it = doc.find("objects");
    if (it == doc.end()) return;  // an empty bundle
    if (!it->is_array()) {
      sink.Reject(StringOf(doc, "id").empty() ? "bundle" : StringOf(doc, "id"),
                  "bundle objects is not an array");
      return;
    }
    for (const Json& o : *it) objects.push_back(&o);
  } else if (doc.is_array()) {
    for (const Json& o : doc) objects.push_back(&o);
  } else {
    objects.push_back(&doc);
  }
  std::map<std::string, const Json*> by_id;
  std::set<std::string> referenced;
  for (const Json* o : objects) {
    std::string_view id = StringOf(*o, "id");
    if (!id.empty()) by_id.emplace(std::string(id), o);
    if (StringOf(*o, "type") == "observed-data")
      if (auto refs = o->find("object_refs"); refs != o->end() && refs->is_array())
        for (const Json& r : *refs)
          if (r.is_string()) referenced.insert(r.get<std::string>());
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    const Json& o = *objects[i];
    std::string where(StringOf(o, "id"));
    if (where.empty()) where = "objects[" + std::to_string(i) + "]";
    if (!o.is_object()) {
      sink.Reject(where, "not a JSON object");
      continue;
    }
    std::string_view type = StringOf(o, "type");
    if (type.empty()) {
      sink.Reject(where, "object without a type");
      continue;
    }
    if (type == "indicator") {
      LoadIndicator(o, where, now, sink);
    } else if (type == "observed-data") {
      LoadObservedData(o, where, by_id, sink);
    } else if (IsObservableType(type) || type.substr(0, 2) == "x-") {
      // Observables load through the observed-data that references them.
      if (!referenced.count(where)) sink.Count("observable outside observed-data");
    } else {
      sink.Count("other STIX objects");
    }
  }
}

}  // namespace trawl::ioc::internal
