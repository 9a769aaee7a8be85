// Unpacking: compressed streams and containers, bounded by design.
//
// The reader stage owns every decompression trawl does: the log sweep reads
// compressed logs through a Decoder, the file sweep reads archive members
// through Unpack. Both are chosen by magic bytes (Sniff), never by a name,
// and both share one budget (UnpackLimits / UnpackBudget): total unpacked
// bytes, the ratio of unpacked to packed bytes (a 10 GB stream from 10 MB is a
// bomb), members, wall time, decoder memory (an xz dictionary) and, for
// containers, nesting depth. A limit hit ends the read and is reported as a
// value (Limit plus a message); the caller turns it into a counted skip and an
// error record naming the file.
//
// Containers: ZIP (ZIP64 too; encrypted entries reported, never guessed), 7z,
// RAR/RAR5 (as far as libarchive reads them), tar (also compressed), cpio, ISO
// 9660, CAB, XAR/pkg, single compressed streams (gzip, bzip2, xz, zstd, lz4,
// compress) through libarchive, and OLE compound files (MSI, MSP, old Office)
// through libgsf: their streams are members, and a member that is a
// container again (a cabinet inside an MSI, a zip in a zip) is opened in
// turn, to UnpackLimits::max_depth. Everything is streamed: nothing is
// written to disk; memory is one buffered member per nesting level (at most
// max_member_bytes each).
//
// What it does not do: hash, match or report. The MemberVisitor sees each
// member's bytes and decides what they mean.
//
// Thread safety: everything here is per call; different calls are independent.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "trawl/core/status.h"

namespace trawl::read {

class File;

// What a byte string is, by its magic.
enum class Container {
  kNone,
  kCompressed,  // gzip, bzip2, xz, zstd, lz4, compress (.Z): one stream (maybe a tar)
  kZip,
  kSevenZip,
  kRar,
  kTar,
  kCpio,
  kIso9660,
  kCab,
  kXar,
  kOle,  // OLE compound file: MSI, MSP, DOC, XLS...
};
const char* ContainerName(Container c);

// `head`: the first bytes (512 are enough for all but ISO 9660); `at_32769`:
// the bytes at offset 32769 when the object is that long (ISO 9660's "CD001").
Container Sniff(std::span<const std::uint8_t> head, std::span<const std::uint8_t> at_32769 = {});
// Sniff over a file (pread: the file offset is left alone). kNone on a read error.
Container SniffFile(const File& f);

// The bounds of one unpacking: everything read out of one file on disk,
// nested containers included, counts against them together.
struct UnpackLimits {
  std::uint64_t max_bytes = 4ull << 30;  // unpacked bytes in all (--archive-max-bytes)
  double max_ratio = 250;                // unpacked / packed bytes (--archive-ratio)
  // The ratio is judged only beyond this many unpacked bytes: a 40 KB zip of
  // a 5 MB text file is no bomb, and is read.
  std::uint64_t ratio_floor = 32ull << 20;
  std::uint64_t max_members = 100000;             // members in all, nested included
  std::uint64_t max_member_bytes = 100ull << 20;  // one buffered member (--max-file-size)
  std::chrono::milliseconds max_time{120000};     // wall time (--archive-timeout; 0: none)
  std::uint64_t max_decoder_memory = 1ull << 30;  // an xz stream's dictionary
  int max_depth = 4;  // containers inside containers (--archive-depth); 1: only the outer one
};

enum class Limit {
  kNone,
  kBytes,          // max_bytes
  kRatio,          // max_ratio
  kMembers,        // max_members
  kTime,           // max_time
  kDecoderMemory,  // max_decoder_memory
  kDepth,          // max_depth: a nested container left closed
  kStopped,        // the scan was stopped (SIGINT/SIGTERM)
};
// The summary's skip reason: "archive_bytes", "archive_ratio",
// "archive_members", "archive_time", "decoder_memory", "archive_depth",
// "interrupted".
const char* LimitName(Limit l);

// The running count of one unpacking against its limits.
class UnpackBudget {
 public:
  // `packed`: the size of the file on disk (the ratio's denominator until
  // packed bytes are counted with AddPacked).
  UnpackBudget(const UnpackLimits& limits, std::uint64_t packed);
  // Counts n more unpacked bytes; returns the limit now exceeded, kNone within.
  // The ratio is unpacked bytes over packed bytes read so far, so a bomb of
  // many concatenated streams is caught at its first streams, not after 250
  // times the whole file.
  Limit AddBytes(std::uint64_t n);
  // Counts n more bytes read from the file on disk.
  void AddPacked(std::uint64_t n) { packed_read_ += n; }
  Limit AddMember();
  // Time and stop only.
  Limit Check() const;
  // Why `l` was hit, in words: "unpacked 4294967297 bytes from 1000 (limit
  // 4294967296 bytes, --archive-max-bytes)".
  std::string Describe(Limit l) const;
  std::uint64_t unpacked() const { return unpacked_; }
  std::uint64_t members() const { return members_; }
  const UnpackLimits& limits() const { return limits_; }

 private:
  std::uint64_t Packed() const { return packed_read_ ? packed_read_ : packed_; }
  UnpackLimits limits_;
  std::uint64_t packed_;
  std::uint64_t packed_read_ = 0;
  std::uint64_t unpacked_ = 0;
  std::uint64_t members_ = 0;
  std::chrono::steady_clock::time_point start_;
};

// One compressed stream (the log sweep's compressed logs), decompressed as it
// is read, within a budget.
class Decoder {
 public:
  // Opens `f` as a compressed stream (gzip, bzip2, xz, zstd, lz4, compress:
  // Sniff says kCompressed). Errors name no path (the caller has it):
  // "decompression: ...". The budget must outlive the Decoder.
  static Result<std::unique_ptr<Decoder>> Open(const File& f, UnpackBudget& budget);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Up to n decompressed bytes into buf; 0 at the end, on an error (error())
  // or at a limit (limit()). Bytes handed out before either stand.
  std::size_t Read(char* buf, std::size_t n);
  // "gzip", "bzip2", "xz", "zstd", "lz4", "compress".
  const std::string& filter() const;
  const std::optional<std::string>& error() const;
  Limit limit() const;

  struct Impl;

 private:
  explicit Decoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One member of a container, as the visitor sees it.
struct Member {
  // The chain from the file on disk: its base name, then each container's
  // member path, joined by '!' ("setup.zip!3CX.msi!Binary.cab!ffmpeg.dll").
  std::string chain;
  std::string name;                   // the path inside its own container ("dir/ffmpeg.dll")
  int depth = 1;                      // 1: a member of the file on disk
  std::optional<std::uint64_t> size;  // as its header says
  enum class State {
    kRead,       // bytes holds the whole member
    kTooLarge,   // larger than max_member_bytes: not read
    kEncrypted,  // encrypted: not read (no passphrase is tried)
  };
  State state = State::kRead;
  std::span<const std::uint8_t> bytes;  // valid during the call only
};

class MemberVisitor {
 public:
  virtual ~MemberVisitor() = default;
  // Each regular member, in archive order; a member that is a container is
  // seen before its own members are.
  virtual void OnMember(const Member& m) = 0;
  // A container (or member) that could not be read whole: corrupt, truncated,
  // unsupported. `chain` names it; what was read before stands, and reading
  // goes on with what follows where the format allows.
  virtual void OnError(const std::string& chain, const std::string& message) = 0;
  // A limit ended (or, for kDepth, skipped) the unpacking at `chain`.
  virtual void OnLimit(const std::string& chain, Limit limit, const std::string& message) = 0;
};

struct UnpackStats {
  std::uint64_t containers = 0;  // opened, the outer one and nested ones
  std::uint64_t members = 0;     // regular members seen
  std::uint64_t bytes = 0;       // unpacked bytes read
  Limit limit = Limit::kNone;    // what ended the unpacking early, if anything
};

// Reads every member of `f` (a container by SniffFile; kNone reads nothing)
// and of the members that are containers, to limits.max_depth. `outer_name`
// starts every chain (the file's base name).
UnpackStats Unpack(const File& f, std::string_view outer_name, const UnpackLimits& limits,
                   MemberVisitor& visitor);
// The same over bytes in memory (tests, fuzzing).
UnpackStats UnpackBytes(std::span<const std::uint8_t> bytes, std::string_view outer_name,
                        const UnpackLimits& limits, MemberVisitor& visitor);

}  // namespace trawl::read
