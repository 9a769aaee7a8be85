// Sigma condition parser: and / or / not, parentheses, `N of x*`,
// `all of x*`, `1 of them`, `all of them`. Precedence not > and > or.
// Keywords are case-insensitive (as pySigma's grammar); `them` excludes
// identifiers starting with '_' (pySigma). The obsolete aggregation syntax
// (`| count() ...`, `near`) is rejected: Sigma v2 correlation rules replace it.
#include <cctype>

#include "internal.h"

namespace trawl::sigma::detail {

namespace {

struct Tok {
  enum K { kIdent, kNum, kLParen, kRParen, kPipe, kEnd } k;
  std::string text;
};

bool IdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '*' || c == '-' ||
         c == '.' || static_cast<unsigned char>(c) >= 0x80;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool GlobName(std::string_view pat, std::string_view s) {
  std::size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pat.size() && pat[p] == s[i]) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

class Parser {
 public:
  Parser(std::string_view text, const std::vector<std::string>& names) : names_(names) {
    std::size_t i = 0;
    while (i < text.size()) {
      char c = text[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (c == '(') {
        toks_.push_back({Tok::kLParen, "("});
        ++i;
      } else if (c == ')') {
        toks_.push_back({Tok::kRParen, ")"});
        ++i;
      } else if (c == '|') {
        toks_.push_back({Tok::kPipe, "|"});
        ++i;
      } else if (IdentChar(c)) {
        std::size_t j = i;
        while (j < text.size() && IdentChar(text[j])) ++j;
        std::string w(text.substr(i, j - i));
        bool num = !w.empty();
        for (char d : w) num = num && std::isdigit(static_cast<unsigned char>(d));
        toks_.push_back({num ? Tok::kNum : Tok::kIdent, w});
        i = j;
      } else {
        error_ = std::string("unexpected character '") + c + "'";
        return;
      }
    }
    toks_.push_back({Tok::kEnd, ""});
  }

  bool Run(Cond& out, std::string& error) {
    if (error_.empty()) {
      if (!Or(out)) {
      } else if (toks_[pos_].k == Tok::kPipe) {
        error_ = "aggregation expressions ('| count() ...') are obsolete; use a correlation rule";
      } else if (toks_[pos_].k != Tok::kEnd) {
        error_ = "unexpected '" + toks_[pos_].text + "'";
      }
    }
    error = error_;
    return error_.empty();
  }

 private:
  bool IsWord(const char* w) const {
    return toks_[pos_].k == Tok::kIdent && Lower(toks_[pos_].text) == w;
  }

  bool Or(Cond& out) {
    Cond first;
    if (!And(first)) return false;
    if (!IsWord("or")) {
      out = std::move(first);
      return true;
    }
    out = Cond{Cond::kOr};
    out.kids.push_back(std::move(first));
    while (IsWord("or")) {
      ++pos_;
      Cond next;
      if (!And(next)) return false;
      out.kids.push_back(std::move(next));
    }
    return true;
  }

  bool And(Cond& out) {
    Cond first;
    if (!Not(first)) return false;
    if (!IsWord("and")) {
      out = std::move(first);
      return true;
    }
    out = Cond{Cond::kAnd};
    out.kids.push_back(std::move(first));
    while (IsWord("and")) {
      ++pos_;
      Cond next;
      if (!Not(next)) return false;
      out.kids.push_back(std::move(next));
    }
    return true;
  }

  bool Not(Cond& out) {
    if (IsWord("not")) {
      if (++depth_ > 64) return Fail("condition nested too deeply");
      ++pos_;
      Cond kid;
      if (!Not(kid)) return false;
      --depth_;
      out = Cond{Cond::kNot};
      out.kids.push_back(std::move(kid));
      return true;
    }
    return Primary(out);
  }

  bool Fail(std::string msg) {
    if (error_.empty()) error_ = std::move(msg);
    return false;
  }

  bool Primary(Cond& out) {
    const Tok& t = toks_[pos_];
    if (t.k == Tok::kLParen) {
      if (++depth_ > 64) return Fail("condition nested too deeply");
      ++pos_;
      if (!Or(out)) return false;
      if (toks_[pos_].k != Tok::kRParen) return Fail("missing ')'");
      ++pos_;
      --depth_;
      return true;
    }
    if (t.k == Tok::kEnd) return Fail("condition ends early");
    if (t.k == Tok::kRParen) return Fail("unexpected ')'");
    if (t.k == Tok::kPipe) return Fail("aggregation expressions ('| count() ...') are obsolete");
    bool quant = t.k == Tok::kNum || Lower(t.text) == "all";
    if (quant && toks_[pos_ + 1].k == Tok::kIdent && Lower(toks_[pos_ + 1].text) == "of") {
      bool all = t.k != Tok::kNum;
      long n = 0;
      if (!all) {
        n = std::strtol(t.text.c_str(), nullptr, 10);
        if (t.text.size() > 6 || n < 1) return Fail("bad quantifier '" + t.text + "'");
      }
      pos_ += 2;
      const Tok& target = toks_[pos_];
      if (target.k != Tok::kIdent) return Fail("'of' needs an identifier pattern or 'them'");
      std::vector<int> refs;
      if (Lower(target.text) == "them") {
        for (std::size_t i = 0; i < names_.size(); ++i)
          if (names_[i].empty() || names_[i][0] != '_') refs.push_back(static_cast<int>(i));
      } else {
        for (std::size_t i = 0; i < names_.size(); ++i)
          if (GlobName(target.text, names_[i])) refs.push_back(static_cast<int>(i));
      }
      if (refs.empty()) return Fail("'" + target.text + "' matches no search identifier");
      ++pos_;
      out = Cond{Cond::kAtLeast};
      out.n = all ? static_cast<int>(refs.size()) : static_cast<int>(n);
      for (int r : refs) {
        Cond k{Cond::kRef};
        k.ref = r;
        out.kids.push_back(std::move(k));
      }
      return true;
    }
    if (t.k == Tok::kNum) return Fail("unexpected number '" + t.text + "'");
    std::string w = Lower(t.text);
    if (w == "and" || w == "or" || w == "of" || w == "near")
      return Fail("unexpected '" + t.text + "'");
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == t.text) {
        out = Cond{Cond::kRef};
        out.ref = static_cast<int>(i);
        ++pos_;
        return true;
      }
    }
    return Fail("unknown search identifier '" + t.text + "'");
  }

  const std::vector<std::string>& names_;
  std::vector<Tok> toks_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::string error_;
};

}  // namespace

bool ParseCondition(std::string_view text, const std::vector<std::string>& names, Cond& out,
                    std::string& error) {
  Parser p(text, names);
  return p.Run(out, error);
}

}  // namespace trawl::sigma::detail
