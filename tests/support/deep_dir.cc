#include "trawl/testsupport/deep_dir.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace trawl::testsupport {
namespace {

// Opens (making it when missing) the directory `name` inside `dir_fd`.
int OpenOrMakeDir(int dir_fd, const std::string& name) {
  if (::mkdirat(dir_fd, name.c_str(), 0755) != 0 && errno != EEXIST) return -1;
  return ::openat(dir_fd, name.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

}  // namespace

DeepDir::DeepDir(const std::string& base, int levels, const std::string& component,
                 const std::function<void(int fd, int level)>& at_level) {
  int cur = ::open(base.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (cur < 0) {
    ADD_FAILURE() << "open " << base << ": " << std::strerror(errno);
    return;
  }
  path_ = base;
  for (int level = 1; level <= levels; ++level) {
    int next = OpenOrMakeDir(cur, component);
    ::close(cur);
    if (next < 0) {
      ADD_FAILURE() << "mkdirat/openat level " << level << ": " << std::strerror(errno);
      return;
    }
    cur = next;
    path_ += "/" + component;
    if (at_level) at_level(cur, level);
  }
  fd_ = cur;
}

DeepDir::~DeepDir() {
  if (fd_ >= 0) ::close(fd_);
}

std::string DeepDir::Write(const std::string& rel, const std::string& content) const {
  if (fd_ < 0 || !WriteAt(fd_, rel, content)) return "";
  return path_ + "/" + rel;
}

bool WriteAt(int dir_fd, const std::string& name, const std::string& content) {
  int cur = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  std::string rest = name;
  for (std::size_t slash; cur >= 0 && (slash = rest.find('/')) != std::string::npos;) {
    int next = OpenOrMakeDir(cur, rest.substr(0, slash));
    ::close(cur);
    cur = next;
    rest.erase(0, slash + 1);
  }
  if (cur < 0) {
    ADD_FAILURE() << "cannot make the directories of " << name << ": " << std::strerror(errno);
    return false;
  }
  int fd = ::openat(cur, rest.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
  ::close(cur);
  if (fd < 0) {
    ADD_FAILURE() << "cannot create " << name << ": " << std::strerror(errno);
    return false;
  }
  bool ok = true;
  for (std::size_t done = 0; ok && done < content.size();) {
    ssize_t w = ::write(fd, content.data() + done, content.size() - done);
    if (w < 0 && errno == EINTR) continue;
    ok = w > 0;
    if (ok) done += static_cast<std::size_t>(w);
  }
  ::close(fd);
  if (!ok) ADD_FAILURE() << "cannot write " << name << ": " << std::strerror(errno);
  return ok;
}

bool RemoveTree(const std::string& path) {
  std::string quoted = "'";
  for (char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  if (std::system(("rm -rf -- " + quoted).c_str()) != 0) return false;
  struct stat st;
  return ::lstat(path.c_str(), &st) != 0 && errno == ENOENT;
}

}  // namespace trawl::testsupport
