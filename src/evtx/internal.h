// Internal pieces of the EVTX reader: byte access, value formatting, the
// Binary XML compiler/walker and the per-worker chunk decoder.
//
// Binary XML is decoded in two steps. A fragment (a template definition, a
// record's body or a nested BinXml value) is first "compiled" into a flat list
// of Nodes (names resolved through the chunk string table and converted to
// UTF-8 once, static text converted once). Template definitions are compiled
// once per chunk and cached by their chunk offset. A record is then "walked":
// the walker replays the nodes, resolving substitutions against the record's
// value array, and feeds a visitor (field extraction, XML rendering).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/evtx/evtx.h"

namespace trawl::evtx::detail {

static_assert(sizeof(void*) == 8 || sizeof(void*) == 4);

constexpr std::uint32_t kFileHeaderSize = 4096;
constexpr std::uint32_t kChunkSize = 65536;
constexpr std::uint32_t kChunkHeaderSize = 512;
constexpr std::uint32_t kRecordHeaderSize = 24;
constexpr int kMaxDepth = 12;          // Nested templates / BinXml values.
constexpr int kMaxElementDepth = 128;  // Element nesting inside one fragment.

inline std::uint16_t Le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t Le32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}
inline std::uint64_t Le64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

std::uint32_t Crc32(const std::uint8_t* p, std::size_t n, std::uint32_t crc = 0);
// Same result, table-driven only (tests compare the two).
std::uint32_t Crc32Portable(const std::uint8_t* p, std::size_t n, std::uint32_t crc = 0);

// Binary XML value types.
enum ValueType : std::uint8_t {
  kNull = 0x00,
  kString = 0x01,
  kAnsiString = 0x02,
  kInt8 = 0x03,
  kUInt8 = 0x04,
  kInt16 = 0x05,
  kUInt16 = 0x06,
  kInt32 = 0x07,
  kUInt32 = 0x08,
  kInt64 = 0x09,
  kUInt64 = 0x0a,
  kReal32 = 0x0b,
  kReal64 = 0x0c,
  kBool = 0x0d,
  kBinary = 0x0e,
  kGuid = 0x0f,
  kSizeT = 0x10,
  kFiletime = 0x11,
  kSystemtime = 0x12,
  kSid = 0x13,
  kHexInt32 = 0x14,
  kHexInt64 = 0x15,
  kEvtHandle = 0x20,
  kBinXml = 0x21,
  kEvtXml = 0x23,
  kArrayFlag = 0x80,
};

// A substitution value: points into the chunk.
struct Value {
  const std::uint8_t* data = nullptr;
  std::uint32_t size = 0;
  std::uint8_t type = kNull;
};

// Size of one item of an array of `item` values; 0 when variable-sized.
std::size_t ArrayItemSize(std::uint8_t item);

// Calls f(item) for each item of an array value (type | kArrayFlag): string
// arrays are NUL-terminated UTF-16 strings (a missing final NUL tolerated),
// others fixed-size items. False (and no calls) when the size does not fit
// the item type or the item type is unsupported.
template <class F>
bool ForEachArrayItem(const Value& v, F&& f) {
  const std::uint8_t item = v.type & 0x7f;
  if (item == kString) {
    const std::size_t units = v.size / 2;
    std::size_t start = 0;
    for (std::size_t i = 0; i < units; ++i) {
      if (Le16(v.data + 2 * i) == 0) {
        f(Value{v.data + 2 * start, static_cast<std::uint32_t>(2 * (i - start)), kString});
        start = i + 1;
      }
    }
    if (start < units) {
      f(Value{v.data + 2 * start, static_cast<std::uint32_t>(2 * (units - start)), kString});
    }
    return true;
  }
  const std::size_t size = ArrayItemSize(item);
  if (size == 0 || v.size % size != 0) return false;
  for (std::size_t i = 0; i < v.size / size; ++i) {
    f(Value{v.data + i * size, static_cast<std::uint32_t>(size), item});
  }
  return true;
}

// Appends the value as text, in evtxexport's representation. Never fails:
// a value whose size does not fit its type is rendered as hex bytes.
void AppendValue(const Value& v, std::string& out);
// UTF-16LE (n code units) to UTF-8; unpaired surrogates become U+FFFD.
void AppendUtf16(const std::uint8_t* p, std::size_t n, std::string& out);

// Names the field extractor cares about.
enum Known : std::uint8_t {
  kUnknownName = 0,
  kEvent,
  kSystem,
  kProvider,
  kEventID,
  kLevel,
  kTimeCreated,
  kChannel,
  kComputer,
  kEventData,
  kUserData,
  kData,
  kNameAttr,
  kQualifiers,
  kSystemTime,
  kXmlns,
  kEventRecordID,
};

struct NameEntry {
  std::uint32_t off = 0;  // Into the decoder's arena (UTF-8).
  std::uint32_t len = 0;
  std::uint8_t known = kUnknownName;
};

enum class Op : std::uint8_t {
  kOpen,        // a = name index, b = index after the element's end,
                // flags & 2: content is only optional substitutions
  kAttr,        // a = name index, b = number of value nodes that follow
  kCloseStart,  // '>'
  kCloseEmpty,  // '/>'
  kEnd,         // '</name>'
  kText,        // a = arena offset, b = length (UTF-8)
  kCData,       // a, b as kText
  kCharRef,     // sub = code unit
  kEntityRef,   // a = name index
  kPITarget,    // a = name index
  kPIData,      // a, b as kText
  kSubst,       // sub = substitution index, b = declared type, flags & 1 = optional
  kTemplate,    // a = template index, b = first value in Compiled::values, sub = count
};

struct Node {
  Op op;
  std::uint8_t flags = 0;
  std::uint16_t sub = 0;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
};

struct Compiled {
  std::vector<Node> nodes;
  std::vector<Value> values;  // Values of template instances in `nodes`.
  void clear() {
    nodes.clear();
    values.clear();
  }
};

struct Template {
  std::uint32_t def_offset = 0;
  std::uint8_t guid[16] = {};
  bool ok = false;
  std::string error;  // Why compilation failed (ok == false).
  Compiled code;
};

class ChunkDecoder;

// What a Record's `context` points at: enough to re-walk the record.
class RecordContext {
 public:
  ChunkDecoder* decoder = nullptr;
};

// Decodes the records of one chunk at a time. One per worker thread.
class ChunkDecoder {
 public:
  ChunkDecoder();

  // Starts a chunk. `chunk` holds the chunk bytes (possibly fewer than 64 KiB
  // when the input is truncated) and must outlive the records decoded from it.
  void BeginChunk(std::span<const std::uint8_t> chunk);

  // Decodes the Binary XML of the record at chunk offset `rec_off` (its
  // header), `rec_size` bytes long. Fills the Binary XML-derived parts of
  // `rec` (time, System values, fields). `strict` (slack/salvage) additionally
  // requires template identifiers and name hashes to match. On failure returns
  // false and sets `err`.
  bool DecodeRecord(std::uint32_t rec_off, std::uint32_t rec_size, bool strict, bool fields,
                    Record& rec, std::string& err);

  // Renders the record last decoded as XML. False with `err` on failure.
  bool RenderXml(std::string& out, std::string& err);

  RecordContext* context() { return &context_; }

  // Accessors for the walker and visitors.
  std::string_view Name(std::uint32_t idx) const {
    const NameEntry& n = names_[idx];
    return std::string_view(arena_).substr(n.off, n.len);
  }
  const NameEntry& NameAt(std::uint32_t idx) const { return names_[idx]; }
  std::string_view Text(std::uint32_t off, std::uint32_t len) const {
    return std::string_view(arena_).substr(off, len);
  }
  const Template& TemplateAt(std::uint32_t idx) const { return templates_[idx]; }
  const std::uint8_t* chunk_data() const { return chunk_.data(); }
  std::size_t chunk_size() const { return chunk_.size(); }

  // Compiles the fragment in chunk bytes [pos, end) into `out` (appending).
  // Stops after the end-of-stream token or at `end`. `*consumed` is set to the
  // offset after the last token read. False with `err` on malformed input.
  bool CompileFragment(std::uint32_t pos, std::uint32_t end, int depth, Compiled& out,
                       std::uint32_t* consumed, std::string& err);

  // Compiled scratch space for nested BinXml values at nesting `depth`.
  Compiled& Scratch(int depth) { return scratch_[depth]; }

  bool strict() const { return strict_; }

 private:
  bool ReadName(std::uint32_t name_off, std::uint32_t* pos, std::uint32_t end, std::uint32_t* idx,
                std::string& err);
  bool GetTemplate(std::uint32_t def_off, std::uint32_t template_id, std::uint32_t* pos,
                   std::uint32_t end, int depth, std::uint32_t* idx, std::string& err);
  bool ReadValues(std::uint32_t* pos, std::uint32_t end, Compiled& out, std::uint16_t* count,
                  std::string& err);
  std::uint32_t AddText(const std::uint8_t* p, std::size_t n);

  std::span<const std::uint8_t> chunk_;
  std::uint32_t generation_ = 0;
  struct Slot {
    std::uint32_t stamp = 0;
    std::uint32_t idx = 0;
  };
  std::vector<Slot> name_slots_;      // By chunk offset.
  std::vector<Slot> template_slots_;  // By chunk offset.
  std::vector<NameEntry> names_;
  std::deque<Template> templates_;  // First ntemplates_ are live; stable addresses.
  std::size_t ntemplates_ = 0;
  std::string arena_;
  Compiled scratch_[kMaxDepth + 2];
  std::vector<Field> field_spare_;
  bool strict_ = false;
  std::uint32_t rec_data_ = 0, rec_end_ = 0;  // Last decoded record's BinXml.
  bool rec_ok_ = false;
  RecordContext context_;
};

// Walks compiled nodes [begin, end) of `code`, substituting `vals`, feeding `v`.
// Implemented in binxml.cc for the visitors declared there.
struct FieldSink;

}  // namespace trawl::evtx::detail
