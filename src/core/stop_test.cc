#include "trawl/core/stop.h"

#include <gtest/gtest.h>

namespace trawl {
namespace {

TEST(StopToken, FirstRequestWinsAndRequestsAreCounted) {
  StopToken t;
  EXPECT_FALSE(t.stopped());
  EXPECT_EQ(t.signal(), 0);
  t.Request(15);
  t.Request(2);
  EXPECT_TRUE(t.stopped());
  EXPECT_EQ(t.signal(), 15);
  EXPECT_EQ(t.requests(), 2);
  t.Reset();
  EXPECT_FALSE(t.stopped());
  t.Request();
  EXPECT_TRUE(t.stopped());
  EXPECT_EQ(t.signal(), -1);
}

TEST(StopToken, ProcessTokenIsOneObject) {
  EXPECT_EQ(&ProcessStop(), &ProcessStop());
  ProcessStop().Reset();
  EXPECT_FALSE(StopRequested());
  ProcessStop().Request(2);
  EXPECT_TRUE(StopRequested());
  ProcessStop().Reset();
}

}  // namespace
}  // namespace trawl
