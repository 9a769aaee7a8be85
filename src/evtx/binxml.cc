// Binary XML: compiling fragments and templates into nodes, walking them with
// substitution values, and the two visitors (field extraction, XML text).
#include <array>
#include <cstdio>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "internal.h"

namespace trawl::evtx::detail {
namespace {

std::string Hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%x", v);
  return buf;
}

bool IsNullValue(const Value& v) { return v.type == kNull || v.size == 0; }

Known Classify(std::string_view s) {
  switch (s.size()) {
    case 4:
      if (s == "Data") return kData;
      if (s == "Name") return kNameAttr;
      break;
    case 5:
      if (s == "Event") return kEvent;
      if (s == "Level") return kLevel;
      if (s == "xmlns") return kXmlns;
      break;
    case 6:
      if (s == "System") return kSystem;
      break;
    case 7:
      if (s == "EventID") return kEventID;
      if (s == "Channel") return kChannel;
      break;
    case 8:
      if (s == "Provider") return kProvider;
      if (s == "Computer") return kComputer;
      if (s == "UserData") return kUserData;
      break;
    case 9:
      if (s == "EventData") return kEventData;
      break;
    case 10:
      if (s == "Qualifiers") return kQualifiers;
      if (s == "SystemTime") return kSystemTime;
      break;
    case 11:
      if (s == "TimeCreated") return kTimeCreated;
      break;
    case 13:
      if (s == "EventRecordID") return kEventRecordID;
      break;
    default:
      break;
  }
  return kUnknownName;
}

// Known XML entity names resolved in field values.
void AppendEntity(std::string_view name, std::string& out) {
  if (name == "amp") {
    out.push_back('&');
  } else if (name == "lt") {
    out.push_back('<');
  } else if (name == "gt") {
    out.push_back('>');
  } else if (name == "quot") {
    out.push_back('"');
  } else if (name == "apos") {
    out.push_back('\'');
  } else {
    out.push_back('&');
    out.append(name);
    out.push_back(';');
  }
}

void AppendCharRef(std::uint16_t c, std::string& out) {
  std::uint8_t b[2] = {static_cast<std::uint8_t>(c & 0xff), static_cast<std::uint8_t>(c >> 8)};
  AppendUtf16(b, 1, out);
}

bool ParseUnsigned(std::string_view s, std::uint64_t* v) {
  if (s.empty()) return false;
  std::uint64_t r = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    for (std::size_t i = 2; i < s.size(); ++i) {
      char c = s[i];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0 || r > (~0ull >> 4)) return false;
      r = (r << 4) | static_cast<std::uint64_t>(d);
    }
  } else {
    for (char c : s) {
      if (c < '0' || c > '9' || r > 1844674407370955161ull) return false;
      r = r * 10 + static_cast<std::uint64_t>(c - '0');
    }
  }
  *v = r;
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------
// Compiler

ChunkDecoder::ChunkDecoder() : name_slots_(kChunkSize), template_slots_(kChunkSize) {
  context_.decoder = this;
}

void ChunkDecoder::BeginChunk(std::span<const std::uint8_t> chunk) {
  chunk_ = chunk;
  if (++generation_ == 0) {  // Wrapped: invalidate every slot explicitly.
    for (Slot& s : name_slots_) s = Slot{};
    for (Slot& s : template_slots_) s = Slot{};
    generation_ = 1;
  }
  names_.clear();
  ntemplates_ = 0;
  arena_.clear();
  rec_ok_ = false;
}

std::uint32_t ChunkDecoder::AddText(const std::uint8_t* p, std::size_t n) {
  std::uint32_t off = static_cast<std::uint32_t>(arena_.size());
  AppendUtf16(p, n, arena_);
  return off;
}

bool ChunkDecoder::ReadName(std::uint32_t name_off, std::uint32_t* pos, std::uint32_t end,
                            std::uint32_t* idx, std::string& err) {
  const std::size_t size = chunk_.size();
  if (name_off >= size || size - name_off < 10) {
    err = "name offset " + Hex32(name_off) + " outside the chunk";
    return false;
  }
  const std::uint8_t* p = chunk_.data() + name_off;
  std::uint32_t nchars = Le16(p + 6);
  std::uint32_t total = 8 + 2 * nchars + 2;
  if (total > size - name_off) {
    err = "name at " + Hex32(name_off) + " runs past the chunk";
    return false;
  }
  if (name_off == *pos) {  // Defined inline here: skip over it.
    if (total > end - *pos) {
      err = "inline name at " + Hex32(name_off) + " runs past its fragment";
      return false;
    }
    *pos += total;
  }
  Slot& slot = name_slots_[name_off];
  if (slot.stamp == generation_) {
    *idx = slot.idx;
    return true;
  }
  if (strict_) {
    // Slack/salvage: the bytes must really be this name (hash over UTF-16).
    std::uint32_t h = 0;
    for (std::uint32_t i = 0; i < nchars; ++i) h = h * 65599u + Le16(p + 8 + 2 * i);
    if ((h & 0xffff) != Le16(p + 4) || Le16(p + 8 + 2 * nchars) != 0) {
      err = "name at " + Hex32(name_off) + " fails its hash check";
      return false;
    }
  }
  NameEntry e;
  e.off = AddText(p + 8, nchars);
  e.len = static_cast<std::uint32_t>(arena_.size() - e.off);
  e.known = Classify(std::string_view(arena_).substr(e.off, e.len));
  *idx = static_cast<std::uint32_t>(names_.size());
  names_.push_back(e);
  slot.stamp = generation_;
  slot.idx = *idx;
  return true;
}

bool ChunkDecoder::ReadValues(std::uint32_t* pos, std::uint32_t end, Compiled& out,
                              std::uint16_t* count, std::string& err) {
  std::uint32_t p = *pos;
  if (end - p < 4) {
    err = "substitution array truncated at " + Hex32(p);
    return false;
  }
  std::uint32_t n = Le32(chunk_.data() + p);
  p += 4;
  if (n > 0xffff || n * 4ull > end - p) {
    err = "substitution count " + std::to_string(n) + " at " + Hex32(p - 4) + " too large";
    return false;
  }
  const std::uint8_t* desc = chunk_.data() + p;
  p += n * 4;
  for (std::uint32_t i = 0; i < n; ++i) {
    Value v;
    v.size = Le16(desc + 4 * i);
    v.type = desc[4 * i + 2];
    if (v.size > end - p) {
      err = "substitution value " + std::to_string(i) + " at " + Hex32(p) + " runs past the record";
      return false;
    }
    v.data = chunk_.data() + p;
    p += v.size;
    out.values.push_back(v);
  }
  *count = static_cast<std::uint16_t>(n);
  *pos = p;
  return true;
}

bool ChunkDecoder::GetTemplate(std::uint32_t def_off, std::uint32_t template_id, std::uint32_t* pos,
                               std::uint32_t end, int depth, std::uint32_t* idx, std::string& err) {
  const std::size_t size = chunk_.size();
  if (def_off >= size || size - def_off < 24) {
    err = "template definition offset " + Hex32(def_off) + " outside the chunk";
    return false;
  }
  const std::uint8_t* p = chunk_.data() + def_off;
  std::uint32_t data_size = Le32(p + 20);
  if (data_size > size - def_off - 24) {
    err = "template definition at " + Hex32(def_off) + " runs past the chunk";
    return false;
  }
  if (def_off == *pos) {  // Defined inline: skip over the definition.
    if (24ull + data_size > end - *pos) {
      err = "inline template at " + Hex32(def_off) + " runs past its fragment";
      return false;
    }
    *pos += 24 + data_size;
  }
  Slot& slot = template_slots_[def_off];
  if (slot.stamp == generation_) {
    const Template& t = templates_[slot.idx];
    if (!t.ok) {
      err = t.error.empty() ? "template at " + Hex32(def_off) + " refers to itself" : t.error;
      return false;
    }
    if (strict_ && Le32(t.guid) != template_id) {
      err = "template identifier " + Hex32(template_id) + " does not match the template at " +
            Hex32(def_off);
      return false;
    }
    *idx = slot.idx;
    return true;
  }
  if (strict_ && Le32(p + 4) != template_id) {
    err = "template identifier " + Hex32(template_id) + " does not match the template at " +
          Hex32(def_off);
    return false;
  }
  if (ntemplates_ == templates_.size()) templates_.emplace_back();
  std::uint32_t my = static_cast<std::uint32_t>(ntemplates_++);
  Template& t = templates_[my];
  t.def_offset = def_off;
  std::memcpy(t.guid, p + 4, 16);
  t.ok = false;
  t.error.clear();
  t.code.clear();
  slot.stamp = generation_;
  slot.idx = my;
  std::uint32_t consumed = 0;
  std::string e;
  if (!CompileFragment(def_off + 24, def_off + 24 + data_size, depth + 1, t.code, &consumed, e)) {
    t.error = "template at " + Hex32(def_off) + ": " + e;
    err = t.error;
    return false;
  }
  t.ok = true;
  *idx = my;
  return true;
}

bool ChunkDecoder::CompileFragment(std::uint32_t pos, std::uint32_t end, int depth, Compiled& out,
                                   std::uint32_t* consumed, std::string& err) {
  if (depth > kMaxDepth) {
    err = "Binary XML nested too deeply at " + Hex32(pos);
    return false;
  }
  if (end > chunk_.size() || pos > end) {
    err = "fragment outside the chunk";
    return false;
  }
  const std::uint8_t* c = chunk_.data();
  int open = 0;
  std::size_t open_nodes[kMaxElementDepth + 1];
  // Marks the element opened at open_nodes[open - 1] as ended at the node
  // just added: where to skip to, and whether its content (between '>' and
  // the end tag) is only optional substitutions.
  auto finish_element = [&]() {
    std::size_t o = open_nodes[open - 1];
    Node& on = out.nodes[o];
    on.b = static_cast<std::uint32_t>(out.nodes.size());
    std::size_t close = o + 1;
    while (close < out.nodes.size() && out.nodes[close].op != Op::kCloseStart &&
           out.nodes[close].op != Op::kCloseEmpty) {
      ++close;
    }
    bool only_opt = close + 2 < out.nodes.size() && out.nodes[close].op == Op::kCloseStart;
    for (std::size_t k = close + 1; only_opt && k + 1 < out.nodes.size(); ++k) {
      only_opt = out.nodes[k].op == Op::kSubst && (out.nodes[k].flags & 1);
    }
    if (only_opt) on.flags |= 2;
  };
  // Are we between an element's name and its '>' / '/>'?
  bool in_start = false;
  std::size_t attr_node = SIZE_MAX;  // Index of the current kAttr node.
  auto need = [&](std::uint32_t n) {
    if (end - pos < n) {
      err = "token at " + Hex32(pos) + " truncated";
      return false;
    }
    return true;
  };
  auto add_piece = [&](const Node& n) {
    out.nodes.push_back(n);
    if (attr_node != SIZE_MAX) ++out.nodes[attr_node].b;
  };
  while (pos < end) {
    std::uint8_t tok = c[pos];
    std::uint8_t base = tok & 0xbf;  // Without the 0x40 "more" flag.
    // Tokens that may only appear as attribute values end the attribute when
    // anything else comes.
    bool is_value_tok = base == 0x05 || tok == 0x0d || tok == 0x0e || base == 0x08 || base == 0x09;
    if (!is_value_tok) attr_node = SIZE_MAX;
    if (in_start && is_value_tok && attr_node == SIZE_MAX) {
      err = "value outside an attribute inside a start tag at " + Hex32(pos);
      return false;
    }
    if (in_start && base != 0x06 && tok != 0x02 && tok != 0x03 && !is_value_tok) {
      err = "unexpected token " + Hex32(tok) + " inside a start tag at " + Hex32(pos);
      return false;
    }
    switch (base) {
      case 0x00:  // End of stream.
        if (tok != 0x00) break;
        if (open != 0 || in_start) {
          err = "end of stream inside an element at " + Hex32(pos);
          return false;
        }
        *consumed = pos + 1;
        return true;
      case 0x0f:  // Fragment header: token, major, minor, flags.
        if (tok != 0x0f || !need(4)) {
          if (tok != 0x0f) break;
          return false;
        }
        pos += 4;
        continue;
      case 0x01: {  // Open start element.
        if (open >= kMaxElementDepth) {
          err = "elements nested too deeply at " + Hex32(pos);
          return false;
        }
        if (!need(11)) return false;
        // Normally: dependency id (2), data size (4), name offset (4). Some
        // writers omit the dependency id; detect that by the size and name
        // offset not making sense.
        std::uint32_t p = pos + 1;
        std::uint32_t data_size = Le32(c + p + 2);
        std::uint32_t name_off = Le32(c + p + 6);
        std::uint32_t after = p + 10;
        if (data_size > end - p || name_off >= chunk_.size()) {
          data_size = Le32(c + p);
          name_off = Le32(c + p + 4);
          after = p + 8;
          if (data_size > end - p || name_off >= chunk_.size()) {
            err = "bad element start at " + Hex32(pos);
            return false;
          }
        }
        pos = after;
        Node n{Op::kOpen};
        if (!ReadName(name_off, &pos, end, &n.a, err)) return false;
        if (tok & 0x40) {  // Attribute list size.
          if (!need(4)) return false;
          pos += 4;
        }
        open_nodes[open] = out.nodes.size();
        out.nodes.push_back(n);
        ++open;
        in_start = true;
        continue;
      }
      case 0x02:
      case 0x03:
        if (tok != base) break;
        if (!in_start) {
          err = "close of start tag outside a start tag at " + Hex32(pos);
          return false;
        }
        in_start = false;
        out.nodes.push_back(Node{tok == 0x02 ? Op::kCloseStart : Op::kCloseEmpty});
        if (tok == 0x03) {
          finish_element();
          --open;
        }
        ++pos;
        continue;
      case 0x04:
        if (tok != 0x04) break;
        if (open == 0) {
          err = "end tag without element at " + Hex32(pos);
          return false;
        }
        out.nodes.push_back(Node{Op::kEnd});
        finish_element();
        --open;
        ++pos;
        continue;
      case 0x05: {  // Value text.
        if (!need(4)) return false;
        std::uint8_t type = c[pos + 1];
        if (type != kString) {
          err = "value token of type " + Hex32(type) + " at " + Hex32(pos);
          return false;
        }
        std::uint32_t n = Le16(c + pos + 2);
        pos += 4;
        if (!need(2 * n)) return false;
        Node node{Op::kText};
        node.a = AddText(c + pos, n);
        node.b = static_cast<std::uint32_t>(arena_.size() - node.a);
        add_piece(node);
        pos += 2 * n;
        continue;
      }
      case 0x06: {  // Attribute.
        if (!in_start) {
          err = "attribute outside a start tag at " + Hex32(pos);
          return false;
        }
        if (!need(5)) return false;
        std::uint32_t name_off = Le32(c + pos + 1);
        pos += 5;
        Node n{Op::kAttr};
        if (!ReadName(name_off, &pos, end, &n.a, err)) return false;
        out.nodes.push_back(n);
        attr_node = out.nodes.size() - 1;
        continue;
      }
      case 0x07: {  // CDATA.
        if (!need(3)) return false;
        std::uint32_t n = Le16(c + pos + 1);
        pos += 3;
        if (!need(2 * n)) return false;
        Node node{Op::kCData};
        node.a = AddText(c + pos, n);
        node.b = static_cast<std::uint32_t>(arena_.size() - node.a);
        out.nodes.push_back(node);
        pos += 2 * n;
        continue;
      }
      case 0x08: {  // Character reference.
        if (!need(3)) return false;
        Node node{Op::kCharRef};
        node.sub = Le16(c + pos + 1);
        add_piece(node);
        pos += 3;
        continue;
      }
      case 0x09: {  // Entity reference.
        if (!need(5)) return false;
        std::uint32_t name_off = Le32(c + pos + 1);
        pos += 5;
        Node node{Op::kEntityRef};
        if (!ReadName(name_off, &pos, end, &node.a, err)) return false;
        add_piece(node);
        continue;
      }
      case 0x0a: {  // PI target.
        if (tok != 0x0a || !need(5)) {
          if (tok != 0x0a) break;
          return false;
        }
        std::uint32_t name_off = Le32(c + pos + 1);
        pos += 5;
        Node node{Op::kPITarget};
        if (!ReadName(name_off, &pos, end, &node.a, err)) return false;
        out.nodes.push_back(node);
        continue;
      }
      case 0x0b: {  // PI data.
        if (tok != 0x0b || !need(3)) {
          if (tok != 0x0b) break;
          return false;
        }
        std::uint32_t n = Le16(c + pos + 1);
        pos += 3;
        if (!need(2 * n)) return false;
        Node node{Op::kPIData};
        node.a = AddText(c + pos, n);
        node.b = static_cast<std::uint32_t>(arena_.size() - node.a);
        out.nodes.push_back(node);
        pos += 2 * n;
        continue;
      }
      case 0x0c: {  // Template instance.
        if (tok != 0x0c) break;
        if (!need(10)) return false;
        std::uint32_t template_id = Le32(c + pos + 2);
        std::uint32_t def_off = Le32(c + pos + 6);
        pos += 10;
        Node node{Op::kTemplate};
        if (!GetTemplate(def_off, template_id, &pos, end, depth, &node.a, err)) return false;
        node.b = static_cast<std::uint32_t>(out.values.size());
        if (!ReadValues(&pos, end, out, &node.sub, err)) return false;
        out.nodes.push_back(node);
        continue;
      }
      case 0x0d:
      case 0x0e: {  // Normal / optional substitution.
        if (tok != base) break;
        if (!need(4)) return false;
        Node node{Op::kSubst};
        node.sub = Le16(c + pos + 1);
        node.b = c[pos + 3];
        node.flags = tok == 0x0e ? 1 : 0;
        add_piece(node);
        pos += 4;
        continue;
      }
      default:
        break;
    }
    err = "unknown Binary XML token " + Hex32(tok) + " at " + Hex32(pos);
    return false;
  }
  if (open != 0 || in_start) {
    err = "fragment ends inside an element at " + Hex32(pos);
    return false;
  }
  *consumed = pos;
  return true;
}

// ---------------------------------------------------------------------------
// Walker

namespace {

template <class V>
bool Walk(ChunkDecoder& d, const Compiled& code, const Value* vals, std::size_t nvals, V& v,
          int depth, std::string& err) {
  if (depth > kMaxDepth) {
    err = "templates nested too deeply";
    return false;
  }
  const std::size_t n = code.nodes.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Node& node = code.nodes[i];
    switch (node.op) {
      case Op::kOpen:
        if ((node.flags & 2) && node.b > i && node.b <= n) {
          // Only optional substitutions inside: left out when all are empty.
          bool empty = true;
          for (std::size_t k = i + 1; k < node.b && empty; ++k) {
            const Node& c = code.nodes[k];
            if (c.op == Op::kSubst && c.sub < nvals && !IsNullValue(vals[c.sub])) empty = false;
          }
          if (empty) {
            i = node.b - 1;
            break;
          }
        }
        v.Open(node.a);
        break;
      case Op::kAttr: {
        std::size_t last = i + node.b;
        if (last >= n) last = n - 1;
        // An attribute made only of empty optional substitutions is omitted.
        bool present = node.b == 0;
        for (std::size_t k = i + 1; k <= last && !present; ++k) {
          const Node& piece = code.nodes[k];
          if (piece.op != Op::kSubst || !(piece.flags & 1)) {
            present = true;
          } else if (piece.sub < nvals && !IsNullValue(vals[piece.sub])) {
            present = true;
          }
        }
        if (present) {
          v.AttrBegin(node.a);
          for (std::size_t k = i + 1; k <= last; ++k) {
            const Node& piece = code.nodes[k];
            switch (piece.op) {
              case Op::kText:
                v.Text(d.Text(piece.a, piece.b));
                break;
              case Op::kCharRef:
                v.CharRef(piece.sub);
                break;
              case Op::kEntityRef:
                v.EntityRef(piece.a);
                break;
              case Op::kSubst:
                if (piece.sub < nvals) v.Val(vals[piece.sub]);
                break;
              default:
                break;
            }
          }
          v.AttrEnd();
        }
        i = last;
        break;
      }
      case Op::kCloseStart:
        v.CloseStart();
        break;
      case Op::kCloseEmpty:
        v.CloseEmpty();
        break;
      case Op::kEnd:
        v.End();
        break;
      case Op::kText:
        v.Text(d.Text(node.a, node.b));
        break;
      case Op::kCData:
        v.CData(d.Text(node.a, node.b));
        break;
      case Op::kCharRef:
        v.CharRef(node.sub);
        break;
      case Op::kEntityRef:
        v.EntityRef(node.a);
        break;
      case Op::kPITarget:
        v.PITarget(node.a);
        break;
      case Op::kPIData:
        v.PIData(d.Text(node.a, node.b));
        break;
      case Op::kSubst: {
        if (node.sub >= nvals) break;  // Not supplied: nothing to render.
        const Value& val = vals[node.sub];
        if ((node.flags & 1) && IsNullValue(val)) break;
        if (val.type == kBinXml && val.size > 0) {
          if (depth + 1 > kMaxDepth) {
            err = "Binary XML values nested too deeply";
            return false;
          }
          Compiled& nested = d.Scratch(depth + 1);
          nested.clear();
          std::uint32_t start = static_cast<std::uint32_t>(val.data - d.chunk_data());
          std::uint32_t consumed = 0;
          if (!d.CompileFragment(start, start + val.size, depth + 1, nested, &consumed, err)) {
            return false;
          }
          if (!Walk(d, nested, nullptr, 0, v, depth + 1, err)) return false;
          break;
        }
        v.Val(val);
        break;
      }
      case Op::kTemplate: {
        const Template& t = d.TemplateAt(node.a);
        std::size_t first = node.b;
        std::size_t count = node.sub;
        if (first + count > code.values.size()) {
          err = "template values out of range";
          return false;
        }
        if (!Walk(d, t.code, code.values.data() + first, count, v, depth + 1, err)) return false;
        break;
      }
    }
  }
  return true;
}

// Extracts the Record values while walking.
class FieldVisitor {
 public:
  FieldVisitor(ChunkDecoder& d, Record& r, bool fields, std::vector<Field>& spare)
      : d_(d), r_(r), fields_(fields), spare_(spare) {}

  void Open(std::uint32_t name) {
    ++depth_;
    Known k = static_cast<Known>(d_.NameAt(name).known);
    if (depth_ < kStack) {
      if (depth_ > 0) stack_[depth_ - 1].has_child = true;
      stack_[depth_] = Level{k, false, name};
    }
    if (depth_ == 2) {
      section_ = (k == kSystem || k == kEventData || k == kUserData) ? k : kUnknownName;
      return;
    }
    if (depth_ == 3) {
      content_ = nullptr;
      if (section_ == kSystem) {
        switch (k) {
          case kEventID:
            event_id_text_.clear();
            content_ = &event_id_text_;
            break;
          case kLevel:
            level_text_.clear();
            content_ = &level_text_;
            break;
          case kEventRecordID:
            record_id_text_.clear();
            content_ = &record_id_text_;
            break;
          case kChannel:
            content_ = &r_.channel;
            break;
          case kComputer:
            content_ = &r_.computer;
            break;
          default:
            break;
        }
      } else if (section_ == kEventData && fields_) {
        ++data_index_;
        cur_field_ = AddField();
        if (k != kData) cur_field_->name.assign(d_.Name(name));
        content_ = &cur_field_->value;
      } else if (section_ == kUserData && fields_) {
        ud_value_.clear();
        ud_count_ = 0;
        content_ = &ud_value_;
      }
      return;
    }
    if (depth_ > 3 && section_ == kUserData && fields_ && depth_ < kStack) {
      ud_value_.clear();
      ud_count_ = 0;
      content_ = &ud_value_;
    }
  }

  void AttrBegin(std::uint32_t name) {
    attr_ = nullptr;
    time_attr_ = false;
    in_attr_ = true;
    if (depth_ != 3 && !(section_ == kUserData && depth_ >= 3)) return;
    Known a = static_cast<Known>(d_.NameAt(name).known);
    Known e = depth_ < kStack ? stack_[depth_].known : kUnknownName;
    if (section_ == kSystem) {
      if (e == kProvider && a == kNameAttr) {
        attr_ = &r_.provider;
      } else if (e == kEventID && a == kQualifiers) {
        qual_text_.clear();
        attr_ = &qual_text_;
        qual_attr_ = true;
      } else if (e == kTimeCreated && a == kSystemTime) {
        time_attr_ = true;
        time_text_.clear();
        attr_ = &time_text_;
      }
    } else if (section_ == kEventData && fields_ && depth_ == 3) {
      if (e == kData && a == kNameAttr && cur_field_ != nullptr) attr_ = &cur_field_->name;
    } else if (section_ == kUserData && fields_ && a != kXmlns && depth_ < kStack) {
      Field* f = AddField();
      AppendPath(f->name);
      f->name.push_back('@');
      f->name.append(d_.Name(name));
      attr_ = &f->value;
    }
  }
  void AttrEnd() {
    if (qual_attr_) {
      std::uint64_t q = 0;
      if (ParseUnsigned(qual_text_, &q) && q <= 0xffff) {
        r_.qualifiers = static_cast<std::uint16_t>(q);
        r_.has_qualifiers = true;
      }
      qual_attr_ = false;
    }
    attr_ = nullptr;
    time_attr_ = false;
    in_attr_ = false;
  }
  void CloseStart() {}
  void CloseEmpty() { End(); }
  void End() {
    if (depth_ == 3) {
      if (section_ == kSystem && depth_ < kStack) {
        Known e = stack_[depth_].known;
        std::uint64_t v = 0;
        if (e == kEventID && ParseUnsigned(event_id_text_, &v) && v <= 0xffffffffull) {
          r_.event_id = static_cast<std::uint32_t>(v);
        } else if (e == kLevel && ParseUnsigned(level_text_, &v) && v <= 255) {
          r_.level = static_cast<int>(v);
        } else if (e == kEventRecordID && ParseUnsigned(record_id_text_, &v)) {
          r_.id = v;
        }
      } else if (section_ == kEventData && cur_field_ != nullptr) {
        FinishDataField();
        cur_field_ = nullptr;
      }
    }
    if (depth_ >= 3 && section_ == kUserData && fields_ && depth_ < kStack &&
        !stack_[depth_].has_child) {
      if (ud_count_ == 0) {
        Field* f = AddField();
        AppendPath(f->name);
        f->value = ud_value_;
      }
      for (std::size_t i = 0; i < ud_count_; ++i) {
        Field* f = AddField();
        AppendPath(f->name);
        f->value = ud_items_[i];
      }
    }
    ud_count_ = 0;
    if (depth_ == 3) content_ = nullptr;
    if (section_ == kUserData && depth_ > 3) content_ = nullptr;
    if (depth_ > 0) --depth_;
    if (depth_ < 2) section_ = kUnknownName;
  }
  void Text(std::string_view s) {
    if (std::string* t = Target()) t->append(s);
  }
  void CData(std::string_view s) { Text(s); }
  void CharRef(std::uint16_t c) {
    if (std::string* t = Target()) AppendCharRef(c, *t);
  }
  void EntityRef(std::uint32_t name) {
    if (std::string* t = Target()) AppendEntity(d_.Name(name), *t);
  }
  void PITarget(std::uint32_t) {}
  void PIData(std::string_view) {}
  void Val(const Value& v) {
    if (time_attr_ && v.type == kFiletime && v.size == 8) {
      time_ = Le64(v.data);
      have_time_ = true;
      return;  // Record::time_text is formatted once, from time_.
    }
    if ((v.type & kArrayFlag) && attr_ == nullptr && !in_attr_ && fields_ && depth_ >= 3 &&
        (section_ == kEventData || section_ == kUserData) && ArrayContent(v)) {
      return;
    }
    if (std::string* t = Target()) AppendValue(v, *t);
  }

  bool have_time() const { return have_time_; }
  std::uint64_t time() const { return time_; }

 private:
  static constexpr int kStack = 64;
  struct Level {
    Known known = kUnknownName;
    bool has_child = false;
    std::uint32_t name = 0;
  };

  // Element content that is an array: like evtxexport, each item is a copy
  // of the element, so each item is a field of its own.
  bool ArrayContent(const Value& v) {
    if (section_ == kEventData) {
      if (depth_ != 3 || cur_field_ == nullptr) return false;
      bool first = true;
      return ForEachArrayItem(v, [&](const Value& item) {
        if (!first) {
          std::string name = cur_field_->name;
          FinishDataField();
          ++data_index_;
          cur_field_ = AddField();
          cur_field_->name = std::move(name);
          if (cur_field_->name.rfind("Data[", 0) == 0) cur_field_->name.clear();
          content_ = &cur_field_->value;
        }
        first = false;
        AppendValue(item, cur_field_->value);
      });
    }
    return ForEachArrayItem(v, [&](const Value& item) {
      if (ud_items_.size() <= ud_count_) ud_items_.emplace_back();
      ud_items_[ud_count_].clear();
      AppendValue(item, ud_items_[ud_count_]);
      ++ud_count_;
    });
  }

  void FinishDataField() {
    if (cur_field_ != nullptr && cur_field_->name.empty()) {
      cur_field_->name = "Data[";
      cur_field_->name += std::to_string(data_index_);
      cur_field_->name.push_back(']');
    }
  }

  std::string* Target() {
    if (attr_ != nullptr) return attr_;
    if (in_attr_) return nullptr;
    return content_;
  }

  Field* AddField() {
    if (!spare_.empty()) {
      r_.fields.push_back(std::move(spare_.back()));
      spare_.pop_back();
    } else {
      r_.fields.emplace_back();
    }
    Field* f = &r_.fields.back();
    f->name.clear();
    f->value.clear();
    return f;
  }

  // Path of the current element below UserData's root element ('/'-joined);
  // the root's own name when at the root.
  void AppendPath(std::string& out) {
    if (depth_ == 3) {
      out.append(d_.Name(stack_[3].name));
      return;
    }
    for (int i = 4; i <= depth_ && i < kStack; ++i) {
      if (i > 4) out.push_back('/');
      out.append(d_.Name(stack_[i].name));
    }
  }

  ChunkDecoder& d_;
  Record& r_;
  bool fields_;
  std::vector<Field>& spare_;
  int depth_ = 0;
  Level stack_[kStack];
  Known section_ = kUnknownName;
  std::string* content_ = nullptr;
  std::string* attr_ = nullptr;
  bool in_attr_ = false;
  bool time_attr_ = false;
  bool qual_attr_ = false;
  Field* cur_field_ = nullptr;
  int data_index_ = 0;
  std::string event_id_text_, level_text_, record_id_text_, qual_text_, time_text_, ud_value_;
  std::vector<std::string> ud_items_;
  std::size_t ud_count_ = 0;
  std::uint64_t time_ = 0;
  bool have_time_ = false;
};

// Renders XML the way evtxexport lays it out.
class XmlVisitor {
 public:
  XmlVisitor(ChunkDecoder& d, std::string& out) : d_(d), out_(out) {}

  void Open(std::uint32_t name) {
    if (depth_ > 0 && depth_ < kStack && !has_child_[depth_]) out_.push_back('\n');
    if (depth_ > 0 && depth_ < kStack) has_child_[depth_] = true;
    ++depth_;
    if (depth_ < kStack) {
      names_[depth_] = name;
      has_child_[depth_] = false;
      tag_end_[depth_] = 0;
    }
    Indent();
    if (depth_ < kStack) tag_pos_[depth_] = out_.size();
    out_.push_back('<');
    out_.append(d_.Name(name));
  }
  void AttrBegin(std::uint32_t name) {
    out_.push_back(' ');
    out_.append(d_.Name(name));
    out_ += "=\"";
    in_attr_ = true;
  }
  void AttrEnd() {
    out_.push_back('"');
    in_attr_ = false;
  }
  void CloseStart() {
    out_.push_back('>');
    if (depth_ < kStack) tag_end_[depth_] = out_.size();
  }
  void CloseEmpty() {
    out_ += "/>\n";
    if (depth_ > 0) --depth_;
  }
  void End() {
    if (depth_ < kStack && has_child_[depth_]) Indent();
    out_ += "</";
    if (depth_ < kStack) out_.append(d_.Name(names_[depth_]));
    out_ += ">\n";
    if (depth_ > 0) --depth_;
  }
  void Text(std::string_view s) { Escape(s); }
  void CData(std::string_view s) {
    out_ += "<![CDATA[";
    out_.append(s);
    out_ += "]]>";
  }
  void CharRef(std::uint16_t c) {
    out_ += "&#";
    out_ += std::to_string(c);
    out_.push_back(';');
  }
  void EntityRef(std::uint32_t name) {
    out_.push_back('&');
    out_.append(d_.Name(name));
    out_.push_back(';');
  }
  void PITarget(std::uint32_t name) {
    Indent();
    out_ += "<?";
    out_.append(d_.Name(name));
  }
  void PIData(std::string_view s) {
    out_.push_back(' ');
    out_.append(s);
    out_ += "?>\n";
  }
  void Val(const Value& v) {
    if ((v.type & kArrayFlag) && !in_attr_ && depth_ > 0 && depth_ < kStack) {
      // Like evtxexport: each item in a copy of the element.
      bool first = true;
      bool ok = ForEachArrayItem(v, [&](const Value& item) {
        if (!first && tag_pos_[depth_] < tag_end_[depth_] && tag_end_[depth_] <= out_.size()) {
          std::string tag = out_.substr(tag_pos_[depth_], tag_end_[depth_] - tag_pos_[depth_]);
          out_ += "</";
          out_.append(d_.Name(names_[depth_]));
          out_ += ">\n";
          Indent();
          out_ += tag;
        }
        first = false;
        tmp_.clear();
        AppendValue(item, tmp_);
        Escape(tmp_);
      });
      if (ok) return;
    }
    const std::uint8_t base = v.type & 0x7f;
    if (base != kString && base != kAnsiString) {
      AppendValue(v, out_);  // Numbers, GUIDs, SIDs, hex, times: nothing to escape.
      return;
    }
    tmp_.clear();
    AppendValue(v, tmp_);
    Escape(tmp_);
  }

 private:
  static constexpr int kStack = 256;
  void Indent() {
    if (depth_ > 1) out_.append(2 * static_cast<std::size_t>(depth_ - 1), ' ');
  }
  void Escape(std::string_view s) {
    // Append runs without special characters in one go.
    static constexpr auto kSpecial = [] {
      std::array<bool, 256> t{};
      t['&'] = t['<'] = t['>'] = t['"'] = true;
      return t;
    }();
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
#if defined(__SSE2__)
      // Skip 16 plain bytes at a time.
      while (i + 16 <= s.size()) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')),
                                                _mm_cmpeq_epi8(v, _mm_set1_epi8('<'))),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('>')),
                                                _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))));
        int mask = _mm_movemask_epi8(hit);
        if (mask != 0) {
          i += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
          break;
        }
        i += 16;
      }
      if (i >= s.size()) break;
#endif
      unsigned char ch = static_cast<unsigned char>(s[i]);
      if (!kSpecial[ch]) continue;
      const char* rep = ch == '&' ? "&amp;" : ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : nullptr;
      if (rep == nullptr) {  // '"': escaped in attributes only.
        if (!in_attr_) continue;
        rep = "&quot;";
      }
      out_.append(s.data() + run, i - run);
      out_.append(rep);
      run = i + 1;
    }
    out_.append(s.data() + run, s.size() - run);
  }
  ChunkDecoder& d_;
  std::string& out_;
  int depth_ = 0;
  // Entries at depth d are set when the element at depth d opens.
  bool has_child_[kStack];
  std::uint32_t names_[kStack];
  std::size_t tag_pos_[kStack];
  std::size_t tag_end_[kStack];
  bool in_attr_ = false;
  std::string tmp_;
};

}  // namespace

bool ChunkDecoder::DecodeRecord(std::uint32_t rec_off, std::uint32_t rec_size, bool strict,
                                bool fields, Record& rec, std::string& err) {
  strict_ = strict;
  rec_ok_ = false;
  // Move the previous record's fields aside so their buffers are reused.
  for (Field& f : rec.fields) field_spare_.push_back(std::move(f));
  rec.fields.clear();
  rec.provider.clear();
  rec.channel.clear();
  rec.computer.clear();
  rec.event_id = 0;
  rec.qualifiers = 0;
  rec.has_qualifiers = false;
  rec.level = -1;
  rec.time_text.clear();
  rec.filetime = rec.written_filetime;
  rec.id = rec.header_id;

  rec_data_ = rec_off + kRecordHeaderSize;
  rec_end_ = rec_off + rec_size - 4;
  Compiled& top = scratch_[0];
  top.clear();
  std::uint32_t consumed = 0;
  if (!CompileFragment(rec_data_, rec_end_, 0, top, &consumed, err)) return false;
  FieldVisitor v(*this, rec, fields, field_spare_);
  if (!Walk(*this, top, nullptr, 0, v, 0, err)) return false;
  if (v.have_time()) rec.filetime = v.time();
  AppendFiletime(rec.filetime, rec.time_text);
  rec_ok_ = true;
  return true;
}

bool ChunkDecoder::RenderXml(std::string& out, std::string& err) {
  if (!rec_ok_) {
    err = "no decoded record to render";
    return false;
  }
  strict_ = false;
  XmlVisitor v(*this, out);
  return Walk(*this, scratch_[0], nullptr, 0, v, 0, err);
}

}  // namespace trawl::evtx::detail
