#include "trawl/read/read.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace trawl::read {
namespace {

std::string Errno(int err) { return std::generic_category().message(err); }

Status PathError(const std::string& path, const std::string& what) {
  return Status::Error(path + ": " + what);
}

// open(2) retried without O_NOATIME when the kernel refuses it (EPERM: we
// neither own the file nor have CAP_FOWNER). Retries EINTR.
int OpenNoatime(int dir_fd, const char* path, int flags, bool* noatime) {
  for (;;) {
    int fd = ::openat(dir_fd, path, flags | O_NOATIME);
    if (fd >= 0) {
      *noatime = true;
      return fd;
    }
    if (errno == EINTR) continue;
    if (errno != EPERM) return -1;
    break;
  }
  for (;;) {
    int fd = ::openat(dir_fd, path, flags);
    if (fd >= 0 || errno != EINTR) {
      *noatime = false;
      return fd;
    }
  }
}

bool SameVersion(const struct stat& a, const struct stat& b) {
  return a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

Result<Mapping> Mapping::Map(const File& f, std::size_t length) {
  if (length == 0 || f.st().st_size < 0 ||
      length > static_cast<std::uint64_t>(f.st().st_size))
    return PathError(f.path(), "internal: a mapping must cover part of the file");
  void* p = ::mmap(nullptr, length, PROT_READ, MAP_PRIVATE, f.fd(), 0);
  if (p == MAP_FAILED) return PathError(f.path(), "mmap: " + Errno(errno));
  ::madvise(p, length, MADV_WILLNEED);  // start reading ahead now
  Mapping m;
  m.data_ = static_cast<const std::uint8_t*>(p);
  m.size_ = length;
  return m;
}

Mapping::~Mapping() {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

Mapping::Mapping(Mapping&& o) noexcept : data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
  if (this != &o) {
    if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
    data_ = o.data_;
    size_ = o.size_;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

bool Mapping::Changed(const File& f) const {
  struct stat after;
  return ::fstat(f.fd(), &after) != 0 || !SameVersion(f.st(), after);
}

namespace {

ssize_t ReadRetry(int fd, std::uint8_t* buf, std::size_t n) {
  for (;;) {
    ssize_t r = ::read(fd, buf, n);
    if (r >= 0 || errno != EINTR) return r;
  }
}

// True when the file holds at least one byte at `offset` (used only when a
// read stopped at the limit, to tell a cut file from one exactly limit long).
bool HasByteAt(int fd, std::uint64_t offset) {
  std::uint8_t b;
  for (;;) {
    ssize_t r = ::pread(fd, &b, 1, static_cast<off_t>(offset));
    if (r >= 0) return r == 1;
    if (errno != EINTR) return false;
  }
}

}  // namespace

const char* FileTypeName(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "regular";
    case S_IFDIR:
      return "directory";
    case S_IFLNK:
      return "symlink";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "socket";
    case S_IFCHR:
      return "char device";
    case S_IFBLK:
      return "block device";
    default:
      return "unknown";
  }
}

Result<File> File::OpenWalked(const std::string& path, const struct stat& walked) {
  return OpenWalkedAt(AT_FDCWD, path, path, walked);
}

Result<File> File::OpenWalkedAt(int dir_fd, const std::string& name, const std::string& path,
                                const struct stat& walked) {
  auto f = OpenAt(dir_fd, name, path);
  if (!f.ok()) return f;
  if (f->st().st_dev != walked.st_dev || f->st().st_ino != walked.st_ino)
    return PathError(path, "replaced since it was walked (device or inode differ)");
  return f;
}

Result<File> File::FromFd(int fd, const std::string& name) {
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return PathError(name, "dup: " + Errno(errno));
  File f;
  f.fd_.reset(FdCloser::pointer(dup));
  f.path_ = name;
  if (::fstat(dup, &f.st_) != 0) return PathError(name, "fstat: " + Errno(errno));
  if (!S_ISREG(f.st_.st_mode))
    return PathError(name, std::string("not a regular file (") + FileTypeName(f.st_.st_mode) + ")");
  int fl = ::fcntl(dup, F_GETFL);
  f.noatime_ = fl >= 0 && (fl & O_NOATIME) != 0;
  // The duplicate shares the file offset: ReadChunks reads from offset 0.
  if (::lseek(dup, 0, SEEK_SET) != 0) return PathError(name, "lseek: " + Errno(errno));
  return f;
}

Result<File> File::Open(const std::string& path) { return OpenAt(AT_FDCWD, path, path); }

Result<File> File::OpenAt(int dir_fd, const std::string& name, const std::string& path) {
  if (dir_fd != AT_FDCWD && (dir_fd < 0 || name.empty() || name.find('/') != std::string::npos))
    return PathError(path, "internal: not a directory descriptor and one name in it");
  // Step 1: an O_PATH handle. It opens nothing in the driver sense (no FIFO
  // block, no device open side effects) and with O_NOFOLLOW it designates
  // the symlink itself, so we can look at what the name is before opening.
  UniqueFd probe;
  for (;;) {
    int fd = ::openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      probe = AdoptFd(fd);
      break;
    }
    if (errno != EINTR) return PathError(path, Errno(errno));
  }
  struct stat pst;
  if (::fstat(probe.get().fd, &pst) != 0) return PathError(path, "fstat: " + Errno(errno));
  if (S_ISLNK(pst.st_mode)) return PathError(path, "is a symlink (not followed)");
  if (!S_ISREG(pst.st_mode)) {
    return PathError(path, std::string("not a regular file (") + FileTypeName(pst.st_mode) + ")");
  }

  // Step 2: reopen that very inode for reading through /proc/self/fd, which
  // cannot be raced into another file. Where /proc is not mounted, fall back
  // to opening the name again and checking it is still the same inode.
  // O_NONBLOCK keeps a leased file from stalling the open; cleared below.
  const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  File f;
  f.path_ = path;
  std::string self = "/proc/self/fd/" + std::to_string(probe.get().fd);
  int fd = OpenNoatime(AT_FDCWD, self.c_str(), flags & ~O_NOFOLLOW, &f.noatime_);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
    fd = OpenNoatime(dir_fd, name.c_str(), flags, &f.noatime_);
  }
  if (fd < 0) return PathError(path, Errno(errno));
  f.fd_ = AdoptFd(fd);
  if (::fstat(fd, &f.st_) != 0) return PathError(path, "fstat: " + Errno(errno));
  if (!S_ISREG(f.st_.st_mode) || f.st_.st_dev != pst.st_dev || f.st_.st_ino != pst.st_ino) {
    return PathError(path, "replaced while being opened");
  }
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
    return PathError(path, "fcntl: " + Errno(errno));
  }
  // Advisory only; failure is harmless.
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return f;
}

Result<ReadStats> ReadChunks(const File& f, std::uint64_t limit, std::size_t chunk_size,
                             std::vector<std::uint8_t>& scratch, const ChunkFn& fn,
                             const Deadline* deadline) {
  if (chunk_size == 0) chunk_size = 1;
  if (scratch.size() < chunk_size) scratch.resize(chunk_size);
  ReadStats stats;
  const int fd = f.fd();
  if (::lseek(fd, 0, SEEK_SET) < 0) return PathError(f.path(), "lseek: " + Errno(errno));
  while (stats.bytes < limit) {
    if (deadline && stats.bytes > 0) {
      if (StopRequested()) {
        stats.stopped = true;
        break;
      }
      if (deadline->Passed()) {
        stats.timed_out = true;
        break;
      }
    }
    std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, limit - stats.bytes));
    ssize_t r = ReadRetry(fd, scratch.data(), want);
    if (r < 0) {
      return PathError(f.path(),
                       "read error at offset " + std::to_string(stats.bytes) + ": " + Errno(errno));
    }
    if (r == 0) break;  // EOF as observed now
    fn(scratch.data(), static_cast<std::size_t>(r));
    stats.bytes += static_cast<std::uint64_t>(r);
  }
  if (stats.bytes >= limit) stats.truncated = HasByteAt(fd, stats.bytes);
  struct stat after;
  stats.changed = ::fstat(fd, &after) != 0 || !SameVersion(f.st(), after);
  return stats;
}

Result<ReadStats> ReadChunks(const File& f, std::uint64_t limit, std::size_t chunk_size,
                             const ChunkFn& fn) {
  std::vector<std::uint8_t> scratch;
  return ReadChunks(f, limit, chunk_size, scratch, fn);
}

Result<ReadStats> ReadAll(const File& f, std::uint64_t limit, std::vector<std::uint8_t>& buf) {
  ReadStats stats;
  buf.clear();
  const int fd = f.fd();
  if (::lseek(fd, 0, SEEK_SET) < 0) return PathError(f.path(), "lseek: " + Errno(errno));
  // Size hint from open time (+1 so EOF is seen without a regrow); never
  // trusted as the real length.
  std::uint64_t hint = std::min<std::uint64_t>(
      limit, static_cast<std::uint64_t>(std::max<off_t>(f.st().st_size, 0)) + 1);
  if (buf.capacity() < hint) buf.reserve(static_cast<std::size_t>(hint));
  while (stats.bytes < limit) {
    if (buf.size() == buf.capacity()) {
      buf.reserve(static_cast<std::size_t>(
          std::min<std::uint64_t>(limit, std::max<std::size_t>(buf.capacity() * 2, 64 * 1024))));
    }
    std::size_t room = static_cast<std::size_t>(
        std::min<std::uint64_t>(buf.capacity() - buf.size(), limit - stats.bytes));
    std::size_t old = buf.size();
    buf.resize(old + room);  // value-initialises; cheap next to the read
    ssize_t r = ReadRetry(fd, buf.data() + old, room);
    if (r < 0) {
      int err = errno;
      buf.resize(old);
      return PathError(f.path(),
                       "read error at offset " + std::to_string(stats.bytes) + ": " + Errno(err));
    }
    buf.resize(old + static_cast<std::size_t>(r));
    if (r == 0) break;
    stats.bytes += static_cast<std::uint64_t>(r);
  }
  if (stats.bytes >= limit) stats.truncated = HasByteAt(fd, stats.bytes);
  struct stat after;
  stats.changed = ::fstat(fd, &after) != 0 || !SameVersion(f.st(), after);
  return stats;
}

}  // namespace trawl::read
