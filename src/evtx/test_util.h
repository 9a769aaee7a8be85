// Test helpers: a small XML reader for evtxexport's output (and ours), and
// running evtxexport. Test-only.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
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

#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>

namespace trawl::evtx::testing {

inline std::uint32_t TestCrc32(const std::uint8_t* p, std::size_t n, std::uint32_t crc = 0) {
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (0xedb88320u ^ (crc >> 1)) : (crc >> 1);
  }
  return ~crc;
}

// Little-endian byte writer.
struct Bytes {
  std::vector<std::uint8_t> b;
  void U8(std::uint8_t v) { b.push_back(v); }
  void U16(std::uint16_t v) {
    U8(v & 0xff);
    U8(v >> 8);
  }
  void U32(std::uint32_t v) {
    U16(v & 0xffff);
    U16(v >> 16);
  }
  void U64(std::uint64_t v) {
    U32(static_cast<std::uint32_t>(v));
    U32(static_cast<std::uint32_t>(v >> 32));
  }
  void Raw(const void* p, std::size_t n) {
    const auto* q = static_cast<const std::uint8_t*>(p);
    b.insert(b.end(), q, q + n);
  }
  void Put32(std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  std::size_t size() const { return b.size(); }
};

// UTF-8 (BMP only) to UTF-16LE code units.
inline std::vector<std::uint16_t> U16(std::string_view s) {
  std::vector<std::uint16_t> o;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      o.push_back(c);
      i += 1;
    } else if ((c & 0xe0) == 0xc0) {
      o.push_back(static_cast<std::uint16_t>(((c & 0x1f) << 6) | (s[i + 1] & 0x3f)));
      i += 2;
    } else {
      o.push_back(static_cast<std::uint16_t>(((c & 0x0f) << 12) | ((s[i + 1] & 0x3f) << 6) |
                                             (s[i + 2] & 0x3f)));
      i += 3;
    }
  }
  return o;
}

// Writes Binary XML whose first byte sits at chunk offset `base`. Names are
// always defined inline (legal: the name offset then equals its position).
class BinXmlWriter {
 public:
  explicit BinXmlWriter(std::uint32_t base) : base_(base) {}
  Bytes& out() { return w_; }
  std::uint32_t pos() const { return base_ + static_cast<std::uint32_t>(w_.size()); }

  void FragmentHeader() {
    w_.U8(0x0f);
    w_.U8(1);
    w_.U8(1);
    w_.U8(0);
  }
  void Eos() { w_.U8(0x00); }
  // `dependency_id` false: the variant some writers emit, without the 2-byte
  // dependency identifier.
  void Open(std::string_view name, bool has_attrs, bool dependency_id = true) {
    w_.U8(has_attrs ? 0x41 : 0x01);
    if (dependency_id) w_.U16(0xffff);
    sizes_.push_back(w_.size());
    w_.U32(0);
    Name(name);
    attr_sizes_.push_back(has_attrs ? w_.size() : 0);
    if (has_attrs) w_.U32(0);
  }
  void Attr(std::string_view name, bool more = false) {
    w_.U8(more ? 0x46 : 0x06);
    Name(name);
  }
  void CloseStart() {
    PatchAttrs();
    w_.U8(0x02);
  }
  void CloseEmpty() {
    PatchAttrs();
    w_.U8(0x03);
    Patch();
  }
  void End() {
    w_.U8(0x04);
    Patch();
  }
  void Text(std::string_view s) {
    auto u = U16(s);
    w_.U8(0x05);
    w_.U8(0x01);
    w_.U16(static_cast<std::uint16_t>(u.size()));
    for (auto c : u) w_.U16(c);
  }
  void CData(std::string_view s) {
    auto u = U16(s);
    w_.U8(0x07);
    w_.U16(static_cast<std::uint16_t>(u.size()));
    for (auto c : u) w_.U16(c);
  }
  void CharRef(std::uint16_t c) {
    w_.U8(0x08);
    w_.U16(c);
  }
  void EntityRef(std::string_view name) {
    w_.U8(0x09);
    Name(name);
  }
  void PI(std::string_view target, std::string_view data) {
    w_.U8(0x0a);
    Name(target);
    auto u = U16(data);
    w_.U8(0x0b);
    w_.U16(static_cast<std::uint16_t>(u.size()));
    for (auto c : u) w_.U16(c);
  }
  void Subst(std::uint16_t id, std::uint8_t type, bool optional) {
    w_.U8(optional ? 0x0e : 0x0d);
    w_.U16(id);
    w_.U8(type);
  }
  // Element with text content from substitution `id`.
  void SubstElement(std::string_view name, std::uint16_t id, std::uint8_t type, bool opt = false) {
    Open(name, false);
    CloseStart();
    Subst(id, type, opt);
    End();
  }
  // <Data Name="name">%id</Data>
  void DataElement(std::string_view name, std::uint16_t id, std::uint8_t type, bool opt = false) {
    Open("Data", true);
    Attr("Name");
    Text(name);
    CloseStart();
    Subst(id, type, opt);
    End();
  }

 private:
  void Name(std::string_view s) {
    auto u = U16(s);
    w_.U32(pos() + 4);
    w_.U32(0);  // Next name in the hash chain.
    std::uint32_t h = 0;
    for (auto c : u) h = h * 65599u + c;
    w_.U16(static_cast<std::uint16_t>(h));
    w_.U16(static_cast<std::uint16_t>(u.size()));
    for (auto c : u) w_.U16(c);
    w_.U16(0);
  }
  // Attribute list size: bytes from after the size field to the close token.
  void PatchAttrs() {
    std::size_t at = attr_sizes_.back();
    attr_sizes_.pop_back();
    if (at != 0) w_.Put32(at, static_cast<std::uint32_t>(w_.size() - at - 4));
  }
  void Patch() {
    std::size_t at = sizes_.back();
    sizes_.pop_back();
    w_.Put32(at, static_cast<std::uint32_t>(w_.size() - at - 4));
  }
  std::uint32_t base_;
  Bytes w_;
  std::vector<std::size_t> sizes_;
  std::vector<std::size_t> attr_sizes_;
};

struct TestValue {
  std::uint8_t type;
  std::vector<std::uint8_t> data;
};

// Builds EVTX chunks from records made of a template instance.
class EvtxBuilder {
 public:
  // Template body writer: called with a writer positioned at the body start.
  using Body = std::function<void(BinXmlWriter&)>;

  // Adds a record whose body instantiates a template. The first use of a
  // template `key` defines it inline; later uses refer to it by offset.
  // `nested` (optional) writes a BinXml value appended after `values`; it is
  // called with a writer based at that value's chunk offset.
  void AddRecord(std::uint64_t id, std::uint64_t filetime, int key, const Body& body,
                 const std::vector<TestValue>& values, const Body& nested = nullptr) {
    std::uint32_t rec_off = static_cast<std::uint32_t>(512 + chunk_.size());
    BinXmlWriter w(rec_off + 24);
    w.FragmentHeader();
    w.out().U8(0x0c);
    w.out().U8(0x01);
    std::uint32_t guid4 = 0x11110000u + static_cast<std::uint32_t>(key);
    w.out().U32(guid4);
    auto it = templates_.find(key);
    if (it == templates_.end()) {
      std::uint32_t def = w.pos() + 4;
      w.out().U32(def);
      templates_[key] = def;
      // Definition: next(4) guid(16) size(4) data.
      w.out().U32(0);
      w.out().U32(guid4);
      for (int i = 0; i < 12; ++i) w.out().U8(static_cast<std::uint8_t>(0xa0 + i));
      std::size_t size_at = w.out().size();
      w.out().U32(0);
      BinXmlWriter t(w.pos());
      t.FragmentHeader();
      body(t);
      t.Eos();
      w.out().Raw(t.out().b.data(), t.out().size());
      w.out().Put32(size_at, static_cast<std::uint32_t>(t.out().size()));
    } else {
      w.out().U32(it->second);
    }
    std::size_t n = values.size() + (nested ? 1 : 0);
    w.out().U32(static_cast<std::uint32_t>(n));
    std::uint32_t data_off = w.pos() + static_cast<std::uint32_t>(4 * n);
    std::size_t sum = 0;
    for (const auto& v : values) sum += v.data.size();
    BinXmlWriter nw(data_off + static_cast<std::uint32_t>(sum));
    if (nested) {
      nw.FragmentHeader();
      nested(nw);
      nw.Eos();
    }
    for (const auto& v : values) {
      w.out().U16(static_cast<std::uint16_t>(v.data.size()));
      w.out().U8(v.type);
      w.out().U8(0);
    }
    if (nested) {
      w.out().U16(static_cast<std::uint16_t>(nw.out().size()));
      w.out().U8(0x21);
      w.out().U8(0);
    }
    for (const auto& v : values) w.out().Raw(v.data.data(), v.data.size());
    if (nested) w.out().Raw(nw.out().b.data(), nw.out().size());
    w.Eos();
    while ((24 + w.out().size() + 4) % 8 != 0) w.out().U8(0);
    std::uint32_t size = static_cast<std::uint32_t>(24 + w.out().size() + 4);
    Bytes r;
    r.U32(0x2a2a);
    r.U32(size);
    r.U64(id);
    r.U64(filetime);
    r.Raw(w.out().b.data(), w.out().size());
    r.U32(size);
    last_record_ = rec_off;
    chunk_.Raw(r.b.data(), r.size());
    if (first_id_ == 0) first_id_ = id;
    last_id_ = id;
  }

  // Raw bytes placed after the records (slack), not covered by the CRC.
  void AddSlack(const std::vector<std::uint8_t>& bytes) { slack_ = bytes; }

  // The chunk (65536 bytes) with valid CRCs.
  std::vector<std::uint8_t> Chunk() const {
    Bytes h;
    h.Raw("ElfChnk", 8);
    h.U64(first_id_);
    h.U64(last_id_);
    h.U64(first_id_);
    h.U64(last_id_);
    h.U32(128);
    h.U32(last_record_);
    std::uint32_t free_space = static_cast<std::uint32_t>(512 + chunk_.size());
    h.U32(free_space);
    h.U32(TestCrc32(chunk_.b.data(), chunk_.size()));
    while (h.size() < 120) h.U8(0);
    h.U32(1);  // Flags.
    h.U32(0);  // Header CRC, below.
    while (h.size() < 512) h.U8(0);
    std::vector<std::uint8_t> c = h.b;
    c.insert(c.end(), chunk_.b.begin(), chunk_.b.end());
    c.insert(c.end(), slack_.begin(), slack_.end());
    c.resize(65536, 0);
    std::vector<std::uint8_t> crc_in(c.begin(), c.begin() + 120);
    crc_in.insert(crc_in.end(), c.begin() + 128, c.begin() + 512);
    std::uint32_t crc = TestCrc32(crc_in.data(), crc_in.size());
    for (int i = 0; i < 4; ++i) c[124 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    return c;
  }

  static std::vector<std::uint8_t> FileHeader(std::uint16_t nchunks) {
    Bytes h;
    h.Raw("ElfFile", 8);
    h.U64(0);
    h.U64(nchunks - 1u);
    h.U64(1);
    h.U32(128);
    h.U16(1);
    h.U16(3);
    h.U16(4096);
    h.U16(nchunks);
    while (h.size() < 120) h.U8(0);
    h.U32(0);
    h.U32(TestCrc32(h.b.data(), 120));
    h.b.resize(4096, 0);
    return h.b;
  }

  std::vector<std::uint8_t> File() const {
    std::vector<std::uint8_t> f = FileHeader(1);
    std::vector<std::uint8_t> c = Chunk();
    f.insert(f.end(), c.begin(), c.end());
    return f;
  }

 private:
  Bytes chunk_;  // Records, from chunk offset 512.
  std::vector<std::uint8_t> slack_;
  std::map<int, std::uint32_t> templates_;
  std::uint32_t last_record_ = 512;
  std::uint64_t first_id_ = 0, last_id_ = 0;
};

template <typename T>
TestValue Val(std::uint8_t type, T v) {
  TestValue t{type, {}};
  t.data.resize(sizeof(T));
  std::memcpy(t.data.data(), &v, sizeof(T));
  return t;
}
inline TestValue Str(std::string_view s, bool nul = true) {
  TestValue t{0x01, {}};
  for (auto c : U16(s)) {
    t.data.push_back(c & 0xff);
    t.data.push_back(c >> 8);
  }
  if (nul) {
    t.data.push_back(0);
    t.data.push_back(0);
  }
  return t;
}
inline TestValue RawVal(std::uint8_t type, std::vector<std::uint8_t> d) {
  return {type, std::move(d)};
}

}  // namespace trawl::evtx::testing

namespace trawl::evtx::testing {

constexpr const char* kEventNs = "http://schemas.microsoft.com/win/2004/08/events/event";

inline void SystemOpen(BinXmlWriter& t) {
  t.Open("Event", true);
  t.Attr("xmlns");
  t.Text(kEventNs);
  t.CloseStart();
  t.Open("System", false);
  t.CloseStart();
}

// A file with two templates exercising every value type, unnamed Data,
// qualifiers, entity and character references, CDATA, a nested BinXml value,
// and UserData. Records: 1 (template A, defines it), 2 (template B, UserData),
// 3 (template A again, by reference, other values).
// `extras` adds what evtxexport 20181227 cannot read (a character reference)
// or misrenders (CDATA).
inline std::vector<std::uint8_t> RichSample(bool extras = false) {
  EvtxBuilder b;
  auto body_a = [extras](BinXmlWriter& t) {
    SystemOpen(t);
    t.Open("Provider", true);
    t.Attr("Name");
    t.Subst(0, 0x01, false);
    t.CloseEmpty();
    t.Open("EventID", true);
    t.Attr("Qualifiers");
    t.Subst(1, 0x06, true);
    t.CloseStart();
    t.Subst(2, 0x06, false);
    t.End();
    t.SubstElement("Level", 3, 0x04);
    t.Open("TimeCreated", true);
    t.Attr("SystemTime");
    t.Subst(4, 0x11, false);
    t.CloseEmpty();
    t.SubstElement("EventRecordID", 5, 0x0a);
    t.SubstElement("Channel", 6, 0x01);
    t.SubstElement("Computer", 7, 0x01);
    t.Open("Security", true);
    t.Attr("UserID");
    t.Subst(8, 0x13, true);
    t.CloseEmpty();
    t.End();  // System
    t.Open("EventData", false);
    t.CloseStart();
    const char* names[] = {"Int8",     "UInt8",  "Int16",    "UInt16",   "Int32",    "UInt32",
                           "Int64",    "UInt64", "Real32",   "Real64",   "Bool",     "Binary",
                           "Guid",     "SizeT",  "FileTime", "SysTime",  "Sid",      "HexInt32",
                           "HexInt64", "Ansi",   "StrArray", "U16Array", "NullValue"};
    const std::uint8_t types[] = {0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                  0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
                                  0x13, 0x14, 0x15, 0x02, 0x81, 0x86, 0x00};
    for (int i = 0; i < 23; ++i)
      t.DataElement(names[i], static_cast<std::uint16_t>(9 + i), types[i]);
    // Unnamed Data elements.
    t.SubstElement("Data", 32, 0x01);
    t.SubstElement("Data", 33, 0x01);
    t.DataElement("OptionalNull", 34, 0x01, true);
    // Static text with entity and character references.
    t.Open("Data", true);
    t.Attr("Name");
    t.Text("Static");
    t.CloseStart();
    t.Text("a ");
    t.EntityRef("amp");
    t.Text(" b");
    if (extras) t.CharRef(0x41);
    t.End();
    if (extras) {  // evtxexport renders CDATA outside its element.
      t.Open("Data", true);
      t.Attr("Name");
      t.Text("CData");
      t.CloseStart();
      t.CData("x<y");
      t.End();
    }
    t.DataElement("Nested", 35, 0x21);
    t.End();  // EventData
    t.End();  // Event
  };
  auto nested = [](BinXmlWriter& n) {
    n.Open("Inner", true);
    n.Attr("Kind");
    n.Text("k1");
    n.CloseStart();
    n.Text("inner text");
    n.End();
  };
  auto le = [](std::initializer_list<std::uint8_t> l) { return std::vector<std::uint8_t>(l); };
  std::vector<std::uint8_t> sid = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0,    0, 1, 0,
                                   0, 0, 2, 0, 0, 0, 3, 0, 0,  0, 0xf4, 1, 0, 0};
  std::vector<std::uint8_t> guid = {0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
                                    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  // SYSTEMTIME 2021-03-04 (Thursday) 05:06:07.089
  std::vector<std::uint8_t> st = {0xe5, 0x07, 3, 0, 4, 0, 4, 0, 5, 0, 6, 0, 7, 0, 89, 0};
  std::vector<std::uint8_t> strarr;
  for (const char* s : {"one", "two"}) {
    for (auto c : U16(s)) {
      strarr.push_back(c & 0xff);
      strarr.push_back(c >> 8);
    }
    strarr.push_back(0);
    strarr.push_back(0);
  }
  auto values_a = [&](std::uint64_t rid, std::string_view computer, bool qualifiers) {
    std::vector<TestValue> v = {
        Str("Test-Provider"),
        qualifiers ? Val<std::uint16_t>(0x06, 16384) : TestValue{0x00, {}},
        Val<std::uint16_t>(0x06, 7036),
        Val<std::uint8_t>(0x04, 4),
        Val<std::uint64_t>(0x11, 132514687271234567ull),
        Val<std::uint64_t>(0x0a, rid),
        Str("Test/Operational"),
        Str(computer),
        RawVal(0x13, sid),
        Val<std::int8_t>(0x03, 5),  // evtxexport misprints negatives
        Val<std::uint8_t>(0x04, 200),
        Val<std::int16_t>(0x05, 300),
        Val<std::uint16_t>(0x06, 60000),
        Val<std::int32_t>(0x07, 70000),
        Val<std::uint32_t>(0x08, 4000000000u),
        Val<std::int64_t>(0x09, 5000000000000ll),
        Val<std::uint64_t>(0x0a, 18000000000000000000ull),
        Val<float>(0x0b, 1.5f),
        Val<double>(0x0c, -2.25),
        Val<std::uint32_t>(0x0d, 1),
        RawVal(0x0e, le({0xde, 0xad, 0xbe, 0xef})),
        RawVal(0x0f, guid),
        Val<std::uint64_t>(0x10, 0x1234),
        Val<std::uint64_t>(0x11, 116444736000000000ull + 10000000ull * 86400 + 1),
        RawVal(0x12, st),
        RawVal(0x13, sid),
        Val<std::uint32_t>(0x14, 0x1234abcd),
        Val<std::uint64_t>(0x15, 0x8000000000000010ull),
        RawVal(0x02, le({'a', 'n', 's', 'i', 0x80, 0})),
        RawVal(0x81, strarr),
        RawVal(0x86, le({1, 0, 2, 0, 0xff, 0xff})),
        Str("", false),
        Str("first unnamed"),
        Str("second <unnamed> & co"),
        TestValue{0x00, {}},
    };
    return v;
  };
  b.AddRecord(1, 132514687271234567ull, 0, body_a, values_a(101, "HOST-A", true), nested);
  auto body_b = [](BinXmlWriter& t) {
    SystemOpen(t);
    t.Open("Provider", true);
    t.Attr("Name");
    t.Subst(0, 0x01, false);
    t.CloseEmpty();
    t.SubstElement("EventID", 1, 0x06);
    t.SubstElement("Level", 2, 0x04);
    t.Open("TimeCreated", true);
    t.Attr("SystemTime");
    t.Subst(3, 0x11, false);
    t.CloseEmpty();
    t.SubstElement("EventRecordID", 4, 0x0a);
    t.SubstElement("Channel", 5, 0x01);
    t.SubstElement("Computer", 6, 0x01);
    t.End();  // System
    t.Open("UserData", false);
    t.CloseStart();
    t.Open("LogFileCleared", true);
    t.Attr("xmlns");
    t.Text("http://manifests.microsoft.com/win/2004/08/windows/eventlog");
    t.CloseStart();
    t.SubstElement("SubjectUserName", 7, 0x01);
    t.Open("Nested", false);
    t.CloseStart();
    t.Open("Inner", true);
    t.Attr("Attr");
    t.Subst(8, 0x08, false);
    t.CloseStart();
    t.Subst(9, 0x01, false);
    t.End();  // Inner
    t.End();  // Nested
    t.End();  // LogFileCleared
    t.End();  // UserData
    t.End();  // Event
  };
  b.AddRecord(2, 132514687281234567ull, 1, body_b,
              {Str("Microsoft-Windows-Eventlog"), Val<std::uint16_t>(0x06, 1102),
               Val<std::uint8_t>(0x04, 4), Val<std::uint64_t>(0x11, 132514687281234567ull),
               Val<std::uint64_t>(0x0a, 102), Str("Security"), Str("HOST-B"), Str("alice"),
               Val<std::uint32_t>(0x08, 42), Str("deep")});
  b.AddRecord(3, 132514687291234567ull, 0, body_a, values_a(103, "HOST-C", false), nested);
  return b.File();
}

}  // namespace trawl::evtx::testing
