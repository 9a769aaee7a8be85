// Compressed streams and containers (see unpack.h): libarchive for streams
// and archive formats, libgsf for OLE compound files, one budget for both.
#include "trawl/read/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "ole.h"
#include "trawl/core/stop.h"
#include "trawl/read/read.h"

namespace trawl::read {
namespace {

constexpr std::size_t kBlock = 64 << 10;  // read size from the input and from decoders

bool At(std::span<const std::uint8_t> b, std::size_t off, std::string_view magic) {
  return b.size() >= off + magic.size() &&
         std::memcmp(b.data() + off, magic.data(), magic.size()) == 0;
}

std::string Human(std::uint64_t n) {
  const char* units[] = {"", "K", "M", "G", "T"};
  int u = 0;
  while (u < 4 && n >= 1024 && n % 1024 == 0) {
    n /= 1024;
    ++u;
  }
  return std::to_string(n) + units[u];
}

// --- Input: where libarchive's bytes come from ----------------------------

// A file read with pread at our own offset (the File's descriptor offset is
// not ours to move), or bytes in memory. Sizes are as at open time: data
// appended while read is not part of it.
struct Input {
  const File* file = nullptr;
  std::span<const std::uint8_t> mem;
  std::uint64_t size = 0;
  std::uint64_t pos = 0;
  std::vector<std::uint8_t> buf;
  std::string error;               // a read error (libarchive only sees "-1")
  UnpackBudget* budget = nullptr;  // the outermost input counts the packed bytes it hands out

  static Input OfFile(const File& f) {
    Input in;
    in.file = &f;
    in.size = static_cast<std::uint64_t>(std::max<off_t>(f.st().st_size, 0));
    return in;
  }
  static Input OfBytes(std::span<const std::uint8_t> b) {
    Input in;
    in.mem = b;
    in.size = b.size();
    return in;
  }
};

la_ssize_t InputRead(struct archive*, void* data, const void** out) {
  auto* in = static_cast<Input*>(data);
  if (in->pos >= in->size) {
    *out = nullptr;
    return 0;
  }
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, in->size - in->pos));
  if (in->budget) in->budget->AddPacked(want);
  if (!in->file) {
    *out = in->mem.data() + in->pos;
    in->pos += want;
    return static_cast<la_ssize_t>(want);
  }
  if (in->buf.size() < kBlock) in->buf.resize(kBlock);
  for (;;) {
    ssize_t r = ::pread(in->file->fd(), in->buf.data(), want, static_cast<off_t>(in->pos));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      in->error = std::string("read error at offset ") + std::to_string(in->pos) + ": " +
                  std::strerror(errno);
      return -1;
    }
    if (r == 0) in->size = in->pos;  // shrank while read: its end is here now
    in->pos += static_cast<std::uint64_t>(r);
    *out = in->buf.data();
    return r;
  }
}

la_int64_t InputSkip(struct archive*, void* data, la_int64_t request) {
  auto* in = static_cast<Input*>(data);
  if (request <= 0) return 0;
  std::uint64_t n =
      std::min<std::uint64_t>(static_cast<std::uint64_t>(request), in->size - in->pos);
  in->pos += n;
  return static_cast<la_int64_t>(n);
}

la_int64_t InputSeek(struct archive*, void* data, la_int64_t offset, int whence) {
  auto* in = static_cast<Input*>(data);
  la_int64_t base = whence == SEEK_SET   ? 0
                    : whence == SEEK_CUR ? static_cast<la_int64_t>(in->pos)
                                         : static_cast<la_int64_t>(in->size);
  la_int64_t to = base + offset;
  if (to < 0) return ARCHIVE_FATAL;
  in->pos = std::min<std::uint64_t>(static_cast<std::uint64_t>(to), in->size);
  return static_cast<la_int64_t>(in->pos);
}

std::size_t ReadAt(Input& in, std::uint64_t off, std::uint8_t* out, std::size_t n) {
  if (off >= in.size) return 0;
  n = static_cast<std::size_t>(std::min<std::uint64_t>(n, in.size - off));
  if (!in.file) {
    std::memcpy(out, in.mem.data() + off, n);
    return n;
  }
  for (;;) {
    ssize_t r = ::pread(in.file->fd(), out, n, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) continue;
    return r < 0 ? 0 : static_cast<std::size_t>(r);
  }
}

Container SniffInput(Input& in) {
  std::uint8_t head[512], iso[5];
  std::size_t n = ReadAt(in, 0, head, sizeof head);
  std::size_t m = ReadAt(in, 32769, iso, sizeof iso);
  return Sniff({head, n}, {iso, m});
}

// The LZMA2 dictionary an xz stream's first block asks for (0 when the
// header cannot tell). xz's block header: size byte, flags, optional sizes
// (varints), then the filter flags; LZMA2 (id 0x21) has one property byte.
std::uint64_t XzDictionary(std::span<const std::uint8_t> b) {
  if (b.size() < 12 + 2) return 0;
  std::size_t p = 12;
  std::size_t hsize = (static_cast<std::size_t>(b[p]) + 1) * 4;
  if (b[p] == 0 || p + hsize > b.size()) return 0;
  std::size_t end = p + hsize;
  std::uint8_t flags = b[p + 1];
  p += 2;
  auto varint = [&](std::uint64_t& v) {
    v = 0;
    for (int i = 0; i < 9 && p < end; ++i) {
      std::uint8_t c = b[p++];
      v |= static_cast<std::uint64_t>(c & 0x7f) << (7 * i);
      if (!(c & 0x80)) return true;
    }
    return false;
  };
  std::uint64_t v;
  if ((flags & 0x40) && !varint(v)) return 0;
  if ((flags & 0x80) && !varint(v)) return 0;
  int filters = (flags & 3) + 1;
  for (int i = 0; i < filters; ++i) {
    std::uint64_t id, psize;
    if (!varint(id) || !varint(psize) || p + psize > end) return 0;
    if (id == 0x21 && psize == 1) {
      unsigned prop = b[p] & 0x3f;
      if (prop > 40) return 0;
      if (prop == 40) return 0xFFFFFFFFull;
      return static_cast<std::uint64_t>(2 | (prop & 1)) << (prop / 2 + 11);
    }
    p += psize;
  }
  return 0;
}

struct ArchiveFree {
  void operator()(struct archive* a) const noexcept { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

std::string ArchiveMessage(struct archive* a, const Input& in) {
  if (!in.error.empty()) return in.error;
  const char* m = archive_error_string(a);
  return m ? m : "unknown libarchive error";
}

// libarchive set up for one container kind (only the formats that kind can
// be: a zip is never bid on as mtree or raw).
Result<ArchivePtr> OpenArchive(Input& in, Container kind) {
  ArchivePtr a(archive_read_new());
  if (!a) return Status::Error("libarchive: out of memory");
  struct archive* p = a.get();
  switch (kind) {
    case Container::kCompressed:
      archive_read_support_filter_all(p);
      archive_read_support_format_tar(p);
      archive_read_support_format_cpio(p);
      archive_read_support_format_raw(p);  // lowest bid: a plain compressed file
      break;
    case Container::kZip:
      archive_read_support_format_zip(p);
      break;
    case Container::kSevenZip:
      archive_read_support_format_7zip(p);
      break;
    case Container::kRar:
      archive_read_support_format_rar(p);
      archive_read_support_format_rar5(p);
      break;
    case Container::kTar:
      archive_read_support_format_tar(p);
      break;
    case Container::kCpio:
      archive_read_support_format_cpio(p);
      break;
    case Container::kIso9660:
      archive_read_support_format_iso9660(p);
      break;
    case Container::kCab:
      archive_read_support_format_cab(p);
      break;
    case Container::kXar:
      archive_read_support_format_xar(p);
      break;
    default:
      return Status::Error("not a libarchive container");
  }
  archive_read_set_callback_data(p, &in);
  archive_read_set_read_callback(p, InputRead);
  archive_read_set_skip_callback(p, InputSkip);
  archive_read_set_seek_callback(p, InputSeek);
  if (archive_read_open1(p) != ARCHIVE_OK) return Status::Error(ArchiveMessage(p, in));
  return a;
}

// "x.log.gz" -> "x.log", "a.tgz" -> "a.tar": the name a single compressed
// stream's content goes by (display only; what it is was decided by magic).
std::string StreamMemberName(std::string_view outer) {
  std::size_t slash = outer.find_last_of("/!");
  if (slash != std::string_view::npos) outer.remove_prefix(slash + 1);
  std::string s(outer);
  static const std::pair<const char*, const char*> kSuffixes[] = {
      {".tgz", ".tar"},  {".tbz2", ".tar"}, {".tbz", ".tar"}, {".txz", ".tar"},
      {".tzst", ".tar"}, {".gz", ""},       {".bz2", ""},     {".xz", ""},
      {".zst", ""},      {".lz4", ""},      {".Z", ""},       {".z", ""}};
  for (const auto& [suffix, repl] : kSuffixes) {
    std::size_t n = std::strlen(suffix);
    if (s.size() > n && s.compare(s.size() - n, n, suffix) == 0)
      return s.substr(0, s.size() - n) + repl;
  }
  return s.empty() ? "data" : s + ".data";
}

// --- Unpacking ------------------------------------------------------------

class Walker final : public OleSink {
 public:
  Walker(const UnpackLimits& limits, std::uint64_t packed, MemberVisitor& v)
      : budget_(limits, packed), v_(v) {}

  void Walk(Input& in, Container kind, const std::string& chain, int depth) {
    if (kind == Container::kNone || ended()) return;
    stats_.containers++;
    if (kind == Container::kOle) {
      // An MSI inside an MSI's cabinet has its own File table: the outer one
      // is back in force when this one is done.
      const auto saved = std::pair(msi_names_, msi_depth_);
      msi_names_ = nullptr;
      msi_depth_ = depth;
      WalkOle(in.file, in.mem, chain, depth, *this);
      std::tie(msi_names_, msi_depth_) = saved;
      return;
    }
    WalkArchive(in, kind, chain, depth, nullptr);
  }

  UnpackBudget& budget() { return budget_; }
  UnpackStats Done() {
    stats_.bytes = budget_.unpacked();
    return stats_;
  }

  // OleSink (and the archive walk): one member's bytes, read by the caller.
  // Returns false when unpacking must end.
  bool Emit(read::Member& m, int depth) override {
    if (Hit(budget_.AddMember(), m.chain)) return false;
    stats_.members++;
    // An MSI's cabinet: its members are named by File key, taken here (the
    // pointer is reset as soon as the MSI's streams are done).
    const std::map<std::string, std::string>* names = depth == msi_depth_ ? msi_names_ : nullptr;
    v_.OnMember(m);
    if (m.state != read::Member::State::kRead) return true;
    Input in = Input::OfBytes(m.bytes);
    Container kind = SniffInput(in);
    if (kind == Container::kNone) return !ended();
    if (depth >= budget_.limits().max_depth) {
      v_.OnLimit(m.chain, Limit::kDepth,
                 std::string(ContainerName(kind)) + " nested deeper than --archive-depth " +
                     std::to_string(budget_.limits().max_depth) + ": not opened");
      return true;
    }
    if (names && kind == Container::kCab) {
      stats_.containers++;
      WalkArchive(in, kind, m.chain, depth + 1, names);
    } else {
      Walk(in, kind, m.chain, depth + 1);
    }
    return !ended();
  }
  void MsiFileNames(const std::map<std::string, std::string>* names) override {
    msi_names_ = names;
  }
  void Error(const std::string& chain, const std::string& message) override {
    v_.OnError(chain, message);
  }
  // Counts n unpacked bytes; false (reported) at a limit.
  bool Bytes(std::uint64_t n, const std::string& chain) override {
    return !Hit(budget_.AddBytes(n), chain);
  }
  std::uint64_t max_member_bytes() const override { return budget_.limits().max_member_bytes; }

 private:
  bool ended() const { return stats_.limit != Limit::kNone; }

  // Reports a limit once (the unpacking ends there); true when `l` is one.
  bool Hit(Limit l, const std::string& chain) {
    if (l == Limit::kNone) return false;
    if (stats_.limit == Limit::kNone) {
      stats_.limit = l;
      v_.OnLimit(chain, l, budget_.Describe(l));
    }
    return true;
  }

  // `names`: for an MSI's cabinet, its File table (member key -> file name).
  void WalkArchive(Input& in, Container kind, const std::string& chain, int depth,
                   const std::map<std::string, std::string>* names) {
    if (kind == Container::kCompressed) {
      std::uint8_t head[64];
      std::size_t n = ReadAt(in, 0, head, sizeof head);
      if (At({head, n}, 0,
             std::string_view("\xFD"
                              "7zXZ\0",
                              6))) {
        std::uint64_t dict = XzDictionary({head, n});
        if (dict > budget_.limits().max_decoder_memory) {
          if (stats_.limit == Limit::kNone) stats_.limit = Limit::kDecoderMemory;
          v_.OnLimit(chain, Limit::kDecoderMemory,
                     "xz stream asks for a " + std::to_string(dict) + "-byte dictionary (limit " +
                         std::to_string(budget_.limits().max_decoder_memory) + "): not decoded");
          return;
        }
      }
    }
    auto opened = OpenArchive(in, kind);
    if (!opened.ok()) {
      v_.OnError(chain, std::string(ContainerName(kind)) + ": " + opened.status().message());
      return;
    }
    struct archive* a = opened->get();
    std::vector<std::uint8_t> buf;
    int retries = 0;
    int failures = 0;  // entries lost in a row: a reader that makes no progress is left
    for (;;) {
      if (ended() || Hit(budget_.Check(), chain)) return;
      struct archive_entry* e = nullptr;
      int r = archive_read_next_header(a, &e);
      if (r == ARCHIVE_EOF) return;
      if (r == ARCHIVE_RETRY && ++retries < 16) continue;
      if (r < ARCHIVE_WARN) {  // FAILED: this entry is lost; FATAL (or retried out): the rest too
        v_.OnError(chain, std::string(ContainerName(kind)) + ": " + ArchiveMessage(a, in));
        if (r != ARCHIVE_FAILED || ++failures >= 16) return;
        if (CabinetAfterAFailure(a)) return;
        continue;
      }
      retries = 0;
      failures = 0;
      bool raw = archive_format(a) == ARCHIVE_FORMAT_RAW;
      if (!raw && archive_entry_filetype(e) != AE_IFREG) continue;
      read::Member m;
      m.depth = depth;
      if (raw) {
        m.name = StreamMemberName(chain);
      } else {
        const char* name = archive_entry_pathname(e);
        if (!name) name = archive_entry_pathname_utf8(e);
        m.name = name ? name : "(unnamed)";
        if (names) {
          auto it = names->find(m.name);
          if (it != names->end()) m.name = it->second;
        }
      }
      m.chain = chain + "!" + m.name;
      if (archive_entry_size_is_set(e) && archive_entry_size(e) >= 0)
        m.size = static_cast<std::uint64_t>(archive_entry_size(e));
      const bool compressed =
          archive_filter_count(a) > 1 || kind == Container::kSevenZip || kind == Container::kRar;
      if (archive_entry_is_data_encrypted(e)) {
        m.state = read::Member::State::kEncrypted;
        if (!Emit(m, depth)) return;
        continue;
      }
      if (m.size && *m.size > max_member_bytes()) {
        m.state = read::Member::State::kTooLarge;
        if (!Emit(m, depth)) return;
        if (!Discard(a, in, compressed, chain)) return;
        continue;
      }
      // The data, in pieces, counted as they come: a member whose header
      // lies about its size is cut at max_member_bytes all the same.
      buf.clear();
      bool too_large = false, failed = false;
      for (;;) {
        if (buf.size() > max_member_bytes()) {
          too_large = true;
          break;
        }
        std::size_t old = buf.size();
        buf.resize(old + kBlock);
        la_ssize_t got = archive_read_data(a, buf.data() + old, kBlock);
        if (got < 0) {
          buf.resize(old);
          if (archive_entry_is_encrypted(e) || archive_read_has_encrypted_entries(a) > 0) {
            m.state = read::Member::State::kEncrypted;
          } else {
            v_.OnError(m.chain, ArchiveMessage(a, in));
            failed = true;
          }
          break;
        }
        buf.resize(old + static_cast<std::size_t>(got));
        if (got == 0) break;
        if (!Bytes(static_cast<std::uint64_t>(got), m.chain)) return;
      }
      if (failed) {
        if (CabinetAfterAFailure(a)) return;
        continue;  // a FATAL state ends the loop at the next header
      }
      if (too_large) {
        m.state = read::Member::State::kTooLarge;
        buf.clear();
        if (!Emit(m, depth)) return;
        if (!Discard(a, in, compressed, chain)) return;
        continue;
      }
      if (m.state == read::Member::State::kRead) {
        if (!m.size) m.size = buf.size();
        m.bytes = buf;
      }
      if (!Emit(m, depth)) return;
    }
  }

  // libarchive 3.6's CAB reader dereferences a null pointer when it skips the
  // rest of an entry whose data failed to decode, on the way to the next
  // header (SIGSEGV; found by fuzz/unpack_fuzz, the reproducer is kept in
  // fuzz/corpus/unpack). A cabinet therefore ends at its first lost entry;
  // the error record for that entry says why the rest is not read.
  static bool CabinetAfterAFailure(struct archive* a) {
    return archive_format(a) == ARCHIVE_FORMAT_CAB;
  }

  // The rest of the current entry's data, not kept: skipped where that is a
  // seek, else decompressed and counted (a huge member of a compressed tar
  // must not decompress past the limits unseen).
  bool Discard(struct archive* a, Input& in, bool compressed, const std::string& chain) {
    if (!compressed) {
      (void)archive_read_data_skip(a);
      return true;
    }
    std::vector<std::uint8_t> sink(kBlock);
    for (;;) {
      la_ssize_t got = archive_read_data(a, sink.data(), sink.size());
      if (got < 0) {
        v_.OnError(chain, ArchiveMessage(a, in));
        return true;
      }
      if (got == 0) return true;
      if (!Bytes(static_cast<std::uint64_t>(got), chain)) return false;
    }
  }

  UnpackBudget budget_;
  MemberVisitor& v_;
  UnpackStats stats_;
  const std::map<std::string, std::string>* msi_names_ = nullptr;
  int msi_depth_ = -1;  // the depth of the MSI's own streams
};

}  // namespace

const char* ContainerName(Container c) {
  switch (c) {
    case Container::kNone:
      return "none";
    case Container::kCompressed:
      return "compressed";
    case Container::kZip:
      return "zip";
    case Container::kSevenZip:
      return "7z";
    case Container::kRar:
      return "rar";
    case Container::kTar:
      return "tar";
    case Container::kCpio:
      return "cpio";
    case Container::kIso9660:
      return "iso9660";
    case Container::kCab:
      return "cab";
    case Container::kXar:
      return "xar";
    case Container::kOle:
      return "ole";
  }
  return "unknown";
}

const char* LimitName(Limit l) {
  switch (l) {
    case Limit::kNone:
      return "none";
    case Limit::kBytes:
      return "archive_bytes";
    case Limit::kRatio:
      return "archive_ratio";
    case Limit::kMembers:
      return "archive_members";
    case Limit::kTime:
      return "archive_time";
    case Limit::kDecoderMemory:
      return "decoder_memory";
    case Limit::kDepth:
      return "archive_depth";
    case Limit::kStopped:
      return "interrupted";
  }
  return "unknown";
}

Container Sniff(std::span<const std::uint8_t> b, std::span<const std::uint8_t> at_32769) {
  using namespace std::string_view_literals;
  if (At(b, 0, "\x1f\x8b"sv) || At(b, 0, "BZh"sv) ||
      At(b, 0,
         "\xFD"
         "7zXZ\0"sv) ||
      At(b, 0, "\x28\xB5\x2F\xFD"sv) || At(b, 0, "\x04\x22\x4D\x18"sv) || At(b, 0, "\x1f\x9d"sv))
    return Container::kCompressed;
  if (At(b, 0, "PK\x03\x04"sv) || At(b, 0, "PK\x05\x06"sv) || At(b, 0, "PK\x07\x08PK"sv))
    return Container::kZip;
  if (At(b, 0, "7z\xBC\xAF\x27\x1C"sv)) return Container::kSevenZip;
  if (At(b, 0, "Rar!\x1a\x07"sv)) return Container::kRar;
  if (At(b, 0, "MSCF\0\0\0\0"sv)) return Container::kCab;
  if (At(b, 0, "xar!"sv)) return Container::kXar;
  if (At(b, 0, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"sv)) return Container::kOle;
  if (At(b, 0, "070707"sv) || At(b, 0, "070701"sv) || At(b, 0, "070702"sv) ||
      At(b, 0, "\xc7\x71"sv) || At(b, 0, "\x71\xc7"sv))
    return Container::kCpio;
  if (At(b, 257, "ustar"sv)) return Container::kTar;
  if (At(at_32769, 0, "CD001"sv)) return Container::kIso9660;
  return Container::kNone;
}

Container SniffFile(const File& f) {
  Input in = Input::OfFile(f);
  return SniffInput(in);
}

// --- Budget -----------------------------------------------------------------

UnpackBudget::UnpackBudget(const UnpackLimits& limits, std::uint64_t packed)
    : limits_(limits),
      packed_(std::max<std::uint64_t>(packed, 1)),
      start_(std::chrono::steady_clock::now()) {}

Limit UnpackBudget::AddBytes(std::uint64_t n) {
  unpacked_ += n;
  if (limits_.max_bytes && unpacked_ > limits_.max_bytes) return Limit::kBytes;
  if (limits_.max_ratio > 0 && unpacked_ > limits_.ratio_floor &&
      static_cast<double>(unpacked_) > limits_.max_ratio * static_cast<double>(Packed()))
    return Limit::kRatio;
  return Check();
}

Limit UnpackBudget::AddMember() {
  ++members_;
  if (limits_.max_members && members_ > limits_.max_members) return Limit::kMembers;
  return Check();
}

Limit UnpackBudget::Check() const {
  if (StopRequested()) return Limit::kStopped;
  if (limits_.max_time.count() > 0 && std::chrono::steady_clock::now() - start_ > limits_.max_time)
    return Limit::kTime;
  return Limit::kNone;
}

std::string UnpackBudget::Describe(Limit l) const {
  switch (l) {
    case Limit::kBytes:
      return "unpacked more than " + Human(limits_.max_bytes) +
             " bytes (--archive-max-bytes): the rest is not read";
    case Limit::kRatio:
      return "unpacked " + std::to_string(unpacked_) + " bytes from " + std::to_string(Packed()) +
             " read, more than " + std::to_string(static_cast<std::uint64_t>(limits_.max_ratio)) +
             " times its size (--archive-ratio): a decompression bomb? the rest is not read";
    case Limit::kMembers:
      return "more than " + std::to_string(limits_.max_members) +
             " members (--archive-max-members): the rest is not read";
    case Limit::kTime:
    {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%g",
                    std::chrono::duration<double>(limits_.max_time).count());
      return std::string("unpacking took more than ") + secs +
             " s (--archive-timeout): the rest is not read";
    }
    case Limit::kStopped:
      return "scan interrupted after " + std::to_string(unpacked_) + " unpacked bytes";
    case Limit::kDecoderMemory:
      return "the decoder needs more memory than " + Human(limits_.max_decoder_memory);
    case Limit::kDepth:
      return "nested deeper than " + std::to_string(limits_.max_depth);
    case Limit::kNone:
      break;
  }
  return "";
}

// --- Decoder ----------------------------------------------------------------

struct Decoder::Impl {
  Input in;
  ArchivePtr a;
  UnpackBudget* budget = nullptr;
  std::string filter;
  std::optional<std::string> error;
  Limit limit = Limit::kNone;
  bool ended = false;
};

Decoder::Decoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Decoder::~Decoder() = default;

Result<std::unique_ptr<Decoder>> Decoder::Open(const File& f, UnpackBudget& budget) {
  auto impl = std::make_unique<Impl>();
  impl->in = Input::OfFile(f);
  impl->in.budget = &budget;
  impl->budget = &budget;
  std::uint8_t head[64];
  std::size_t n = ReadAt(impl->in, 0, head, sizeof head);
  if (Sniff({head, n}) != Container::kCompressed)
    return Status::Error("decompression: not a compressed stream");
  // Input lives in Impl: its address is stable from here on.
  ArchivePtr a(archive_read_new());
  if (!a) return Status::Error("decompression: libarchive: out of memory");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  auto dict = XzDictionary({head, n});
  if (dict > budget.limits().max_decoder_memory) {
    impl->filter = "xz";
    impl->limit = Limit::kDecoderMemory;
    impl->error = "xz stream asks for a " + std::to_string(dict) + "-byte dictionary (limit " +
                  std::to_string(budget.limits().max_decoder_memory) + "): not decoded";
    impl->ended = true;
    return std::unique_ptr<Decoder>(new Decoder(std::move(impl)));
  }
  archive_read_set_callback_data(a.get(), &impl->in);
  archive_read_set_read_callback(a.get(), InputRead);
  archive_read_set_skip_callback(a.get(), InputSkip);
  archive_read_set_seek_callback(a.get(), InputSeek);
  if (archive_read_open1(a.get()) != ARCHIVE_OK)
    return Status::Error("decompression: " + ArchiveMessage(a.get(), impl->in));
  struct archive_entry* entry = nullptr;
  if (archive_read_next_header(a.get(), &entry) != ARCHIVE_OK)
    return Status::Error("decompression: " + ArchiveMessage(a.get(), impl->in));
  const char* name = archive_filter_name(a.get(), 0);
  impl->filter = name ? name : "compressed";
  impl->a = std::move(a);
  return std::unique_ptr<Decoder>(new Decoder(std::move(impl)));
}

// Reads in pieces of at most kBlock: archive_read_data drops everything it
// decompressed in a call that ends in an error, so a truncated stream keeps
// all but its last piece only when the pieces are small.
std::size_t Decoder::Read(char* buf, std::size_t n) {
  Impl& d = *impl_;
  std::size_t got = 0;
  while (!d.ended && got < n) {
    la_ssize_t r = archive_read_data(d.a.get(), buf + got, std::min(kBlock, n - got));
    if (r < 0) {
      d.error = "decompression: " + ArchiveMessage(d.a.get(), d.in);
      d.ended = true;
    } else if (r == 0) {
      d.ended = true;
    } else {
      got += static_cast<std::size_t>(r);
      Limit l = d.budget->AddBytes(static_cast<std::uint64_t>(r));
      if (l != Limit::kNone) {
        d.limit = l;
        d.error = d.budget->Describe(l);
        d.ended = true;
      }
    }
  }
  return got;
}

const std::string& Decoder::filter() const { return impl_->filter; }
const std::optional<std::string>& Decoder::error() const { return impl_->error; }
Limit Decoder::limit() const { return impl_->limit; }

// --- Entry points -------------------------------------------------------------

UnpackStats Unpack(const File& f, std::string_view outer_name, const UnpackLimits& limits,
                   MemberVisitor& visitor) {
  Input in = Input::OfFile(f);
  Walker w(limits, in.size, visitor);
  in.budget = &w.budget();
  w.Walk(in, SniffInput(in), std::string(outer_name), 1);
  return w.Done();
}

UnpackStats UnpackBytes(std::span<const std::uint8_t> bytes, std::string_view outer_name,
                        const UnpackLimits& limits, MemberVisitor& visitor) {
  Input in = Input::OfBytes(bytes);
  Walker w(limits, in.size, visitor);
  in.budget = &w.budget();
  w.Walk(in, SniffInput(in), std::string(outer_name), 1);
  return w.Done();
}

}  // namespace trawl::read
