#include "route.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <optional>

namespace trawl::yara::route {
namespace {

// --- Classes ---------------------------------------------------------------

struct Magic {
  Class cls;
  std::string_view bytes;
};

// In ClassOf's order; no magic is a prefix of another's.
constexpr Magic kMagics[] = {
    {kPe, std::string_view("MZ", 2)},
    {kElf, std::string_view("\x7f" "ELF", 4)},
    {kMachO, std::string_view("\xfe\xed\xfa\xce", 4)},
    {kMachO, std::string_view("\xfe\xed\xfa\xcf", 4)},
    {kMachO, std::string_view("\xce\xfa\xed\xfe", 4)},
    {kMachO, std::string_view("\xcf\xfa\xed\xfe", 4)},
    {kMachO, std::string_view("\xca\xfe\xba\xbe", 4)},
    {kMachO, std::string_view("\xbe\xba\xfe\xca", 4)},
    {kOle, std::string_view("\xd0\xcf\x11\xe0", 4)},
    {kZip, std::string_view("PK", 2)},
    {kPdf, std::string_view("%PDF", 4)},
    {kShebang, std::string_view("#!", 2)},
    {kPhp, std::string_view("<?", 2)},
    {kAsp, std::string_view("<%", 2)},
    {kLnk, std::string_view("\x4c\x00\x00\x00", 4)},
    {kRtf, std::string_view("{\\rt", 4)},
};

// --- Lexer -----------------------------------------------------------------

struct Token {
  std::string text;
  std::size_t begin = 0, end = 0;  // byte offsets in the source
};

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Lexes the whole unit. `in_body` switches on regex and hex-string literals;
// the caller's structure pass decides where rule bodies are, so the lexer
// tracks it itself: a '{' after a rule header opens a body, a '{' right after
// '=' inside a body is a hex string, the body's '}' closes it.
bool Lex(std::string_view s, std::vector<Token>& out) {
  std::size_t i = 0;
  bool in_body = false;
  bool header = false;  // saw `rule` at top level, waiting for '{'
  auto push = [&](std::size_t b, std::size_t e) {
    out.push_back({std::string(s.substr(b, e - b)), b, e});
  };
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      std::size_t e = s.find("*/", i + 2);
      if (e == std::string_view::npos) return false;
      i = e + 2;
      continue;
    }
    std::size_t b = i;
    if (c == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\') ++i;
        ++i;
      }
      if (i >= s.size()) return false;
      ++i;
      push(b, i);
      continue;
    }
    if (c == '/') {
      if (!in_body) return false;
      ++i;
      while (i < s.size() && s[i] != '/') {
        if (s[i] == '\n') return false;
        if (s[i] == '\\') ++i;
        ++i;
      }
      if (i >= s.size()) return false;
      ++i;
      while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
      push(b, i);
      continue;
    }
    if (c == '{') {
      if (!in_body) {
        if (!header) return false;
        header = false;
        in_body = true;
        push(b, ++i);
        continue;
      }
      if (out.empty() || out.back().text != "=") return false;
      // A hex string, which may hold comments (with braces in them).
      ++i;
      while (i < s.size() && s[i] != '}') {
        if (s.compare(i, 2, "//") == 0) {
          while (i < s.size() && s[i] != '\n') ++i;
        } else if (s.compare(i, 2, "/*") == 0) {
          std::size_t e = s.find("*/", i + 2);
          if (e == std::string_view::npos) return false;
          i = e + 2;
        } else {
          ++i;
        }
      }
      if (i >= s.size()) return false;
      push(b, ++i);
      continue;
    }
    if (c == '}') {
      if (!in_body) return false;
      in_body = false;
      push(b, ++i);
      continue;
    }
    if (IsIdentStart(c) || c == '$' || c == '#' || c == '@' || c == '!') {
      if (c == '!' && i + 1 < s.size() && s[i + 1] == '=') {
        i += 2;
        push(b, i);
        continue;
      }
      ++i;
      while (i < s.size() && (IsIdentChar(s[i]) || (c != '_' && !IsIdentStart(c) && s[i] == '*')))
        ++i;
      push(b, i);
      if (!in_body && out.back().text == "rule") header = true;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      ++i;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) ||
                              (s[i] == '.' && i + 1 < s.size() &&
                               std::isdigit(static_cast<unsigned char>(s[i + 1])))))
        ++i;
      push(b, i);
      continue;
    }
    static const char* const kTwo[] = {"==", "<=", ">=", "<<", ">>", ".."};
    bool two = false;
    for (const char* t : kTwo) {
      if (s.compare(i, 2, t) == 0) {
        i += 2;
        two = true;
        break;
      }
    }
    if (!two) ++i;
    push(b, i);
  }
  return !in_body && !header;
}

std::string Unquote(const std::string& t) {
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') return t.substr(1, t.size() - 2);
  return t;
}

// --- Three-valued evaluation ---------------------------------------------

// A set of possible outcomes of a boolean expression for one class.
using Outcomes = std::uint8_t;
constexpr Outcomes kT = 1, kF = 2, kU = 4, kAny = kT | kF | kU;

using Value = std::array<Outcomes, kRouteCount>;

void SetClass(Value& v, int cls, Outcomes o) { v[2 * cls] = v[2 * cls + 1] = o; }

Value Uniform(Outcomes o) {
  Value v;
  v.fill(o);
  return v;
}

Outcomes And(Outcomes a, Outcomes b) {
  Outcomes r = 0;
  if ((a & kT) && (b & kT)) r |= kT;
  if ((a & ~kT) || (b & ~kT)) r |= kF | kU;
  return r;
}
Outcomes Or(Outcomes a, Outcomes b) {
  Outcomes r = 0;
  if ((a & kT) || (b & kT)) r |= kT;
  if ((a & ~kT) && (b & ~kT)) r |= kF | kU;
  return r;
}
Outcomes Not(Outcomes a) {
  Outcomes r = 0;
  if (a & kF) r |= kT;
  if (a & kT) r |= kF;
  if (a & kU) r |= kU;
  return r;
}

std::optional<std::uint64_t> ParseInt(const std::string& t) {
  if (t.empty() || !std::isdigit(static_cast<unsigned char>(t[0]))) return std::nullopt;
  std::uint64_t v = 0;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    if (t.size() > 18) return std::nullopt;
    for (std::size_t i = 2; i < t.size(); ++i) {
      int d = std::isdigit(static_cast<unsigned char>(t[i]))
                  ? t[i] - '0'
                  : (std::isxdigit(static_cast<unsigned char>(t[i]))
                         ? std::tolower(static_cast<unsigned char>(t[i])) - 'a' + 10
                         : -1);
      if (d < 0) return std::nullopt;
      v = v * 16 + static_cast<std::uint64_t>(d);
    }
    return v;
  }
  if (t.size() > 18) return std::nullopt;
  for (char ch : t) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  return v;
}

// uintN / uintNbe at a literal offset compared with a literal: the outcomes
// per class. Anything else: nullopt.
std::optional<Value> MagicTest(const std::vector<std::string>& t) {
  // Normalise "V op F ( K )" to "F ( K ) op V".
  std::vector<std::string> a = t;
  if (a.size() == 6 && a[2].rfind("uint", 0) == 0) {
    a = {t[2], t[3], t[4], t[5], t[1], t[0]};
  }
  if (a.size() != 6 || a[1] != "(" || a[3] != ")" || (a[4] != "==" && a[4] != "!=")) {
    return std::nullopt;
  }
  static const struct {
    const char* name;
    int width;
    bool be;
  } kFns[] = {{"uint8", 1, false},   {"uint16", 2, false},  {"uint32", 4, false},
              {"uint8be", 1, true}, {"uint16be", 2, true}, {"uint32be", 4, true}};
  int width = 0;
  bool be = false;
  for (const auto& f : kFns) {
    if (a[0] == f.name) {
      width = f.width;
      be = f.be;
    }
  }
  if (width == 0) return std::nullopt;
  auto off = ParseInt(a[2]);
  auto val = ParseInt(a[5]);
  if (!off || !val || *off > 64) return std::nullopt;
  if (width < 8 && *val >> (8 * width) != 0) return std::nullopt;
  std::string bytes(static_cast<std::size_t>(width), '\0');
  for (int k = 0; k < width; ++k) {
    int shift = be ? 8 * (width - 1 - k) : 8 * k;
    bytes[static_cast<std::size_t>(k)] = static_cast<char>((*val >> shift) & 0xff);
  }
  const std::size_t o = static_cast<std::size_t>(*off);
  const std::size_t w = static_cast<std::size_t>(width);
  Value eq = Uniform(0);
  for (const Magic& m : kMagics) {
    Outcomes r;
    if (o >= m.bytes.size()) {
      r = kAny;
    } else {
      std::size_t end = std::min(o + w, m.bytes.size());
      bool mismatch = false;
      for (std::size_t p = o; p < end; ++p) mismatch |= m.bytes[p] != bytes[p - o];
      bool full = o + w <= m.bytes.size();
      r = mismatch ? (full ? kF : kF | kU) : (full ? kT : kAny);
    }
    eq[2 * m.cls] |= r;
    eq[2 * m.cls + 1] |= r;
  }
  // OTHER: a file that starts with no class's magic. If the compared bytes
  // begin with some magic, equality would put the file in that class.
  SetClass(eq, kOther, kAny);
  if (o == 0) {
    for (const Magic& m : kMagics) {
      if (m.bytes.size() <= w && bytes.compare(0, m.bytes.size(), m.bytes) == 0) {
        SetClass(eq, kOther, kF | kU);
      }
    }
  }
  if (a[4] == "!=") {
    for (Outcomes& x : eq) {
      Outcomes r = x & kU;
      if (x & kT) r |= kF;
      if (x & kF) r |= kT;
      x = r;
    }
  }
  return eq;
}

// A pe.* expression that libyara leaves undefined when the file is not a PE:
// every field the parser sets (lower-case names, not `is_pe`; the constants
// such as pe.DLL are upper-case and defined everywhere) and the functions
// below, which return undefined without a parsed PE. With only literals and
// operators around it (all of which propagate undefined) the atom is
// undefined on every class but PE.
bool PeUndefinedAtom(const std::vector<std::string>& a) {
  static const char* const kFns[] = {"imphash", "exports", "imports", "is_dll",
                                     "is_32bit", "is_64bit", "section_index"};
  static const char* const kOps[] = {"==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "\\",
                                     "%", "&", "|", "^", "<<", ">>", "~", "contains",
                                     "icontains", "startswith", "istartswith", "endswith",
                                     "iendswith", "iequals", "matches"};
  bool seen = false;
  for (std::size_t i = 0; i < a.size();) {
    const std::string& x = a[i];
    if (x == "pe" && i + 2 < a.size() && a[i + 1] == ".") {
      const std::string& f = a[i + 2];
      bool upper = std::none_of(f.begin(), f.end(),
                                [](char ch) { return std::islower(static_cast<unsigned char>(ch)); });
      bool lower = std::none_of(f.begin(), f.end(),
                                [](char ch) { return std::isupper(static_cast<unsigned char>(ch)); });
      bool call = i + 3 < a.size() && a[i + 3] == "(";
      if (call) {
        if (std::find(std::begin(kFns), std::end(kFns), f) == std::end(kFns)) return false;
        int depth = 0;
        std::size_t k = i + 3;
        for (; k < a.size(); ++k) {
          if (a[k] == "(") ++depth;
          if (a[k] == ")" && --depth == 0) break;
        }
        if (k >= a.size()) return false;
        i = k + 1;
        seen = true;
      } else if (upper) {
        i += 3;  // a constant such as pe.MACHINE_AMD64: defined, an operand
      } else {
        if (!lower || f == "is_pe") return false;
        i += 3;
        // Members and indices of an undefined structure are undefined.
        while (i < a.size() && (a[i] == "[" || a[i] == ".")) {
          if (a[i] == ".") {
            if (i + 1 >= a.size()) return false;
            i += 2;
            continue;
          }
          int depth = 0;
          for (; i < a.size(); ++i) {
            if (a[i] == "[") ++depth;
            if (a[i] == "]" && --depth == 0) break;
          }
          if (i >= a.size()) return false;
          ++i;
        }
        seen = true;
      }
      continue;
    }
    // "$a at <undefined>" is undefined.
    if (!x.empty() && x[0] == '$' && i + 1 < a.size() && a[i + 1] == "at") {
      i += 2;
      continue;
    }
    bool literal = ParseInt(x).has_value() || (!x.empty() && (x[0] == '"' || x[0] == '/'));
    bool op = std::find(std::begin(kOps), std::end(kOps), x) != std::end(kOps) || x == "(" ||
              x == ")";
    if (!literal && !op) return false;
    ++i;
  }
  return seen;
}

// "for any i in (X .. Y) : (...)" where X or Y is undefined on non-PE files:
// an undefined bound ends the iteration at once, so `any` is false there.
bool PeEmptyForAny(const std::vector<std::string>& a) {
  if (a.size() < 8 || a[0] != "for" || a[1] != "any" || a[3] != "in" || a[4] != "(") return false;
  std::size_t dots = 0, close = 0;
  int depth = 0;
  for (std::size_t k = 4; k < a.size(); ++k) {
    if (a[k] == "(") ++depth;
    if (a[k] == ")" && --depth == 0) {
      close = k;
      break;
    }
    if (a[k] == ".." && depth == 1) dots = k;
  }
  if (dots == 0 || close == 0 || close + 1 >= a.size() || a[close + 1] != ":") return false;
  std::vector<std::string> lo(a.begin() + 5, a.begin() + static_cast<std::ptrdiff_t>(dots));
  std::vector<std::string> hi(a.begin() + static_cast<std::ptrdiff_t>(dots) + 1,
                              a.begin() + static_cast<std::ptrdiff_t>(close));
  return PeUndefinedAtom(lo) || PeUndefinedAtom(hi);
}

// The condition as a tree of and / or / not over opaque atoms.
struct Node {
  enum Kind { kAtom, kAnd, kOr, kNot } kind = kAtom;
  std::vector<int> kids;
  std::size_t begin = 0, end = 0;  // an atom's tokens
  bool paren = false;              // written in parentheses
  Value value{};
};

// "filesize OP N" or "N OP filesize" (N with an optional KB / MB suffix):
// decided per size bucket ([0, kLargeFile) and [kLargeFile, inf)); filesize
// is always defined.
std::optional<Value> FilesizeTest(const std::vector<std::string>& a) {
  if (a.size() != 3) return std::nullopt;
  std::string op = a[1];
  std::string num;
  if (a[0] == "filesize") {
    num = a[2];
  } else if (a[2] == "filesize") {
    num = a[0];
    static const std::pair<const char*, const char*> kFlip[] = {
        {"<", ">"}, {">", "<"}, {"<=", ">="}, {">=", "<="}, {"==", "=="}, {"!=", "!="}};
    bool found = false;
    for (const auto& [from, to] : kFlip) {
      if (op == from) {
        op = to;
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
  } else {
    return std::nullopt;
  }
  std::uint64_t mult = 1;
  if (num.size() > 2 && (num.compare(num.size() - 2, 2, "KB") == 0 ||
                         num.compare(num.size() - 2, 2, "MB") == 0)) {
    mult = num[num.size() - 2] == 'K' ? 1024 : 1024 * 1024;
    num.resize(num.size() - 2);
  }
  auto v = ParseInt(num);
  if (!v || *v > (1ull << 40)) return std::nullopt;
  const std::uint64_t n = *v * mult;
  Value out;
  for (int big = 0; big < 2; ++big) {
    const std::uint64_t lo = big ? kLargeFile : 0;
    const std::uint64_t hi = big ? ~0ull : kLargeFile - 1;  // inclusive
    Outcomes r = kT | kF;
    if (op == "<") {
      r = hi < n ? kT : (lo >= n ? kF : kT | kF);
    } else if (op == "<=") {
      r = hi <= n ? kT : (lo > n ? kF : kT | kF);
    } else if (op == ">") {
      r = lo > n ? kT : (hi <= n ? kF : kT | kF);
    } else if (op == ">=") {
      r = lo >= n ? kT : (hi < n ? kF : kT | kF);
    } else if (op == "==") {
      r = (n < lo || n > hi) ? kF : kT | kF;
    } else if (op == "!=") {
      r = (n < lo || n > hi) ? kT : kT | kF;
    } else {
      return std::nullopt;
    }
    for (int c = 0; c < kClassCount; ++c) out[2 * c + big] = r;
  }
  return out;
}

bool IsStringId(const std::string& x) { return x.size() > 1 && x[0] == '$'; }

// Which strings of a rule are taken as not matched: all of them (one ==
// nullptr) or the one string `*one`. `ids` lists the rule's strings in
// order, one entry per string ("$" for each anonymous one), for `them` and
// wildcards.
struct Absence {
  const std::vector<std::string>* ids = nullptr;
  const std::string* one = nullptr;
  bool Absent(const std::string& id) const { return one == nullptr || id == *one; }
};

// An atom that is false (or undefined, never true) when the absent strings
// did not match: `$a`, `$a at E`, `$a in (R)`, `N of S` with N >= 1 (also
// `any`, `all`) over `them` or a list of string identifiers (wildcards too),
// optionally followed by `at` / `in`, and `#a > K` (K >= 0), `#a >= K` /
// `#a == K` (K >= 1), mirrored forms too. Anything else: not known.
bool StringAtomFalse(const std::vector<std::string>& a, const Absence& ab) {
  if (a.empty()) return false;
  auto single = [&](const std::string& x) {
    return IsStringId(x) && x.find('*') == std::string::npos && ab.Absent(x);
  };
  if (a.size() == 1) return single(a[0]);
  if (a[1] == "at" || a[1] == "in") return single(a[0]);
  if (a.size() >= 3 && a[1] == "of") {
    std::uint64_t need = 0;  // 0: all
    if (a[0] == "any") {
      need = 1;
    } else if (a[0] != "all") {
      auto n = ParseInt(a[0]);
      if (!n || *n == 0) return false;
      need = *n;
    }
    std::uint64_t n = 0, absent = 0;
    auto count = [&](const std::string& item) {
      bool wild = !item.empty() && item.back() == '*';
      if (!wild) {
        ++n;
        if (ab.Absent(item)) ++absent;
        return;
      }
      if (ab.ids == nullptr) {  // every string absent: any number of them
        n += 1;
        absent += 1;
        return;
      }
      std::string prefix = item.substr(0, item.size() - 1);
      for (const std::string& id : *ab.ids) {
        if (id.compare(0, prefix.size(), prefix) != 0) continue;
        ++n;
        if (ab.Absent(id)) ++absent;
      }
    };
    std::size_t i = 2;
    if (a[i] == "them") {
      count("$*");
      ++i;
    } else if (a[i] == "(") {
      ++i;
      for (bool want_id = true; i < a.size() && a[i] != ")"; ++i, want_id = !want_id) {
        if (want_id ? !IsStringId(a[i]) && a[i] != "$*" : a[i] != ",") return false;
        if (want_id) count(a[i]);
      }
      if (i >= a.size()) return false;
      ++i;
    } else {
      return false;
    }
    if (!(i == a.size() || a[i] == "at" || a[i] == "in") || n == 0) return false;
    if (need == 0) return absent >= 1;  // all of a set with an absent string
    return n - absent < need;
  }
  if (a.size() == 3) {
    std::string op = a[1];
    std::string count = a[0], num = a[2];
    if (a[2].size() > 1 && a[2][0] == '#') {
      count = a[2];
      num = a[0];
      if (op == "<")
        op = ">";
      else if (op == "<=")
        op = ">=";
      else if (op != "==")
        return false;
    }
    if (count.size() < 2 || count[0] != '#' || count.find('*') != std::string::npos) return false;
    if (!ab.Absent("$" + count.substr(1))) return false;
    auto k = ParseInt(num);
    if (!k) return false;
    if (op == ">") return true;
    if (op == ">=" || op == "==") return *k >= 1;
  }
  return false;
}

class Parser {
 public:
  // absence: evaluate as on a file where those strings of the rule did not
  // match (their atoms are false); null: no such assumption.
  Parser(const std::vector<std::string>& t,
         const std::vector<std::pair<std::string, RouteMask>>& known,
         const Absence* absence = nullptr)
      : t_(t), known_(known), absence_(absence) {}

  // The root node, or -1 when the tokens do not parse as expected.
  int Run() {
    int root = ParseOr();
    return pos_ == t_.size() ? root : -1;
  }
  const Node& node(int i) const { return nodes_[static_cast<std::size_t>(i)]; }

 private:
  bool AtBoundary() const {
    return pos_ >= t_.size() || t_[pos_] == "and" || t_[pos_] == "or" || t_[pos_] == ")";
  }
  int Add(Node n) {
    nodes_.push_back(std::move(n));
    return static_cast<int>(nodes_.size() - 1);
  }
  int Binary(Node::Kind kind, const char* word, int (Parser::*next)()) {
    int first = (this->*next)();
    if (pos_ >= t_.size() || t_[pos_] != word) return first;
    Node n;
    n.kind = kind;
    n.kids.push_back(first);
    n.value = nodes_[static_cast<std::size_t>(first)].value;
    while (pos_ < t_.size() && t_[pos_] == word) {
      ++pos_;
      int k = (this->*next)();
      n.kids.push_back(k);
      const Value& r = nodes_[static_cast<std::size_t>(k)].value;
      for (int c = 0; c < kRouteCount; ++c)
        n.value[c] = kind == Node::kAnd ? And(n.value[c], r[c]) : Or(n.value[c], r[c]);
    }
    return Add(std::move(n));
  }
  int ParseOr() { return Binary(Node::kOr, "or", &Parser::ParseAnd); }
  int ParseAnd() { return Binary(Node::kAnd, "and", &Parser::ParseNot); }
  int ParseNot() {
    if (pos_ < t_.size() && t_[pos_] == "not" && depth_ < kMaxDepth) {
      ++depth_;
      ++pos_;
      Node n;
      n.kind = Node::kNot;
      int k = ParseNot();
      n.kids.push_back(k);
      for (int c = 0; c < kRouteCount; ++c)
        n.value[c] = Not(nodes_[static_cast<std::size_t>(k)].value[c]);
      --depth_;
      return Add(std::move(n));
    }
    return ParseAtom();
  }
  int ParseAtom() {
    // Deeper nesting than kMaxDepth is one opaque (unknown) atom: the
    // recursion stays bounded whatever the rule text.
    if (pos_ < t_.size() && t_[pos_] == "(" && depth_ < kMaxDepth) {
      std::size_t save = pos_;
      std::size_t mark = nodes_.size();
      ++pos_;
      ++depth_;
      int inner = ParseOr();
      --depth_;
      if (pos_ < t_.size() && t_[pos_] == ")") {
        ++pos_;
        if (AtBoundary()) {
          Node& in = nodes_[static_cast<std::size_t>(inner)];
          if (!in.paren) {
            in.paren = true;
            return inner;
          }
          // "((x))": an `and` of one child carries the outer pair.
          Node n;
          n.kind = Node::kAnd;
          n.kids.push_back(inner);
          n.value = in.value;
          n.paren = true;
          return Add(std::move(n));
        }
      }
      pos_ = save;  // e.g. "(a + b) == c": an opaque term
      nodes_.resize(mark);
    }
    Node n;
    n.begin = pos_;
    int depth = 0;
    while (pos_ < t_.size()) {
      const std::string& x = t_[pos_];
      if (depth == 0 && (x == "and" || x == "or" || x == ")")) break;
      if (x == "(" || x == "[") ++depth;
      if (x == ")" || x == "]") --depth;
      ++pos_;
    }
    n.end = pos_;
    n.value = Atom(std::vector<std::string>(t_.begin() + static_cast<std::ptrdiff_t>(n.begin),
                                            t_.begin() + static_cast<std::ptrdiff_t>(n.end)));
    return Add(std::move(n));
  }
  Value Atom(const std::vector<std::string>& a) const {
    if (a.size() == 1 && a[0] == "true") return Uniform(kT);
    if (a.size() == 1 && a[0] == "false") return Uniform(kF);
    if (a.size() == 1) {
      for (auto it = known_.rbegin(); it != known_.rend(); ++it) {
        if (it->first != a[0]) continue;
        Value v;
        for (int c = 0; c < kRouteCount; ++c) v[c] = (it->second >> c) & 1 ? kT | kF : kF;
        return v;
      }
    }
    if (absence_ != nullptr && StringAtomFalse(a, *absence_)) return Uniform(kF);
    // pe.is_pe: the pe module finds no PE in a file that does not start with MZ.
    if (a.size() == 3 && a[0] == "pe" && a[1] == "." && a[2] == "is_pe") {
      Value v = Uniform(kF | kU);
      SetClass(v, kPe, kAny);
      return v;
    }
    if (PeUndefinedAtom(a)) {
      Value v = Uniform(kU);
      SetClass(v, kPe, kAny);
      return v;
    }
    if (PeEmptyForAny(a)) {
      Value v = Uniform(kF | kU);
      SetClass(v, kPe, kAny);
      return v;
    }
    if (auto m = MagicTest(a)) return *m;
    if (auto f = FilesizeTest(a)) return *f;
    return Uniform(kAny);
  }

  const std::vector<std::string>& t_;
  const std::vector<std::pair<std::string, RouteMask>>& known_;
  const Absence* absence_ = nullptr;
  static constexpr int kMaxDepth = 200;
  std::vector<Node> nodes_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

// Whether a node cannot be true on any class of `mask`.
bool NeverTrue(const Node& n, RouteMask mask) {
  for (int c = 0; c < kRouteCount; ++c) {
    if (((mask >> c) & 1) && (n.value[c] & kT)) return false;
  }
  return true;
}

// The tokens of node `i`, with every subexpression that cannot be true on
// `mask` replaced by a false that keeps its string references (libyara
// refuses unreferenced strings). Only where no `not` is above: there false
// and undefined act alike (neither makes an and / or true).
void Emit(const Parser& p, int i, const std::vector<std::string>& t, RouteMask mask,
          bool under_not, std::vector<std::string>& out) {
  const Node& n = p.node(i);
  const bool dead = !under_not && NeverTrue(n, mask);
  if (n.paren && !dead) out.push_back("(");
  if (dead) {
    std::vector<std::string> refs;
    bool them = false;
    // Gather the string references of the subtree from its tokens.
    std::vector<int> stack{i};
    while (!stack.empty()) {
      const Node& m = p.node(stack.back());
      stack.pop_back();
      for (int k : m.kids) stack.push_back(k);
      for (std::size_t k = m.begin; k < m.end; ++k) {
        const std::string& x = t[k];
        if (x == "them") them = true;
        if (x.size() > 1 && (x[0] == '$' || x[0] == '#' || x[0] == '@' || x[0] == '!')) {
          std::string id = "$" + x.substr(1);
          if (std::find(refs.begin(), refs.end(), id) == refs.end()) refs.push_back(id);
        }
      }
    }
    if (them) {
      out.insert(out.end(), {"(", "false", "and", "any", "of", "them", ")"});
    } else if (!refs.empty()) {
      out.insert(out.end(), {"(", "false", "and", "any", "of", "("});
      for (std::size_t k = 0; k < refs.size(); ++k) {
        if (k) out.push_back(",");
        out.push_back(refs[k]);
      }
      out.insert(out.end(), {")", ")"});
    } else {
      out.push_back("false");
    }
  } else if (n.kind == Node::kAtom) {
    out.insert(out.end(), t.begin() + static_cast<std::ptrdiff_t>(n.begin),
               t.begin() + static_cast<std::ptrdiff_t>(n.end));
  } else if (n.kind == Node::kNot) {
    out.push_back("not");
    Emit(p, n.kids[0], t, mask, true, out);
  } else {
    for (std::size_t k = 0; k < n.kids.size(); ++k) {
      if (k) out.push_back(n.kind == Node::kAnd ? "and" : "or");
      Emit(p, n.kids[k], t, mask, under_not, out);
    }
  }
  if (n.paren && !dead) out.push_back(")");
}

// --- Prefilter patterns ----------------------------------------------------

std::string HexByte(unsigned b) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  out += kHex[(b >> 4) & 15];
  out += kHex[b & 15];
  return out;
}

// A text string's bytes from its source token ("..." with YARA's escapes:
// \" \\ \t \n \r \xHH). False on anything else.
bool UnescapeText(const std::string& tok, std::string& out) {
  if (tok.size() < 2 || tok.front() != '"' || tok.back() != '"') return false;
  const std::string body = tok.substr(1, tok.size() - 2);
  out.clear();
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= body.size()) return false;
    char e = body[i];
    if (e == '"' || e == '\\') {
      out += e;
    } else if (e == 't') {
      out += '\t';
    } else if (e == 'n') {
      out += '\n';
    } else if (e == 'r') {
      out += '\r';
    } else if (e == 'x' && i + 2 < body.size() &&
               std::isxdigit(static_cast<unsigned char>(body[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(body[i + 2]))) {
      out += static_cast<char>(std::stoi(body.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      return false;
    }
  }
  return !out.empty();
}

// An expression for exact bytes; with nocase, letters as [Aa].
std::string LiteralExpr(const std::string& bytes, bool nocase) {
  std::string e;
  for (char ch : bytes) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (nocase && std::isalpha(c)) {
      e += '[';
      e += static_cast<char>(std::toupper(c));
      e += static_cast<char>(std::tolower(c));
      e += ']';
    } else {
      e += HexByte(c);
    }
  }
  return e;
}

// A hex string as a regex (jumps as bounded dots, alternatives as groups,
// nibbles as classes), and in `fragment` its longest run of fixed bytes
// outside any alternative (every match holds it). False on a token it does
// not know.
bool HexExpr(const std::string& tok, std::string& out, std::string& fragment) {
  if (tok.size() < 2 || tok.front() != '{' || tok.back() != '}') return false;
  std::string body;
  for (std::size_t i = 1; i + 1 < tok.size(); ++i) {  // strip comments
    if (tok.compare(i, 2, "//") == 0) {
      while (i + 1 < tok.size() && tok[i] != '\n') ++i;
    } else if (tok.compare(i, 2, "/*") == 0) {
      std::size_t e = tok.find("*/", i + 2);
      if (e == std::string::npos) return false;
      i = e + 1;
    } else if (!std::isspace(static_cast<unsigned char>(tok[i]))) {
      body += tok[i];
    }
  }
  out.clear();
  auto hexval = [](char c) {
    return std::isdigit(static_cast<unsigned char>(c))
               ? c - '0'
               : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
  };
  bool any_byte = false;
  int depth = 0;
  std::string run;
  fragment.clear();
  auto end_run = [&] {
    if (run.size() > fragment.size()) fragment = run;
    run.clear();
  };
  for (std::size_t i = 0; i < body.size();) {
    char c = body[i];
    bool fixed = false;
    if (c == '(') {
      out += "(?:";
      ++depth;
      ++i;
    } else if (c == ')' || c == '|') {
      if (c == ')') --depth;
      out += c;
      ++i;
    } else if (c == '[') {
      std::size_t e = body.find(']', i);
      if (e == std::string::npos) return false;
      std::string j = body.substr(i + 1, e - i - 1);
      std::size_t dash = j.find('-');
      std::string lo = dash == std::string::npos ? j : j.substr(0, dash);
      std::string hi = dash == std::string::npos ? j : j.substr(dash + 1);
      for (const std::string* x : {&lo, &hi}) {
        if (!std::all_of(x->begin(), x->end(),
                         [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }))
          return false;
      }
      if (dash == std::string::npos && lo.empty()) return false;
      if (dash == std::string::npos) {
        out += ".{" + lo + "}";
      } else {
        out += ".{" + (lo.empty() ? std::string("0") : lo) + "," + hi + "}";
      }
      i = e + 1;
    } else if (i + 1 < body.size() && (std::isxdigit(static_cast<unsigned char>(c)) || c == '?') &&
               (std::isxdigit(static_cast<unsigned char>(body[i + 1])) || body[i + 1] == '?')) {
      char d = body[i + 1];
      if (c == '?' && d == '?') {
        out += '.';
      } else if (c == '?') {
        out += '[';
        for (int h = 0; h < 16; ++h) out += HexByte(static_cast<unsigned>(h * 16 + hexval(d)));
        out += ']';
      } else if (d == '?') {
        unsigned h = static_cast<unsigned>(hexval(c)) * 16;
        out += "[" + HexByte(h) + "-" + HexByte(h + 15) + "]";
      } else {
        out += HexByte(static_cast<unsigned>(hexval(c) * 16 + hexval(d)));
        if (depth == 0) {
          run += static_cast<char>(hexval(c) * 16 + hexval(d));
          fixed = true;
        }
      }
      any_byte = true;
      i += 2;
    } else {
      return false;  // e.g. ~ (not-byte) or a stray character
    }
    if (!fixed) end_run();
  }
  end_run();
  return any_byte && depth == 0;
}

constexpr std::size_t kHexFragment = 4;

// A YARA regex body in PCRE syntax: `{,n}` (YARA: 0 to n) becomes `{0,n}`.
std::string RegexExpr(const std::string& body) {
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\' && i + 1 < body.size()) {
      out += c;
      out += body[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < body.size() && body[i + 1] == '^') out += body[++i];
      if (i + 1 < body.size() && body[i + 1] == ']') out += body[++i];
      continue;
    }
    out += c;
    if (c == '{' && i + 1 < body.size() && body[i + 1] == ',') out += '0';
  }
  return out;
}

}  // namespace

bool StringPatterns(std::string_view rule_text, std::vector<StringPattern>& out,
                    std::vector<std::string>* ids) {
  std::vector<Token> t;
  if (!Lex(rule_text, t)) return false;
  std::size_t i = 0;
  while (i + 1 < t.size() && !(t[i].text == "strings" && t[i + 1].text == ":")) {
    if (t[i].text == "condition" && t[i + 1].text == ":") return true;  // no strings
    ++i;
  }
  if (i + 1 >= t.size()) return false;
  i += 2;
  bool ok = true;
  std::size_t tag_from = out.size();  // patterns from here on belong to tag_id
  std::string tag_id;
  while (i < t.size() && !(t[i].text == "condition" && i + 1 < t.size() && t[i + 1].text == ":")) {
    if (!(t[i].text[0] == '$' && i + 2 < t.size() && t[i + 1].text == "=")) return false;
    const std::string& sid = t[i].text;
    if (ids != nullptr) ids->push_back(sid);
    for (std::size_t k = tag_from; k < out.size(); ++k) out[k].id = tag_id;
    tag_from = out.size();
    tag_id = sid;
    const std::string& value = t[i + 2].text;
    i += 3;
    bool nocase = false, wide = false, ascii = false, xr = false, base64 = false;
    unsigned xlo = 0, xhi = 255;
    while (i < t.size() && t[i].text[0] != '$' && t[i].text != "condition") {
      const std::string& m = t[i].text;
      if (m == "nocase") {
        nocase = true;
      } else if (m == "wide") {
        wide = true;
      } else if (m == "ascii") {
        ascii = true;
      } else if (m == "fullword" || m == "private") {
      } else if (m == "xor") {
        xr = true;
        if (i + 1 < t.size() && t[i + 1].text == "(") {
          std::size_t e = i + 1;
          while (e < t.size() && t[e].text != ")") ++e;
          if (e >= t.size()) return false;
          std::vector<std::string> args;
          for (std::size_t k = i + 2; k < e; ++k) args.push_back(t[k].text);
          auto lo = args.empty() ? std::nullopt : ParseInt(args[0]);
          if (args.size() == 1 && lo && *lo < 256) {
            xlo = xhi = static_cast<unsigned>(*lo);
          } else if (args.size() == 3 && args[1] == "-" && lo && ParseInt(args[2]) &&
                     *ParseInt(args[2]) < 256) {
            xlo = static_cast<unsigned>(*lo);
            xhi = static_cast<unsigned>(*ParseInt(args[2]));
          } else {
            ok = false;
          }
          i = e;
        }
      } else if (m == "base64" || m == "base64wide") {
        base64 = true;
        if (i + 1 < t.size() && t[i + 1].text == "(") {
          while (i < t.size() && t[i].text != ")") ++i;
        }
      } else {
        ok = false;  // a modifier this code does not know
      }
      ++i;
    }
    if (!ascii && !wide) ascii = true;
    if (base64) {
      ok = false;
      continue;
    }
    if (value.empty()) return false;
    if (value[0] == '"') {
      std::string bytes;
      if (!UnescapeText(value, bytes)) {
        ok = false;
        continue;
      }
      std::vector<std::string> forms;
      if (ascii) forms.push_back(bytes);
      if (wide) {
        std::string w;
        for (char ch : bytes) {
          w += ch;
          w += '\0';
        }
        forms.push_back(w);
      }
      for (const std::string& f : forms) {
        if (!xr) {
          out.push_back({LiteralExpr(f, nocase), false, false, true});
          continue;
        }
        for (unsigned k = xlo; k <= xhi; ++k) {
          std::string x = f;
          for (char& ch : x) ch = static_cast<char>(static_cast<unsigned char>(ch) ^ k);
          out.push_back({LiteralExpr(x, false), false, false, true});
        }
      }
    } else if (value[0] == '{') {
      std::string e, fragment;
      if (xr || nocase || wide || !HexExpr(value, e, fragment)) {
        ok = false;
        continue;
      }
      // A fixed run of kHexFragment bytes or more stands for the string as a
      // plain literal: several times cheaper for Vectorscan to compile than
      // the regex, and about as selective.
      if (fragment.size() >= kHexFragment) {
        out.push_back({LiteralExpr(fragment, false), false, false, true});
      } else {
        out.push_back({e, false, true, false});
      }
    } else if (value[0] == '/') {
      std::size_t close = value.rfind('/');
      if (close == 0 || wide || xr) {
        ok = false;
        continue;
      }
      std::string flags = value.substr(close + 1);
      StringPattern p;
      p.expr = RegexExpr(value.substr(1, close - 1));
      p.caseless = nocase || flags.find('i') != std::string::npos;
      p.dotall = flags.find('s') != std::string::npos;
      if (flags.find_first_not_of("is") != std::string::npos) ok = false;
      out.push_back(std::move(p));
    } else {
      return false;
    }
  }
  for (std::size_t k = tag_from; k < out.size(); ++k) out[k].id = tag_id;
  return ok;
}

namespace {}  // namespace

const char* ClassName(int c) {
  static const char* const kNames[kClassCount] = {"pe",  "elf", "macho", "ole", "zip", "pdf",
                                                  "script", "php", "asp", "lnk", "rtf", "other"};
  return c >= 0 && c < kClassCount ? kNames[c] : "?";
}

int RouteOf(const std::uint8_t* data, std::size_t n) {
  return 2 * ClassOf(data, n) + (n >= kLargeFile ? 1 : 0);
}

Class ClassOf(const std::uint8_t* data, std::size_t n) {
  for (const Magic& m : kMagics) {
    if (n >= m.bytes.size() && std::memcmp(data, m.bytes.data(), m.bytes.size()) == 0) return m.cls;
  }
  return kOther;
}

SplitUnit SplitSource(std::string_view text) {
  SplitUnit u;
  std::vector<Token> t;
  if (!Lex(text, t)) return u;
  std::size_t i = 0;
  while (i < t.size()) {
    if (t[i].text == "import" || t[i].text == "include") {
      if (i + 1 >= t.size() || t[i + 1].text.empty() || t[i + 1].text[0] != '"') return u;
      if (t[i].text == "include") {
        u.has_include = true;
      } else {
        u.imports.push_back(Unquote(t[i + 1].text));
      }
      i += 2;
      continue;
    }
    RuleText r;
    std::size_t begin = t[i].begin;
    while (i < t.size() && (t[i].text == "private" || t[i].text == "global")) {
      (t[i].text == "private" ? r.is_private : r.is_global) = true;
      ++i;
    }
    if (i + 1 >= t.size() || t[i].text != "rule" || !IsIdentStart(t[i + 1].text[0])) return u;
    r.name = t[i + 1].text;
    i += 2;
    while (i < t.size() && t[i].text != "{") ++i;  // tags
    if (i >= t.size()) return u;
    ++i;
    std::size_t body = i;
    while (i < t.size() && t[i].text != "}") ++i;
    if (i >= t.size()) return u;
    std::size_t close = i++;
    bool found = false;
    for (std::size_t k = body; k + 1 < close; ++k) {
      if (t[k].text == "condition" && t[k + 1].text == ":") {
        for (std::size_t m = k + 2; m < close; ++m) r.condition.push_back(t[m].text);
        r.condition_at = t[k + 1].end - begin;
        found = true;
        break;
      }
    }
    if (!found || r.condition.empty()) return u;
    r.text = std::string(text.substr(begin, t[close].end - begin));
    u.rules.push_back(std::move(r));
  }
  u.ok = true;
  return u;
}

bool UsesExternal(const std::vector<std::string>& tokens, std::string_view name) {
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] == name && (i == 0 || tokens[i - 1] != ".")) return true;
  }
  return false;
}

RouteMask ConditionRoutes(const std::vector<std::string>& tokens,
                          const std::vector<std::pair<std::string, RouteMask>>& known) {
  Parser p(tokens, known);
  int root = p.Run();
  if (root < 0) return kAllRoutes;
  const Value& v = p.node(root).value;
  RouteMask m = 0;
  for (int c = 0; c < kRouteCount; ++c) {
    if (v[c] & kT) m |= 1u << c;
  }
  return m;
}

namespace {
ClassMask ClassesOf(RouteMask r) {
  ClassMask m = 0;
  for (int c = 0; c < kClassCount; ++c) {
    if ((r >> (2 * c)) & 3u) m |= 1u << c;
  }
  return m;
}
}  // namespace

ClassMask ConditionClasses(const std::vector<std::string>& tokens,
                           const std::vector<std::pair<std::string, RouteMask>>& known) {
  return ClassesOf(ConditionRoutes(tokens, known));
}

namespace {
// How selective a pattern is, roughly: the fixed bytes it spells (escapes
// and letter classes), halved for regexes and hex strings.
std::size_t PatternStrength(const StringPattern& p) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < p.expr.size(); ++i) {
    if (p.expr[i] == '\\' && p.expr[i + 1] == 'x') ++n;
    if (p.literal && p.expr[i] == '[') ++n;
  }
  return p.literal ? n : n / 2;
}

// Whether the root of `tokens` is never true with every string atom false.
bool NeedsStrings(const std::vector<std::string>& tokens,
                  const std::vector<std::pair<std::string, RouteMask>>& known,
                  const Absence& absence = Absence{}) {
  Parser p(tokens, known, &absence);
  int root = p.Run();
  if (root < 0) return false;
  for (int c = 0; c < kRouteCount; ++c) {
    if (p.node(root).value[c] & kT) return false;
  }
  return true;
}
}  // namespace

bool ConditionNeedsStrings(const std::vector<std::string>& tokens,
                           const std::vector<std::pair<std::string, bool>>& known) {
  std::vector<std::pair<std::string, RouteMask>> k;
  for (const auto& [name, skippable] : known) k.emplace_back(name, skippable ? 0 : kAllRoutes);
  return NeedsStrings(tokens, k);
}

std::vector<RuleFacts> AnalyseUnit(const SplitUnit& unit, const PatternFilter& usable) {
  std::vector<RuleFacts> facts(unit.rules.size());
  std::vector<std::pair<std::string, RouteMask>> known;
  // For the prefilter: a skippable rule is false on a file where no pattern
  // hit (route mask 0), any other rule may be true or false.
  std::vector<std::pair<std::string, RouteMask>> known_skippable;
  for (std::size_t i = 0; i < unit.rules.size(); ++i) {
    const RuleText& r = unit.rules[i];
    RuleFacts& f = facts[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (std::find(r.condition.begin(), r.condition.end(), unit.rules[j].name) !=
          r.condition.end())
        f.refs.push_back(j);
    }
    for (const std::string& m : unit.imports) {
      if (std::find(r.condition.begin(), r.condition.end(), m) != r.condition.end() &&
          std::find(f.modules.begin(), f.modules.end(), m) == f.modules.end())
        f.modules.push_back(m);
    }
    f.uses_md5 = UsesExternal(r.condition, "md5");
    Parser p(r.condition, known);
    int root = p.Run();
    f.routes = kAllRoutes;
    if (root >= 0) {
      f.routes = 0;
      for (int c = 0; c < kRouteCount; ++c) {
        if (p.node(root).value[c] & kT) f.routes |= 1u << c;
      }
    }
    f.classes = ClassesOf(f.routes);
    known.emplace_back(r.name, f.routes);
    std::vector<std::string> ids;
    f.prefilterable = StringPatterns(r.text, f.patterns, &ids);
    if (f.prefilterable && usable) {
      f.prefilterable =
          std::all_of(f.patterns.begin(), f.patterns.end(),
                      [&](const StringPattern& sp) { return sp.literal || usable(sp); });
    }
    if (!f.prefilterable) f.patterns.clear();
    f.needs_strings = NeedsStrings(r.condition, known_skippable, Absence{&ids, nullptr});
    if (f.skippable()) {
      // A string the condition cannot do without: its patterns alone are
      // enough (a subset of the patterns can only hit less often). The
      // strongest such string wins; rule references keep their classes.
      const std::string* best = nullptr;
      std::size_t best_strength = 0;
      for (const std::string& id : ids) {
        if (id == "$" || (best != nullptr && id == *best)) continue;
        std::size_t strength = ~std::size_t{0};
        for (const StringPattern& sp : f.patterns) {
          if (sp.id == id) strength = std::min(strength, PatternStrength(sp));
        }
        if (strength == ~std::size_t{0} || (best != nullptr && strength <= best_strength)) continue;
        if (!NeedsStrings(r.condition, known, Absence{&ids, &id})) continue;
        best = &id;
        best_strength = strength;
      }
      if (best != nullptr) {
        std::vector<StringPattern> kept;
        for (StringPattern& sp : f.patterns) {
          if (sp.id == *best) kept.push_back(std::move(sp));
        }
        f.patterns = std::move(kept);
      }
    }
    known_skippable.emplace_back(r.name, f.skippable() ? 0u : kAllRoutes);
    // Without pe: the condition for the other classes, dead pe branches gone.
    const RouteMask non_pe = kAllRoutes & ~(3u << (2 * kPe));
    if (root >= 0 && (f.routes & non_pe) &&
        std::find(f.modules.begin(), f.modules.end(), "pe") != f.modules.end()) {
      std::vector<std::string> out;
      Emit(p, root, r.condition, non_pe, false, out);
      if (std::find(out.begin(), out.end(), "pe") == out.end()) {
        f.non_pe_text = r.text.substr(0, r.condition_at);
        for (const std::string& x : out) f.non_pe_text += " " + x;
        f.non_pe_text += "\n}";
        for (const std::string& m : f.modules) {
          if (m != "pe" && std::find(out.begin(), out.end(), m) != out.end())
            f.non_pe_modules.push_back(m);
        }
      }
    }
  }
  return facts;
}

}  // namespace trawl::yara::route
