#include "ole.h"

#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-input-stdio.h>
#include <gsf/gsf-input.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <mutex>
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
    g_log_set_handler(
        "libgsf", static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL),
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

}  // namespace

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
  OleWalk walk(sink, depth);
  walk.Storage(ole.get(), chain, "", 0);
}

}  // namespace trawl::read
