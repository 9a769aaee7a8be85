// Test support (linked by tests only): the one temporary-directory helper of
// the unit and end-to-end tests. A TempDir is a fresh directory made with
// mkdtemp (mode 0700) under $TMPDIR (else /tmp), named PREFIX-XXXXXX. Its
// destructor first gives the owner back rwx on every directory below it (tests
// take permissions away to provoke errors), then removes it with everything in
// it, at any depth (DeepDir); with TRAWL_TEST_KEEP set in the environment it is
// kept for debugging.
// Never throws: a failure to create it fails the running test (ADD_FAILURE)
// and leaves path() empty.
#pragma once

#include <string>

namespace trawl::testsupport {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "trawl-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` (bytes) to path()/rel, creating parent directories;
  // returns the full path. A failure fails the running test.
  std::string Write(const std::string& rel, const std::string& content) const;

 private:
  std::string path_;
};

// The whole file as bytes; "" when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace trawl::testsupport
