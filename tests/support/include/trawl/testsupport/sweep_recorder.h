// Test support for sweep tests (target trawl::testsupport_sweep): a
// sweep::Context that keeps what a sweep reports, and a walked entry as the
// pipeline hands it over (the walk's stat, the directory held open).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/sweep/sweep.h"
#include "trawl/sweep/timeline.h"

namespace trawl::testsupport {

class Recorder final : public sweep::Context {
 public:
  struct ErrorRecord {
    std::string path, message, module;
  };
  void Emit(Finding& f) override { findings.push_back(f); }
  void Error(const std::string& p, const std::string& msg, std::string_view mod) override {
    errors.push_back({p, msg, std::string(mod)});
  }
  void Skip(std::string_view reason) override { skips[std::string(reason)]++; }
  void AddContacts(const std::map<const ioc::Indicator*, Contact>& c) override { timeline.Add(c); }
  void AddBytes(std::uint64_t n) override { bytes += n; }

  std::vector<Finding> findings;
  std::vector<ErrorRecord> errors;
  std::map<std::string, int> skips;
  std::uint64_t bytes = 0;
  sweep::ContactTimeline timeline;
};

// A regular file `name` in directory `dir` as the walk lists it: its lstat
// now, and `dir` open, so a sweep opens it as in a scan (sweep::OpenEntry).
// Replace the file after making one to test what the sweep does with a file
// swapped between the walk and the read.
class WalkedFile {
 public:
  WalkedFile(const std::string& dir, const std::string& name)
      : dir_fd_(::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC)),
        name_(name),
        path_(dir + "/" + name) {
    EXPECT_GE(dir_fd_, 0) << dir;
    EXPECT_EQ(::fstatat(dir_fd_, name.c_str(), &st_, AT_SYMLINK_NOFOLLOW), 0) << path_;
  }
  ~WalkedFile() {
    if (dir_fd_ >= 0) ::close(dir_fd_);
  }
  WalkedFile(const WalkedFile&) = delete;
  WalkedFile& operator=(const WalkedFile&) = delete;

  const std::string& path() const { return path_; }
  const struct stat& st() const { return st_; }
  // The entry as the pipeline hands it to the sweeps (shown as walked).
  sweep::Item Item() const {
    return sweep::Item{path_, path_, path_, st_, true, false, dir_fd_, name_};
  }

 private:
  int dir_fd_;
  std::string name_, path_;
  struct stat st_ {};
};

}  // namespace trawl::testsupport
