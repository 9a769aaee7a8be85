#include "trawl/inventory/pe.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "trawl/core/text.h"

namespace trawl::inventory {
namespace {

constexpr std::uint64_t kMaxRsrc = 32u << 20;
constexpr std::size_t kHeaderBytes = 4096;
constexpr std::uint32_t kRtVersion = 16;
constexpr int kMaxBlockDepth = 4;

Status Broken(const char* what, std::uint64_t offset) {
  return Status::Error(fmt::format("PE: {} at offset {}", what, offset));
}

bool U16(const std::vector<std::uint8_t>& b, std::uint64_t at, std::uint16_t& v) {
  if (at > b.size() || b.size() - at < 2) return false;
  v = static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
  return true;
}

bool U32(const std::vector<std::uint8_t>& b, std::uint64_t at, std::uint32_t& v) {
  if (at > b.size() || b.size() - at < 4) return false;
  v = static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8) |
      (static_cast<std::uint32_t>(b[at + 2]) << 16) | (static_cast<std::uint32_t>(b[at + 3]) << 24);
  return true;
}


// UTF-16LE from `at` up to a NUL or `end` (exclusive); `next` gets the offset
// after the NUL. Unpaired surrogates become U+FFFD.
bool Utf16z(const std::vector<std::uint8_t>& b, std::uint64_t at, std::uint64_t end,
            std::string& out, std::uint64_t& next) {
  out.clear();
  end = std::min<std::uint64_t>(end, b.size());
  while (at + 2 <= end) {
    std::uint16_t u = 0;
    U16(b, at, u);
    at += 2;
    if (u == 0) {
      next = at;
      return true;
    }
    std::uint32_t cp = u;
    if (u >= 0xD800 && u <= 0xDBFF) {
      std::uint16_t lo;
      if (at + 2 <= end && U16(b, at, lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((u - 0xD800u) << 10) + (lo - 0xDC00u);
        at += 2;
      } else {
        cp = 0xFFFD;
      }
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      cp = 0xFFFD;
    }
    AppendUtf8(out, cp);
  }
  next = end;
  return false;  // unterminated
}

std::uint64_t Align4(std::uint64_t v) { return (v + 3) & ~std::uint64_t{3}; }

std::string Quad(std::uint32_t ms, std::uint32_t ls) {
  return fmt::format("{}.{}.{}.{}", ms >> 16, ms & 0xFFFF, ls >> 16, ls & 0xFFFF);
}

// One VS_VERSIONINFO-style block at `at`: {wLength, wValueLength, wType,
// szKey, pad, Value, pad, Children}. Fills `info` from the fixed info, the
// StringFileInfo's first StringTable and its String children.
Status ParseBlock(const std::vector<std::uint8_t>& b, std::uint64_t at, std::uint64_t limit,
                  int depth, PeVersionInfo& info) {
  if (depth > kMaxBlockDepth) return Broken("version blocks nested too deep", at);
  std::uint16_t len = 0, value_len = 0, type = 0;
  if (!U16(b, at, len) || !U16(b, at + 2, value_len) || !U16(b, at + 4, type))
    return Broken("truncated version block", at);
  if (len < 6) return Broken("version block too short", at);
  std::uint64_t end = at + len;
  if (end > limit) return Broken("version block overruns its parent", at);
  std::string key;
  std::uint64_t p;
  if (!Utf16z(b, at + 6, end, key, p)) return Broken("unterminated version key", at);
  p = Align4(p);
  // Text values count WCHARs (some linkers write bytes: both fit below).
  std::uint64_t value_bytes = type == 1 ? std::uint64_t{value_len} * 2 : value_len;
  if (depth == 0) {
    if (key != "VS_VERSION_INFO") return Broken("not a VS_VERSION_INFO block", at);
    if (value_len >= 52 && p + 52 <= end) {
      std::uint32_t sig, fms, fls, pms, pls;
      U32(b, p, sig);
      if (sig == 0xFEEF04BD && U32(b, p + 8, fms) && U32(b, p + 12, fls) && U32(b, p + 16, pms) &&
          U32(b, p + 20, pls)) {
        info.file_version = Quad(fms, fls);
        info.product_version = Quad(pms, pls);
      }
    }
  }
  if (depth == 3) {
    // A String: UTF-16 text up to its NUL or the block's end (wValueLength
    // counts WCHARs or bytes depending on the linker, so it is not trusted).
    std::string value;
    std::uint64_t ignored;
    if (value_len > 0) Utf16z(b, p, end, value, ignored);
    if (!info.strings.count(key)) info.strings[key] = value;
    return Status::Ok();
  }
  std::uint64_t child = Align4(std::min(end, p + value_bytes));
  // Children: StringFileInfo -> the first StringTable -> its Strings.
  // VarFileInfo is skipped.
  int tables = 0;
  while (child + 6 <= end) {
    std::uint16_t clen = 0;
    U16(b, child, clen);
    if (clen == 0) break;  // padding
    std::string ckey;
    std::uint64_t ignored;
    Utf16z(b, child + 6, std::min<std::uint64_t>(end, child + clen), ckey, ignored);
    bool descend =
        (depth == 0 && ckey == "StringFileInfo") || (depth == 1 && tables++ == 0) || depth == 2;
    if (descend) {
      Status st = ParseBlock(b, child, end, depth + 1, info);
      if (!st.ok()) return st;
    }
    child = Align4(child + clen);
  }
  return Status::Ok();
}

struct Section {
  std::uint32_t va = 0, vsize = 0, raw_ptr = 0, raw_size = 0;
};

}  // namespace

Result<PeVersionInfo> ReadPeVersion(const ReadAtFn& read_at, std::uint64_t file_size) {
  std::vector<std::uint8_t> h;
  if (Status st = read_at(0, kHeaderBytes, h); !st.ok()) return st;
  if (h.size() < 64 || h[0] != 'M' || h[1] != 'Z') return Status::Error("not a PE file (no MZ)");
  std::uint32_t pe_off = 0;
  U32(h, 0x3C, pe_off);
  if (pe_off > h.size() || h.size() - pe_off < 24)
    return Broken("PE header outside the first 4 KiB", 0x3C);
  if (std::memcmp(&h[pe_off], "PE\0\0", 4) != 0)
    return Status::Error("not a PE file (no PE\\0\\0)");
  std::uint16_t nsections = 0, opt_size = 0, magic = 0;
  U16(h, pe_off + 6, nsections);
  U16(h, pe_off + 20, opt_size);
  std::uint64_t opt = pe_off + 24;
  if (!U16(h, opt, magic)) return Broken("truncated optional header", opt);
  // Data directory 2 (resources): PE32 at 96 + 16, PE32+ at 112 + 16.
  std::uint64_t dirs = opt + (magic == 0x20B ? 112 : magic == 0x10B ? 96 : 0);
  if (dirs == opt) return Broken("unknown optional header magic", opt);
  std::uint32_t ndirs;
  if (!U32(h, dirs - 4, ndirs)) return Broken("truncated optional header", dirs - 4);
  std::uint32_t rsrc_rva = 0, rsrc_size = 0;
  if (ndirs > 2 && dirs + 24 <= opt + opt_size) {
    U32(h, dirs + 16, rsrc_rva);
    U32(h, dirs + 20, rsrc_size);
  }
  if (rsrc_rva == 0) return Status::Error("no version resource (no resource directory)");
  std::uint64_t sec_at = opt + opt_size;
  std::vector<Section> sections;
  for (std::uint16_t i = 0; i < nsections && i < 96; ++i) {
    std::uint64_t s = sec_at + std::uint64_t{i} * 40;
    Section sec;
    if (!U32(h, s + 8, sec.vsize) || !U32(h, s + 12, sec.va) || !U32(h, s + 16, sec.raw_size) ||
        !U32(h, s + 20, sec.raw_ptr))
      return Broken("section table outside the first 4 KiB", s);
    sections.push_back(sec);
  }
  const Section* rs = nullptr;
  for (const Section& s : sections) {
    std::uint64_t span = std::max(s.vsize, s.raw_size);
    if (rsrc_rva >= s.va && rsrc_rva < s.va + span) rs = &s;
  }
  if (!rs) return Broken("resource directory in no section", rsrc_rva);
  std::uint64_t delta = rsrc_rva - rs->va;
  if (delta >= rs->raw_size)
    return Broken("resource directory beyond the section's data", rsrc_rva);
  std::uint64_t rsrc_off = std::uint64_t{rs->raw_ptr} + delta;
  std::uint64_t avail = rs->raw_size - delta;
  if (rsrc_off >= file_size) return Broken("resource section beyond the end of the file", rsrc_off);
  avail = std::min<std::uint64_t>({avail, file_size - rsrc_off, kMaxRsrc});
  std::vector<std::uint8_t> r;
  if (Status st = read_at(rsrc_off, static_cast<std::size_t>(avail), r); !st.ok()) return st;
  // Offsets inside the resource tree are relative to its start; leaf data
  // offsets are RVAs (of the same section, in practice).
  auto rva_to_r = [&](std::uint32_t rva, std::uint64_t& out) {
    if (rva < rsrc_rva) return false;
    out = rva - rsrc_rva;
    return out < r.size();
  };
  // Walks type -> name -> language, taking RT_VERSION then the first entry.
  std::uint64_t dir = 0;
  std::uint32_t leaf = 0;
  for (int level = 0; level < 3; ++level) {
    std::uint16_t named, ids;
    if (!U16(r, dir + 12, named) || !U16(r, dir + 14, ids))
      return Broken("truncated resource directory", rsrc_off + dir);
    std::uint32_t total = std::uint32_t{named} + ids;
    bool found = false;
    for (std::uint32_t i = 0; i < total; ++i) {
      std::uint64_t e = dir + 16 + std::uint64_t{i} * 8;
      std::uint32_t name, off;
      if (!U32(r, e, name) || !U32(r, e + 4, off))
        return Broken("truncated resource entry", rsrc_off + e);
      if (level == 0 && name != kRtVersion) continue;
      bool subdir = (off & 0x80000000u) != 0;
      off &= 0x7FFFFFFFu;
      if (level < 2 && !subdir) return Broken("resource entry is not a directory", rsrc_off + e);
      if (level == 2 && subdir) return Broken("resource leaf is a directory", rsrc_off + e);
      if (level < 2)
        dir = off;
      else
        leaf = off;
      found = true;
      break;
    }
    if (!found) return Status::Error("no version resource");
  }
  std::uint32_t data_rva, data_size;
  if (!U32(r, leaf, data_rva) || !U32(r, std::uint64_t{leaf} + 4, data_size))
    return Broken("truncated resource data entry", rsrc_off + leaf);
  std::uint64_t vs;
  if (!rva_to_r(data_rva, vs))
    return Broken("version resource outside the resource section", data_rva);
  std::uint64_t vs_end = std::min<std::uint64_t>(r.size(), vs + data_size);
  PeVersionInfo info;
  if (Status st = ParseBlock(r, vs, vs_end, 0, info); !st.ok()) return st;
  return info;
}

Result<PeVersionInfo> ReadPeVersion(const std::uint8_t* data, std::size_t n) {
  auto read_at = [&](std::uint64_t off, std::size_t len, std::vector<std::uint8_t>& out) {
    out.clear();
    if (off < n) out.assign(data + off, data + off + std::min<std::uint64_t>(len, n - off));
    return Status::Ok();
  };
  return ReadPeVersion(read_at, n);
}

}  // namespace trawl::inventory
