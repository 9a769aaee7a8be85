// Test support: directory trees deeper than PATH_MAX. mkdir(2), open(2) and
// std::filesystem refuse a path that long, so the chain is built one name at
// a time with mkdirat/openat, and everything inside it is written relative
// to a descriptor. The one helper for such trees (walk, sweeps, end to end).
#pragma once

#include <functional>
#include <string>

namespace trawl::testsupport {

class DeepDir {
 public:
  // `levels` nested directories named `component` below the existing
  // directory `base`; `at_level(fd, level)` (optional) is called with each
  // new directory open (level 1 is the first), e.g. to add side branches.
  // Holds the deepest directory open. A failure fails the running test
  // (ADD_FAILURE) and leaves fd() at -1.
  DeepDir(const std::string& base, int levels, const std::string& component = std::string(200, 'd'),
          const std::function<void(int fd, int level)>& at_level = {});
  ~DeepDir();  // closes the descriptor; the tree stays (TempDir removes it)
  DeepDir(const DeepDir&) = delete;
  DeepDir& operator=(const DeepDir&) = delete;

  // The full path of the deepest directory (longer than PATH_MAX when
  // levels * (component + 1) is).
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  // Writes `content` to path()/rel, making the directories of `rel`
  // (mkdirat) on the way; returns the full path. A failure fails the test.
  std::string Write(const std::string& rel, const std::string& content) const;

 private:
  std::string path_;
  int fd_ = -1;
};

// Writes `content` to `name` in the open directory `dir_fd`, making the
// directories of `name` ('/'-separated, relative) on the way. False (and a
// test failure) when it cannot.
bool WriteAt(int dir_fd, const std::string& name, const std::string& content);

// Removes `path` and everything below it at any depth (GNU rm works by
// descriptor). True when it is gone.
bool RemoveTree(const std::string& path);

}  // namespace trawl::testsupport
