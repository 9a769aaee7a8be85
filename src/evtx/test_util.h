// Test helpers: a small XML reader for evtxexport's output (and ours), and
// running evtxexport. Test-only.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace trawl::evtx::testing {

struct XmlNode {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attrs;
  std::string text;  // Concatenated character data (entities decoded).
  std::vector<std::unique_ptr<XmlNode>> children;

  const XmlNode* Child(const std::string& n) const {
    for (const auto& c : children) {
      if (c->name == n) return c.get();
    }
    return nullptr;
  }
  const std::string* Attr(const std::string& n) const {
    for (const auto& a : attrs) {
      if (a.first == n) return &a.second;
    }
    return nullptr;
  }
};

// Parses a sequence of XML elements (other text between top-level elements
// is skipped). Enough XML for evtxexport's output: elements, attributes,
// text, the five predefined entities, numeric character references, CDATA.
class XmlReader {
 public:
  explicit XmlReader(std::string s) : s_(std::move(s)) {}

  // Returns the next top-level element, nullptr at the end; sets error on
  // malformed input.
  std::unique_ptr<XmlNode> Next() {
    for (;;) {
      std::size_t lt = s_.find('<', pos_);
      if (lt == std::string::npos) return nullptr;
      pos_ = lt;
      if (s_.compare(pos_, 2, "<?") == 0) {
        std::size_t e = s_.find("?>", pos_);
        if (e == std::string::npos) return nullptr;
        pos_ = e + 2;
        continue;
      }
      return Element(0);
    }
  }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<XmlNode> Element(int depth) {
    if (depth > 100 || s_[pos_] != '<') return Fail("expected element");
    ++pos_;
    auto n = std::make_unique<XmlNode>();
    n->name = Name();
    for (;;) {
      SkipSpace();
      if (pos_ >= s_.size()) return Fail("eof in tag");
      if (s_.compare(pos_, 2, "/>") == 0) {
        pos_ += 2;
        return n;
      }
      if (s_[pos_] == '>') {
        ++pos_;
        break;
      }
      std::string an = Name();
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '=') return Fail("expected =");
      ++pos_;
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Fail("expected quote");
      std::size_t e = s_.find('"', pos_ + 1);
      if (e == std::string::npos) return Fail("eof in attribute");
      n->attrs.emplace_back(an, Decode(s_.substr(pos_ + 1, e - pos_ - 1)));
      pos_ = e + 1;
    }
    std::string text;
    for (;;) {
      if (pos_ >= s_.size()) return Fail("eof in content");
      if (s_.compare(pos_, 9, "<![CDATA[") == 0) {
        std::size_t e = s_.find("]]>", pos_);
        if (e == std::string::npos) return Fail("eof in CDATA");
        text += s_.substr(pos_ + 9, e - pos_ - 9);
        pos_ = e + 3;
      } else if (s_.compare(pos_, 2, "</") == 0) {
        std::size_t e = s_.find('>', pos_);
        if (e == std::string::npos) return Fail("eof in end tag");
        if (s_.substr(pos_ + 2, e - pos_ - 2) != n->name) return Fail("mismatched end tag");
        pos_ = e + 1;
        break;
      } else if (s_[pos_] == '<') {
        auto c = Element(depth + 1);
        if (!c) return nullptr;
        n->children.push_back(std::move(c));
      } else {
        std::size_t e = s_.find('<', pos_);
        if (e == std::string::npos) return Fail("eof in text");
        text += Decode(s_.substr(pos_, e - pos_));
        pos_ = e;
      }
    }
    // Whitespace between child elements is layout, not data.
    if (!n->children.empty() && text.find_first_not_of(" \n") == std::string::npos) text.clear();
    n->text = text;
    return n;
  }
  std::string Name() {
    std::size_t b = pos_;
    while (pos_ < s_.size() && s_[pos_] != ' ' && s_[pos_] != '>' && s_[pos_] != '/' &&
           s_[pos_] != '=' && s_[pos_] != '\n') {
      ++pos_;
    }
    return s_.substr(b, pos_ - b);
  }
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n')) ++pos_;
  }
  static std::string Decode(const std::string& t) {
    std::string o;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] != '&') {
        o.push_back(t[i]);
        continue;
      }
      std::size_t e = t.find(';', i);
      if (e == std::string::npos) {
        o.push_back('&');
        continue;
      }
      std::string ent = t.substr(i + 1, e - i - 1);
      if (ent == "amp") {
        o.push_back('&');
      } else if (ent == "lt") {
        o.push_back('<');
      } else if (ent == "gt") {
        o.push_back('>');
      } else if (ent == "quot") {
        o.push_back('"');
      } else if (ent == "apos") {
        o.push_back('\'');
      } else {
        o += "&" + ent + ";";
      }
      i = e;
    }
    return o;
  }
  std::unique_ptr<XmlNode> Fail(const char* why) {
    error_ = std::string(why) + " at byte " + std::to_string(pos_);
    pos_ = s_.size();
    return nullptr;
  }
  std::string s_;
  std::size_t pos_ = 0;
  std::string error_;
};

inline std::string ReadWhole(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs evtxexport (-f xml, mode `mode`) on `path`; returns its stdout, or
// sets `*ok` false.
inline std::string RunEvtxexport(const std::string& path, const std::string& mode,
                                 const std::string& tmp, bool* ok) {
  std::string cmd = "evtxexport -f xml -m " + mode + " '" + path + "' > '" + tmp + "' 2>/dev/null";
  *ok = std::system(cmd.c_str()) == 0;
  std::string out = ReadWhole(tmp);
  std::remove(tmp.c_str());
  return out;
}

}  // namespace trawl::evtx::testing
