#include "ole.h"

#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-input-stdio.h>
#include <gsf/gsf-input.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "trawl/core/text.h"
#include "trawl/read/read.h"
#include "trawl/read/unpack.h"

namespace trawl::read {
namespace {

struct Unref {
  void operator()(void* o) const noexcept {
    if (o) g_object_unref(o);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, Unref>;

// libgsf complains about damaged files through g_warning on stderr; the
// damage is reported as an error record instead.
void QuietGsf() {
  static std::once_flag once;
  std::call_once(once, [] {
    // The OLE reader logs under its own domain ("libgsf:msole", e.g.
    // "ole_dirent_new: assertion ... failed" on a damaged directory).
    for (const char* domain : {"libgsf", "libgsf:msole", "libgsf:utils"})
      g_log_set_handler(
          domain, static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL),
          [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
  });
}

char MsiChar(unsigned x) {
  if (x < 10) return static_cast<char>('0' + x);
  if (x < 36) return static_cast<char>('A' + x - 10);
  if (x < 62) return static_cast<char>('a' + x - 36);
  return x == 62 ? '.' : '_';
}

// Next code point of UTF-8 `s` at i (advances i); invalid bytes come out as
// themselves.
unsigned NextCodePoint(const std::string& s, std::size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  if (i + extra >= s.size()) extra = 0;  // cut short: the byte as it is
  if (extra == 0) {
    ++i;
    return c < 0x80 ? c : 0x80000000u | c;  // a byte that starts no character: kept raw
  }
  unsigned cp = extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += 1 + extra;
  return cp;
}

std::uint32_t Le(std::span<const std::uint8_t> b, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint32_t>(b[at + i]) << (8 * i);
  return v;
}

// The MSI string pool (after Wine's msi/string.c, the format's one public
// description): _StringPool holds a header (codepage; its top bit says string
// references are 3 bytes wide, not 2) and then one (length, refcount) pair of
// 16-bit words per string id from 1; a string of 64 KiB or more is a (0, high)
// entry followed by (low, refcount). Empty ids are (0, 0). _StringData holds
// the strings back to back, in the codepage (taken as bytes: UTF-8 for 65001,
// Latin-1 for the rest, close enough for file names).
// Each string is kept as its place in _StringData (8 bytes per id, not a
// std::string each: a pool of millions of empty ids stays small) and made
// text only when a table cell that is needed names it.
struct StringPool {
  struct Span {
    std::uint32_t offset = 0, len = 0;
  };
  std::vector<Span> spans{Span{}};  // id 0: null
  std::span<const std::uint8_t> data;
  bool utf8 = false;
  int ref_bytes = 2;
  bool ok = false;

  std::optional<std::string> At(std::uint32_t id) const {
    if (id >= spans.size()) return std::nullopt;
    const Span s = spans[id];
    if (utf8) return std::string(reinterpret_cast<const char*>(data.data() + s.offset), s.len);
    std::string out;
    for (std::uint32_t k = 0; k < s.len; ++k) AppendUtf8(out, data[s.offset + k]);
    return out;
  }
};

StringPool ReadStringPool(std::span<const std::uint8_t> pool, std::span<const std::uint8_t> data) {
  StringPool sp;
  if (pool.size() < 4 || pool.size() % 4 != 0) return sp;
  const std::uint32_t codepage = Le(pool, 0, 4);
  sp.ref_bytes = (codepage & 0x80000000u) ? 3 : 2;
  sp.utf8 = (codepage & 0x7fffffffu) == 65001;
  sp.data = data;
  const std::size_t count = pool.size() / 4;
  std::size_t offset = 0;
  for (std::size_t i = 1; i < count;) {
    std::uint32_t len = Le(pool, i * 4, 2), refs = Le(pool, i * 4 + 2, 2);
    if (len == 0 && refs == 0) {
      sp.spans.emplace_back();
      ++i;
      continue;
    }
    if (len == 0) {  // a long string: this entry's refcount word is the high half
      if (i + 1 >= count) return sp;
      len = (refs << 16) | Le(pool, (i + 1) * 4, 2);
      i += 2;
    } else {
      i += 1;
    }
    if (len > data.size() - offset) return sp;  // the data ends early: damaged
    sp.spans.push_back({static_cast<std::uint32_t>(offset), len});
    offset += len;
  }
  sp.ok = true;
  return sp;
}

// Column type bits (Wine's msipriv.h).
constexpr unsigned kTypeValid = 0x0100, kTypeString = 0x0800, kTypeNullable = 0x1000,
                   kTypeTemporary = 0x4000;

int ColumnBytes(unsigned type, int ref_bytes) {
  if ((type & ~kTypeNullable) == (kTypeString | kTypeValid)) return 2;  // a binary (stream) column
  if (type & kTypeString) return ref_bytes;
  if ((type & 0xff) <= 2) return 2;
  if ((type & 0xff) == 4) return 4;
  return 0;  // no such column: the schema is not one this reader knows
}

class OleWalk {
 public:
  OleWalk(OleSink& sink, int depth) : sink_(sink), depth_(depth) {}

  // False: stop (a limit).
  bool Storage(GsfInfile* dir, const std::string& chain, const std::string& prefix, int level) {
    if (level > 64) {  // directory entries form a tree; a deeper one is hostile
      sink_.Error(chain, "ole: storages nested deeper than 64");
      return true;
    }
    int n = gsf_infile_num_children(dir);
    for (int i = 0; i < n; ++i) {
      GPtr<GsfInput> child(gsf_infile_child_by_index(dir, i));
      const char* raw = gsf_infile_name_by_index(dir, i);
      std::string name = prefix + DecodeMsiName(raw ? raw : "(unnamed)");
      if (!child) {
        sink_.Error(chain + "!" + name, "ole: stream cannot be opened");
        continue;
      }
      if (GSF_IS_INFILE(child.get()) && gsf_infile_num_children(GSF_INFILE(child.get())) >= 0) {
        if (!Storage(GSF_INFILE(child.get()), chain, name + "/", level + 1)) return false;
        continue;
      }
      if (!Stream(child.get(), chain, name)) return false;
    }
    return true;
  }

 private:
  bool Stream(GsfInput* in, const std::string& chain, const std::string& name) {
    Member m;
    m.name = name;
    m.chain = chain + "!" + name;
    m.depth = depth_;
    gsf_off_t size = gsf_input_size(in);
    if (size < 0) size = 0;
    m.size = static_cast<std::uint64_t>(size);
    if (*m.size > sink_.max_member_bytes()) {
      m.state = Member::State::kTooLarge;
      return sink_.Emit(m, depth_);
    }
    buf_.resize(static_cast<std::size_t>(size));
    std::size_t done = 0;
    while (done < buf_.size()) {
      std::size_t want = std::min<std::size_t>(64 << 10, buf_.size() - done);
      if (!gsf_input_read(in, want, buf_.data() + done)) {
        sink_.Error(m.chain, "ole: stream ends early (" + std::to_string(done) + " of " +
                                 std::to_string(buf_.size()) + " bytes)");
        return true;
      }
      done += want;
      if (!sink_.Bytes(want, m.chain)) return false;
    }
    m.bytes = buf_;
    bool go = sink_.Emit(m, depth_);
    return go;
  }

  OleSink& sink_;
  int depth_;
  std::vector<std::uint8_t> buf_;  // one stream (reused; the visitor is done with it on return)
};

// The raw name of an MSI table's stream starts with U+4840.
bool IsMsiTable(const char* raw) {
  return raw && static_cast<unsigned char>(raw[0]) == 0xE4 &&
         static_cast<unsigned char>(raw[1]) == 0xA1 && static_cast<unsigned char>(raw[2]) == 0x80;
}

// The File table of the compound file, when it is an MSI database; empty
// otherwise. The four table streams are small (a few MiB in the largest
// installers): read here whole, up to 16 MiB each.
std::map<std::string, std::string> ReadMsiFileNames(GsfInfile* root) {
  std::vector<std::uint8_t> pool, data, columns, file;
  int found = 0;
  const int n = gsf_infile_num_children(root);
  for (int i = 0; i < n; ++i) {
    const char* raw = gsf_infile_name_by_index(root, i);
    if (!IsMsiTable(raw)) continue;
    const std::string name = DecodeMsiName(raw);
    std::vector<std::uint8_t>* into = name == "_StringPool"   ? &pool
                                      : name == "_StringData" ? &data
                                      : name == "_Columns"    ? &columns
                                      : name == "File"        ? &file
                                                              : nullptr;
    if (!into) continue;
    GPtr<GsfInput> in(gsf_infile_child_by_index(root, i));
    if (!in || (GSF_IS_INFILE(in.get()) && gsf_infile_num_children(GSF_INFILE(in.get())) >= 0))
      continue;
    const gsf_off_t size = gsf_input_size(in.get());
    if (size < 0 || size > (16 << 20)) return {};
    into->resize(static_cast<std::size_t>(size));
    if (size > 0 && !gsf_input_read(in.get(), into->size(), into->data())) return {};
    ++found;
  }
  if (found < 4) return {};
  return MsiFileTable(pool, data, columns, file);
}

}  // namespace

std::map<std::string, std::string> MsiFileTable(std::span<const std::uint8_t> string_pool,
                                                std::span<const std::uint8_t> string_data,
                                                std::span<const std::uint8_t> columns,
                                                std::span<const std::uint8_t> file_table) {
  std::map<std::string, std::string> out;
  const StringPool sp = ReadStringPool(string_pool, string_data);
  if (!sp.ok) return out;
  const int rb = sp.ref_bytes;
  auto str = [&](std::span<const std::uint8_t> b, std::size_t at) {
    return sp.At(Le(b, at, rb));
  };
  // _Columns: Table (string), Number (i2), Name (string), Type (i2), stored
  // column by column; integers carry a 0x8000 bias.
  const std::size_t crow = 2 * static_cast<std::size_t>(rb) + 4;
  if (columns.empty() || columns.size() % crow != 0) return out;
  const std::size_t crows = columns.size() / crow;
  struct Column {
    unsigned number = 0, type = 0;
    std::string name;
  };
  std::vector<Column> file_cols;
  for (std::size_t r = 0; r < crows; ++r) {
    const std::optional<std::string> table = str(columns, r * rb);
    if (!table || *table != "File") continue;
    Column c;
    c.number = Le(columns, crows * rb + r * 2, 2) ^ 0x8000u;
    std::optional<std::string> name = str(columns, crows * (rb + 2) + r * rb);
    c.type = Le(columns, crows * (2 * rb + 2) + r * 2, 2) ^ 0x8000u;
    if (!name) return out;
    c.name = std::move(*name);
    file_cols.push_back(std::move(c));
  }
  std::sort(file_cols.begin(), file_cols.end(),
            [](const Column& a, const Column& b) { return a.number < b.number; });
  // The File table's stored columns, in order, and where the two we need sit.
  std::size_t row_bytes = 0, key_at = 0, name_at = 0;
  int key_col = -1, name_col = -1;
  std::vector<int> widths;
  for (const Column& c : file_cols) {
    if (c.type & kTypeTemporary) continue;  // not stored
    const int w = ColumnBytes(c.type, rb);
    if (w == 0) return out;
    // The two cells read below are string references, `rb` bytes each: a
    // column of that name stored any other way (a binary column is 2 bytes
    // wide) is a schema this reader does not know.
    if (c.name == "File" || c.name == "FileName") {
      if (!(c.type & kTypeString) || w != rb) return out;
      (c.name == "File" ? key_col : name_col) = static_cast<int>(widths.size());
    }
    widths.push_back(w);
    row_bytes += static_cast<std::size_t>(w);
  }
  if (key_col < 0 || name_col < 0 || row_bytes == 0 || file_table.size() % row_bytes != 0)
    return out;
  const std::size_t rows = file_table.size() / row_bytes;
  for (int i = 0; i < key_col; ++i) key_at += rows * static_cast<std::size_t>(widths[i]);
  for (int i = 0; i < name_col; ++i) name_at += rows * static_cast<std::size_t>(widths[i]);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::optional<std::string> key = str(file_table, key_at + r * rb);
    const std::optional<std::string> name = str(file_table, name_at + r * rb);
    if (!key || !name || key->empty() || name->empty()) continue;
    // FileName is "SHORT~1.DLL|long name.dll", or one name that is both.
    const std::size_t bar = name->find('|');
    std::string longname = bar == std::string::npos ? *name : name->substr(bar + 1);
    if (!longname.empty()) out.emplace(*key, std::move(longname));
  }
  return out;
}

std::string DecodeMsiName(const std::string& name) {
  std::string out;
  for (std::size_t i = 0; i < name.size();) {
    unsigned cp = NextCodePoint(name, i);
    if (cp >= 0x3800 && cp < 0x4800) {
      cp -= 0x3800;
      out += MsiChar(cp & 0x3F);
      out += MsiChar((cp >> 6) & 0x3F);
    } else if (cp >= 0x4800 && cp < 0x4840) {
      out += MsiChar(cp - 0x4800);
    } else if (cp == 0x4840) {
      // a table's stream: no character of its own
    } else if (cp & 0x80000000u) {
      out += static_cast<char>(cp & 0xFF);
    } else {
      AppendUtf8(out, cp);  // trawl/core/text.h
    }
  }
  return out;
}

void WalkOle(const File* file, std::span<const std::uint8_t> mem, const std::string& chain,
             int depth, OleSink& sink) {
  QuietGsf();
  GPtr<GsfInput> input;
  if (file) {
    int fd = ::dup(file->fd());
    if (fd < 0) {
      sink.Error(chain, "ole: dup failed");
      return;
    }
    FILE* fp = ::fdopen(fd, "rb");
    if (!fp) {
      ::close(fd);
      sink.Error(chain, "ole: fdopen failed");
      return;
    }
    ::rewind(fp);
    input.reset(gsf_input_stdio_new_FILE(chain.c_str(), fp, FALSE));  // owns fp now
    if (!input) {
      sink.Error(chain, "ole: cannot read");
      return;
    }
  } else {
    input.reset(gsf_input_memory_new(mem.data(), static_cast<gsf_off_t>(mem.size()), FALSE));
  }
  GError* err = nullptr;
  GPtr<GsfInfile> ole(gsf_infile_msole_new(input.get(), &err));
  if (!ole) {
    sink.Error(chain, std::string("ole: ") + (err && err->message ? err->message : "not readable"));
    if (err) g_error_free(err);
    return;
  }
  if (err) g_error_free(err);
  const std::map<std::string, std::string> names = ReadMsiFileNames(ole.get());
  sink.MsiFileNames(names.empty() ? nullptr : &names);
  OleWalk walk(sink, depth);
  walk.Storage(ole.get(), chain, "", 0);
  sink.MsiFileNames(nullptr);
}

}  // namespace trawl::read
