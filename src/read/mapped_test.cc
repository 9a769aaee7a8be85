// Regression (issue 11): a mapped file truncated under its reader raised
// SIGBUS and ended the scan. Inside a guard it is a false return.
#include "trawl/read/mapped.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

namespace trawl::read {
namespace {

class MappedGuard : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/trawl-mapped-XXXXXX";
    fd_ = mkstemp(tmpl);
    ASSERT_GE(fd_, 0);
    path_ = tmpl;
    ASSERT_EQ(ftruncate(fd_, 4 * page_), 0);
    map_ = static_cast<volatile char*>(mmap(nullptr, 4 * page_, PROT_READ, MAP_SHARED, fd_, 0));
    ASSERT_NE(map_, MAP_FAILED);
  }
  void TearDown() override {
    munmap(const_cast<char*>(map_), 4 * page_);
    close(fd_);
    unlink(path_.c_str());
  }
  const long page_ = sysconf(_SC_PAGESIZE);
  int fd_ = -1;
  std::string path_;
  volatile char* map_ = nullptr;
};

TEST_F(MappedGuard, ReadPastATruncatedEndIsAFalseReturnNotACrash) {
  char got = 1;
  auto first = [&] { got = map_[0]; };
  EXPECT_TRUE(Guarded(first));
  EXPECT_EQ(got, 0);
  ASSERT_EQ(ftruncate(fd_, page_), 0);  // the file shrinks while mapped
  auto past = [&] { got = map_[3 * page_]; };
  EXPECT_FALSE(Guarded(past));
  // Again, and from other threads: each has its own guard; the handler stays.
  EXPECT_FALSE(Guarded(past));
  bool other = true;
  std::thread t([&] {
    auto in_thread = [&] { got = map_[2 * page_]; };
    other = Guarded(in_thread);
  });
  t.join();
  EXPECT_FALSE(other);
  // The part still backed by the file reads normally.
  EXPECT_TRUE(Guarded(first));
}

TEST_F(MappedGuard, NestedGuardsReturnToTheInnermost) {
  ASSERT_EQ(ftruncate(fd_, page_), 0);
  bool inner = true;
  auto outer = [&] {
    auto past = [&] { (void)map_[3 * page_]; };
    inner = Guarded(past);
  };
  EXPECT_TRUE(Guarded(outer));  // the inner guard caught it; the outer saw a normal return
  EXPECT_FALSE(inner);
}

// Outside a guard, SIGBUS still ends the process (real faults are not hidden).
TEST_F(MappedGuard, UnguardedFaultStillCrashes) {
  auto arm = [] {};
  ASSERT_TRUE(Guarded(arm));  // the handler is installed
  ASSERT_EQ(ftruncate(fd_, page_), 0);
  EXPECT_EXIT(
      {
        (void)map_[3 * page_];
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGBUS), "");
}

}  // namespace
}  // namespace trawl::read
