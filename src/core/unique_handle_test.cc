#include "trawl/core/unique_handle.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace trawl {
namespace {

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

TEST(UniqueFd, ClosesOnceWhenDestroyedOrReset) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd fd = AdoptFd(raw);
    EXPECT_TRUE(fd);
    EXPECT_EQ(fd.get().fd, raw);
    UniqueFd moved = std::move(fd);
    EXPECT_FALSE(fd);  // NOLINT: moved-from is empty by contract
    EXPECT_TRUE(IsOpen(raw));
  }
  EXPECT_FALSE(IsOpen(raw));

  raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  UniqueFd fd = AdoptFd(raw);
  fd.reset();
  EXPECT_FALSE(IsOpen(raw));
  EXPECT_FALSE(fd);
}

TEST(UniqueFd, NegativeIsEmptyAndReleaseGivesOwnershipAway) {
  UniqueFd none = AdoptFd(-1);
  EXPECT_FALSE(none);
  EXPECT_EQ(none.get().fd, -1);
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd fd = AdoptFd(raw);
    EXPECT_EQ(fd.release().fd, raw);
  }
  EXPECT_TRUE(IsOpen(raw));
  ::close(raw);
}

TEST(UniqueFile, ClosesTheStream) {
  UniqueFile f(std::fopen("/dev/null", "re"));
  ASSERT_TRUE(f);
  int raw = ::fileno(f.get());
  EXPECT_TRUE(IsOpen(raw));
  f.reset();
  EXPECT_FALSE(IsOpen(raw));
  UniqueFile none;  // an empty handle is fine to destroy
}

}  // namespace
}  // namespace trawl
