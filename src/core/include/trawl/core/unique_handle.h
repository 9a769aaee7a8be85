// Owning handles for file descriptors and stdio streams: the one place trawl
// closes them. UniqueFd is a std::unique_ptr whose "pointer" is the fd itself
// (no allocation); UniqueFile a std::unique_ptr<FILE> with fclose. Closing
// errors are ignored (every handle trawl owns is read-only or already
// flushed by its writer), and both deleters are noexcept.
#pragma once

#include <cstddef>
#include <cstdio>
#include <memory>

namespace trawl {

struct FdCloser {
  // A NullablePointer around an int fd: -1 is null.
  struct pointer {
    int fd = -1;
    pointer() = default;
    pointer(std::nullptr_t) {}  // NOLINT: needed by unique_ptr
    explicit pointer(int f) : fd(f) {}
    explicit operator bool() const { return fd >= 0; }
    friend bool operator==(pointer a, pointer b) { return a.fd == b.fd; }
  };
  void operator()(pointer p) const noexcept;
};

// Owns an fd: UniqueFd fd = AdoptFd(::open(...)); ::read(fd.get().fd, ...).
// A negative fd gives an empty handle.
using UniqueFd = std::unique_ptr<int, FdCloser>;
inline UniqueFd AdoptFd(int fd) { return UniqueFd(FdCloser::pointer(fd < 0 ? -1 : fd)); }

struct FileCloser {
  void operator()(std::FILE* f) const noexcept;
};
using UniqueFile = std::unique_ptr<std::FILE, FileCloser>;

}  // namespace trawl
