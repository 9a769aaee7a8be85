// Evidence-safe reading of regular files.
//
// trawl runs on machines that may be compromised, so reading must not change
// the evidence and must not be steered by whoever controls the file system:
//   - File::Open never follows a symlink in the last component, never opens
//     anything but a regular file (a FIFO, device or socket swapped in after
//     the walk is refused before it is opened: no blocking, no driver side
//     effects such as a tape rewind or a watchdog arming), and asks for
//     O_NOATIME so reading leaves the access time alone (falling back to a
//     plain open when the kernel refuses it: O_NOATIME needs ownership or
//     CAP_FOWNER; File::noatime() tells which happened).
//   - Reads are bounded by a caller-given limit; a file that grows while read
//     cannot keep a worker forever, a file that shrinks ends early, and both
//     are reported (ReadStats::changed).
// This module knows files, not formats: it hands bytes to a callback and has
// no idea what hashes or matchers do with them. Errors are values naming the
// path and the OS reason.
//
// Thread safety: a File is used by one thread at a time; different Files are
// independent.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/core/stop.h"
#include "trawl/core/unique_handle.h"

namespace trawl::read {

class File {
 public:
  // Opens a regular file read-only as described above. Errors (each naming
  // the path): "is a symlink (not followed)", "not a regular file (fifo)",
  // or the open(2) reason such as "Permission denied".
  static Result<File> Open(const std::string& path);
  // Open, then checks that the file opened is the one a walk stat'ed:
  // same device and inode as `walked` (error "replaced since it was walked"
  // otherwise), so what is read is what was walked.
  static Result<File> OpenWalked(const std::string& path, const struct stat& walked);
  // The same, opening `name` (one path component, no '/') relative to the
  // open directory `dir_fd` (AT_FDCWD: `name` is a path), as a walk that
  // holds the directory open hands it: what is opened is the entry in the
  // directory the walk listed, whatever was renamed above it since, and the
  // full path may be longer than PATH_MAX. `path` is the full path, used in
  // errors and path().
  static Result<File> OpenAt(int dir_fd, const std::string& name, const std::string& path);
  static Result<File> OpenWalkedAt(int dir_fd, const std::string& name, const std::string& path,
                                   const struct stat& walked);
  // A File over a duplicate of an already-open descriptor (the live sweeps'
  // /proc/PID/exe and map_files handles), named `name` in errors. The
  // caller keeps its own descriptor. Regular files only.
  static Result<File> FromFd(int fd, const std::string& name);

  int fd() const { return fd_.get().fd; }
  // fstat of the opened file, taken at open time.
  const struct stat& st() const { return st_; }
  const std::string& path() const { return path_; }
  // True when the file is open with O_NOATIME (the atime cannot change).
  bool noatime() const { return noatime_; }

 private:
  File() = default;
  UniqueFd fd_;
  struct stat st_ {};
  std::string path_;
  bool noatime_ = false;
};

struct ReadStats {
  std::uint64_t bytes = 0;  // bytes handed to the callback / stored
  bool truncated = false;   // stopped at `limit` while the file had more
  bool changed = false;     // size or mtime after reading differ from open time
  bool timed_out = false;   // ReadChunks ended early: its deadline passed
  bool stopped = false;     // ReadChunks ended early: a stop was requested (SIGINT/SIGTERM)
};

using ChunkFn = std::function<void(const std::uint8_t*, std::size_t)>;

// The first `length` bytes of an open file mapped read-only (MAP_PRIVATE),
// for a reader that needs a whole large file in memory (YARA) without
// copying it out of the page cache. The mapping shares the file's open
// description (O_NOATIME included). A file that shrinks while mapped makes
// an access past its new end raise SIGBUS: every access to data() must run
// under read::Guarded (mapped.h), which turns that into a false return.
class Mapping {
 public:
  // REQUIRES: 0 < length <= the file's size when opened. Errors name the path.
  static Result<Mapping> Map(const File& f, std::size_t length);
  Mapping() = default;
  ~Mapping();
  Mapping(Mapping&& o) noexcept;
  Mapping& operator=(Mapping&& o) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  // Whether the file changed since it was opened (size or mtime), as
  // ReadStats::changed: checked when the caller is done with the bytes.
  bool Changed(const File& f) const;

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Reads from offset 0 up to `limit` bytes in chunks of at most `chunk_size`
// (REQUIRES: chunk_size > 0), calling fn for each non-empty chunk in order.
// Reads until EOF as observed or `limit`, whichever comes first: st_size is
// not trusted (it may be 0 for pseudo files, and the file may change). EINTR
// is retried; short reads are fine. Error Status on a read error (e.g. EIO),
// after the bytes read so far were passed to fn.
Result<ReadStats> ReadChunks(const File& f, std::uint64_t limit, std::size_t chunk_size,
                             const ChunkFn& fn);
// Same, reading into a caller-owned buffer (per worker) instead of allocating
// one per call; scratch is resized to chunk_size if smaller. With a
// `deadline` (--file-timeout), it is checked between chunks together with the
// process stop request: either ends the read early with the bytes so far,
// `timed_out` or `stopped` set (not an error: the caller decides what a
// partial read is worth, so callers that cannot use one pass none).
Result<ReadStats> ReadChunks(const File& f, std::uint64_t limit, std::size_t chunk_size,
                             std::vector<std::uint8_t>& scratch, const ChunkFn& fn,
                             const Deadline* deadline = nullptr);

// Whole file (up to limit) into buf. buf is reused: on success
// buf.size() == stats.bytes and its capacity is never shrunk.
Result<ReadStats> ReadAll(const File& f, std::uint64_t limit, std::vector<std::uint8_t>& buf);

// "regular", "directory", "symlink", "fifo", "socket", "char device",
// "block device" or "unknown" for a st_mode.
const char* FileTypeName(mode_t mode);

}  // namespace trawl::read
