#include "trawl/report/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace trawl::report {

Result<std::FILE*> OpenOutputFile(const std::string& path) {
  auto fail = [&](const std::string& why) {
    return Status::Error("cannot write " + path + ": " + why);
  };
  // 0600: a report names the host's users, paths, command lines and C2
  // contacts; only its owner reads it (an existing file keeps its mode).
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
                  0600);
  if (fd < 0) {
    if (errno == ELOOP)
      return fail("it is a symbolic link (not followed; remove it or pick another path)");
    return fail(std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return fail(std::strerror(err));
  }
  std::string refuse;
  if (!S_ISREG(st.st_mode))
    refuse = "not a regular file";
  else if (st.st_uid != ::geteuid())
    refuse = "an existing file owned by another user (not truncated)";
  else if (st.st_nlink > 1)
    refuse = "an existing file with other hard links (not truncated)";
  if (!refuse.empty()) {
    ::close(fd);
    return fail(refuse);
  }
  // Ours: blocking writes from here on, from the start.
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 || ::ftruncate(fd, 0) != 0) {
    int err = errno;
    ::close(fd);
    return fail(std::strerror(err));
  }
  std::FILE* f = ::fdopen(fd, "w");
  if (!f) {
    int err = errno;
    ::close(fd);
    return fail(std::strerror(err));
  }
  return f;
}

}  // namespace trawl::report
