// Proleptic Gregorian dates <-> days since 1970-01-01, the one calendar
// conversion trawl uses (log timestamps, EVTX FILETIMEs, browser times, STIX
// validity). Built on C++20 <chrono> (year_month_day, sys_days); this helper
// only adds what chrono leaves out: days beyond chrono's year range
// (+-32767), which a hostile FILETIME can reach, are folded by whole
// 400-year cycles. Pure functions, no time zones, no I/O.
#pragma once

#include <cstdint>

namespace trawl {

struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};

// Days since 1970-01-01 of year-month-day. A day past the end of its month
// rolls over into the next (Feb 30 is Mar 1 or 2), as chrono defines it.
// REQUIRES: -32767 <= year <= 32767, 1 <= month <= 12, 1 <= day <= 31.
std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day);

// The date `days` after 1970-01-01 (negative: before). Any int64 day count.
CivilDate CivilFromDays(std::int64_t days);

// True when year-month-day exists (Feb 29 in leap years only).
bool IsValidDate(std::int64_t year, unsigned month, unsigned day);

}  // namespace trawl
