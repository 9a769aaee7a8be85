#include "trawl/core/civil_time.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace trawl {
namespace {

struct Row {
  std::int64_t days;  // since 1970-01-01
  std::int64_t year;
  unsigned month, day;
};

// Edges: the Unix and FILETIME epochs, leap days (2000 is leap, 1900 and 2100
// are not), year 9999, dates before 1970 and before year 1.
// clang-format off
constexpr Row kRows[] = {
    {0, 1970, 1, 1},
    {-1, 1969, 12, 31},
    {-134774, 1601, 1, 1},  // FILETIME epoch
    {-134775, 1600, 12, 31},
    {-25509, 1900, 2, 28},
    {-25508, 1900, 3, 1},  // 1900 is not a leap year
    {11016, 2000, 2, 29},  // 2000 is
    {11017, 2000, 3, 1},
    {19446, 2023, 3, 30},
    {47540, 2100, 2, 28},
    {47541, 2100, 3, 1},  // 2100 is not
    {2932896, 9999, 12, 31},
    {2932897, 10000, 1, 1},
    {-719162, 1, 1, 1},
    {-719163, 0, 12, 31},
    {-719468, 0, 3, 1},
};
// clang-format on

TEST(CivilTime, TableBothWays) {
  for (const Row& r : kRows) {
    CivilDate c = CivilFromDays(r.days);
    EXPECT_EQ(c.year, r.year) << r.days;
    EXPECT_EQ(c.month, r.month) << r.days;
    EXPECT_EQ(c.day, r.day) << r.days;
    EXPECT_EQ(DaysFromCivil(r.year, r.month, r.day), r.days) << r.year << "-" << r.month;
    EXPECT_TRUE(IsValidDate(r.year, r.month, r.day));
  }
}

TEST(CivilTime, BeyondChronoYearRangeFoldsBy400Years) {
  // The largest FILETIME (2^64-1 ticks of 100 ns from 1601) is 60056-05-28.
  const std::int64_t max_filetime_days =
      static_cast<std::int64_t>(std::numeric_limits<std::uint64_t>::max() / 10000000 / 86400) -
      134774;
  CivilDate c = CivilFromDays(max_filetime_days);
  EXPECT_EQ(c.year, 60056);
  EXPECT_EQ(c.month, 5u);
  EXPECT_EQ(c.day, 28u);
  // 400 Gregorian years are exactly 146097 days, at any distance.
  for (std::int64_t k : {1, 100, 1000, -1000}) {
    CivilDate a = CivilFromDays(11016 + k * 146097);
    EXPECT_EQ(a.year, 2000 + k * 400);
    EXPECT_EQ(a.month, 2u);
    EXPECT_EQ(a.day, 29u);
  }
  CivilDate far = CivilFromDays(std::numeric_limits<std::int64_t>::max() / 2);
  EXPECT_GE(far.month, 1u);
  EXPECT_LE(far.month, 12u);
}

TEST(CivilTime, DayPastMonthEndRollsOver) {
  EXPECT_EQ(DaysFromCivil(2023, 2, 31), DaysFromCivil(2023, 3, 3));
  EXPECT_EQ(DaysFromCivil(2024, 2, 31), DaysFromCivil(2024, 3, 2));
}

TEST(CivilTime, ValidDates) {
  EXPECT_TRUE(IsValidDate(2024, 2, 29));
  EXPECT_FALSE(IsValidDate(2023, 2, 29));
  EXPECT_FALSE(IsValidDate(1900, 2, 29));
  EXPECT_TRUE(IsValidDate(2000, 2, 29));
  EXPECT_FALSE(IsValidDate(2023, 4, 31));
  EXPECT_FALSE(IsValidDate(2023, 13, 1));
  EXPECT_FALSE(IsValidDate(2023, 0, 1));
  EXPECT_FALSE(IsValidDate(2023, 1, 0));
  EXPECT_FALSE(IsValidDate(2023, 1, 256 + 1));  // no wrap in chrono's 8-bit day
  EXPECT_FALSE(IsValidDate(40000, 1, 1));
}

}  // namespace
}  // namespace trawl
