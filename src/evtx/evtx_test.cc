#include "trawl/evtx/evtx.h"

#include <gtest/gtest.h>

namespace trawl::evtx {
namespace {

TEST(Filetime, Epochs) {
  std::string s;
  AppendFiletime(116444736000000000ull, s);
  EXPECT_EQ(s, "1970-01-01T00:00:00.0000000Z");
}

}  // namespace
}  // namespace trawl::evtx
