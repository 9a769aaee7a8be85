#include "trawl/core/civil_time.h"

#include <chrono>

namespace trawl {
namespace {

namespace chr = std::chrono;

// Days in 400 Gregorian years: the calendar repeats after this many.
constexpr std::int64_t kDaysPer400Years = 146097;

}  // namespace

std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day) {
  const chr::year_month_day ymd{chr::year{static_cast<int>(year)}, chr::month{month},
                                chr::day{day}};
  return chr::sys_days{ymd}.time_since_epoch().count();
}

CivilDate CivilFromDays(std::int64_t days) {
  // Fold into [0, 400 years) from 1970 so chrono's range always holds, then
  // add the cycles back to the year.
  std::int64_t cycles = days / kDaysPer400Years;
  std::int64_t rem = days % kDaysPer400Years;
  if (rem < 0) {
    rem += kDaysPer400Years;
    --cycles;
  }
  const chr::year_month_day ymd{chr::sys_days{chr::days{rem}}};
  CivilDate out;
  out.year = static_cast<int>(ymd.year()) + cycles * 400;
  out.month = static_cast<unsigned>(ymd.month());
  out.day = static_cast<unsigned>(ymd.day());
  return out;
}

bool IsValidDate(std::int64_t year, unsigned month, unsigned day) {
  if (year < -32767 || year > 32767 || month < 1 || month > 12 || day < 1 || day > 31) return false;
  return chr::year_month_day{chr::year{static_cast<int>(year)}, chr::month{month}, chr::day{day}}
      .ok();
}

}  // namespace trawl
