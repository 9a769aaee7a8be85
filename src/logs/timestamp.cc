// Timestamp parsing for the log formats the sweep knows, and format detection.
#include <cstdio>
#include <string>

#include "trawl/core/civil_time.h"
#include "trawl/core/text.h"
#include "trawl/logs/logs.h"

namespace trawl::logs {
namespace {

using Ms = std::optional<std::int64_t>;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Ms MakeMs(int y, int mo, int d, int h, int mi, int s, int ms, int offset_min) {
  if (y < 1900 || y > 2999 || mo < 1 || mo > 12 || d < 1) return std::nullopt;
  if (!IsValidDate(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) || h > 23 || mi > 59 ||
      s > 60 || ms < 0 || ms > 999)
    return std::nullopt;
  std::int64_t secs =
      DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
      mi * 60 + s - static_cast<std::int64_t>(offset_min) * 60;
  return secs * 1000 + ms;
}

// Reads exactly n digits at s[i].
bool Num(std::string_view s, std::size_t& i, int n, int& out) {
  if (i + n > s.size()) return false;
  int v = 0;
  for (int k = 0; k < n; ++k) {
    if (!IsDigit(s[i + k])) return false;
    v = v * 10 + (s[i + k] - '0');
  }
  out = v;
  i += n;
  return true;
}
// Reads 1..n digits.
bool NumUpTo(std::string_view s, std::size_t& i, int n, int& out) {
  int v = 0, k = 0;
  while (k < n && i < s.size() && IsDigit(s[i])) v = v * 10 + (s[i++] - '0'), ++k;
  out = v;
  return k > 0;
}
bool Lit(std::string_view s, std::size_t& i, char c) {
  if (i < s.size() && s[i] == c) {
    ++i;
    return true;
  }
  return false;
}
// ".fff..." -> milliseconds (more digits ignored, fewer scaled).
int Fraction(std::string_view s, std::size_t& i) {
  if (i >= s.size() || (s[i] != '.' && s[i] != ',')) return 0;
  std::size_t j = i + 1;
  int ms = 0, k = 0;
  while (j < s.size() && IsDigit(s[j])) {
    if (k < 3) ms = ms * 10 + (s[j] - '0'), ++k;
    ++j;
  }
  if (j == i + 1) return 0;
  while (k < 3) ms *= 10, ++k;
  i = j;
  return ms;
}
// "Z", "+HH", "+HHMM", "+HH:MM", " +HHMM" (one space) -> minutes east; 0 if none.
int Zone(std::string_view s, std::size_t& i, bool allow_space) {
  std::size_t j = i;
  if (allow_space && j < s.size() && s[j] == ' ') ++j;
  if (j < s.size() && s[j] == 'Z' && j == i) {
    ++i;
    return 0;
  }
  if (j >= s.size() || (s[j] != '+' && s[j] != '-')) return 0;
  int sign = s[j] == '-' ? -1 : 1;
  ++j;
  int hh = 0, mm = 0;
  if (!Num(s, j, 2, hh)) return 0;
  if (j < s.size() && s[j] == ':') ++j;
  std::size_t k = j;
  if (Num(s, k, 2, mm)) j = k;
  if (hh > 14 || mm > 59) return 0;
  i = j;
  return sign * (hh * 60 + mm);
}

const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                               "jul", "aug", "sep", "oct", "nov", "dec"};
int Month(std::string_view s, std::size_t& i) {
  if (i + 3 > s.size()) return 0;
  char m[3] = {static_cast<char>(s[i] | 0x20), static_cast<char>(s[i + 1] | 0x20),
               static_cast<char>(s[i + 2] | 0x20)};
  for (int k = 0; k < 12; ++k) {
    if (m[0] == kMonths[k][0] && m[1] == kMonths[k][1] && m[2] == kMonths[k][2]) {
      i += 3;
      return k + 1;
    }
  }
  return 0;
}

// "YYYY-MM-DD[T ]HH:MM:SS[.fff][zone]" (also "YYYY/MM/DD", nginx's error log).
Ms IsoAt(std::string_view s, std::size_t i) {
  int y, mo, d, h, mi, sec;
  if (!Num(s, i, 4, y)) return std::nullopt;
  if (i >= s.size() || (s[i] != '-' && s[i] != '/')) return std::nullopt;
  char dsep = s[i++];
  if (!Num(s, i, 2, mo) || !Lit(s, i, dsep) || !Num(s, i, 2, d)) return std::nullopt;
  if (i >= s.size() || (s[i] != 'T' && s[i] != ' ' && s[i] != 't')) return std::nullopt;
  ++i;
  if (!Num(s, i, 2, h) || !Lit(s, i, ':') || !Num(s, i, 2, mi) || !Lit(s, i, ':') ||
      !Num(s, i, 2, sec))
    return std::nullopt;
  int ms = Fraction(s, i);
  int zone = Zone(s, i, false);
  return MakeMs(y, mo, d, h, mi, sec, ms, zone);
}

// RFC 3164 "Mmm dd HH:MM:SS" with the year inferred from mtime.
Ms SyslogAt(std::string_view s, std::size_t i, std::int64_t mtime_unix) {
  int mo = Month(s, i);
  if (!mo || !Lit(s, i, ' ')) return std::nullopt;
  if (i < s.size() && s[i] == ' ') ++i;
  int d, h, mi, sec;
  if (!NumUpTo(s, i, 2, d) || !Lit(s, i, ' ') || !Num(s, i, 2, h) || !Lit(s, i, ':') ||
      !Num(s, i, 2, mi) || !Lit(s, i, ':') || !Num(s, i, 2, sec))
    return std::nullopt;
  int ms = Fraction(s, i);
  const int y = static_cast<int>(
      CivilFromDays((mtime_unix >= 0 ? mtime_unix : mtime_unix - 86399) / 86400).year);
  Ms t = MakeMs(y, mo, d, h, mi, sec, ms, 0);
  // Later in the year than the file's mtime (a day of slack for zones): last year.
  if (!t || *t > (mtime_unix + 86400) * 1000) t = MakeMs(y - 1, mo, d, h, mi, sec, ms, 0);
  return t;
}

// Apache/nginx access "[30/Mar/2023:10:00:01 +0200]"; s[i] is just after '['.
Ms ApacheAccessAt(std::string_view s, std::size_t i) {
  int d, y, h, mi, sec;
  if (!Num(s, i, 2, d) || !Lit(s, i, '/')) return std::nullopt;
  int mo = Month(s, i);
  if (!mo || !Lit(s, i, '/') || !Num(s, i, 4, y) || !Lit(s, i, ':') || !Num(s, i, 2, h) ||
      !Lit(s, i, ':') || !Num(s, i, 2, mi) || !Lit(s, i, ':') || !Num(s, i, 2, sec))
    return std::nullopt;
  int ms = Fraction(s, i);
  int zone = Zone(s, i, true);
  return MakeMs(y, mo, d, h, mi, sec, ms, zone);
}

// Apache error "[Thu Mar 30 10:00:01.123456 2023]"; s[i] is just after '['.
Ms ApacheErrorAt(std::string_view s, std::size_t i) {
  if (i + 4 > s.size() || s[i + 3] != ' ') return std::nullopt;
  i += 4;
  int mo = Month(s, i);
  int d, h, mi, sec, y;
  if (!mo || !Lit(s, i, ' ')) return std::nullopt;
  if (i < s.size() && s[i] == ' ') ++i;
  if (!NumUpTo(s, i, 2, d) || !Lit(s, i, ' ') || !Num(s, i, 2, h) || !Lit(s, i, ':') ||
      !Num(s, i, 2, mi) || !Lit(s, i, ':') || !Num(s, i, 2, sec))
    return std::nullopt;
  int ms = Fraction(s, i);
  if (!Lit(s, i, ' ') || !Num(s, i, 4, y)) return std::nullopt;
  return MakeMs(y, mo, d, h, mi, sec, ms, 0);
}

// Windows DNS debug log "3/30/2023 10:00:01 AM" (or 24-hour without AM/PM).
Ms WinDnsAt(std::string_view s, std::size_t i) {
  int mo, d, y, h, mi, sec;
  if (!NumUpTo(s, i, 2, mo) || !Lit(s, i, '/') || !NumUpTo(s, i, 2, d) || !Lit(s, i, '/') ||
      !Num(s, i, 4, y) || !Lit(s, i, ' ') || !NumUpTo(s, i, 2, h) || !Lit(s, i, ':') ||
      !Num(s, i, 2, mi) || !Lit(s, i, ':') || !Num(s, i, 2, sec))
    return std::nullopt;
  if (i + 2 < s.size() && s[i] == ' ') {
    char a = static_cast<char>(s[i + 1] | 0x20), m = static_cast<char>(s[i + 2] | 0x20);
    if ((a == 'a' || a == 'p') && m == 'm') {
      if (h < 1 || h > 12) return std::nullopt;
      if (a == 'a' && h == 12) h = 0;
      if (a == 'p' && h != 12) h += 12;
    }
  }
  return MakeMs(y, mo, d, h, mi, sec, 0, 0);
}

// Epoch seconds (9..10 digits, 2000..2100) with an optional fraction, ending
// the field (whitespace, tab, end, ',' or '}').
Ms EpochAt(std::string_view s, std::size_t i) {
  std::size_t start = i;
  std::int64_t v = 0;
  while (i < s.size() && IsDigit(s[i]) && i - start < 11) v = v * 10 + (s[i++] - '0');
  std::size_t n = i - start;
  if (n < 9 || n > 10) return std::nullopt;
  int ms = Fraction(s, i);
  if (i < s.size() &&
      !(s[i] == ' ' || s[i] == '\t' || s[i] == ',' || s[i] == '}' || s[i] == '\r' || s[i] == '\n'))
    return std::nullopt;
  if (v < 946684800 || v >= 4102444800) return std::nullopt;
  return v * 1000 + ms;
}

std::string_view Column(std::string_view line, char sep, int col) {
  std::size_t b = 0;
  for (int k = 0; k < col; ++k) {
    auto p = line.find(sep, b);
    if (p == std::string_view::npos) return {};
    b = p + 1;
  }
  auto e = line.find(sep, b);
  return line.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
}

// JSON lines: "ts", "timestamp", "@timestamp", "time" as a number or ISO text.
Ms JsonAt(std::string_view s) {
  for (std::string_view key : {"\"ts\":", "\"@timestamp\":", "\"timestamp\":", "\"time\":"}) {
    auto p = s.find(key);
    if (p == std::string_view::npos) continue;
    std::size_t i = p + key.size();
    while (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size() && s[i] == '"') {
      if (auto t = IsoAt(s, i + 1)) return t;
    } else if (auto t = EpochAt(s, i)) {
      return t;
    }
  }
  return std::nullopt;
}

Ms Cascade(std::string_view s, const TimeContext& ctx) {
  std::size_t i = 0;
  if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  // Syslog PRI "<34>" and the RFC 5424 version "1 ".
  if (i < s.size() && s[i] == '<') {
    std::size_t j = i + 1;
    int pri;
    if (NumUpTo(s, j, 3, pri) && Lit(s, j, '>')) {
      i = j;
      if (i + 1 < s.size() && IsDigit(s[i]) && s[i + 1] == ' ') i += 2;
    }
  }
  if (i < s.size() && IsDigit(s[i])) {
    if (auto t = IsoAt(s, i)) return t;
    if (auto t = WinDnsAt(s, i)) return t;
    if (auto t = EpochAt(s, i)) return t;
  } else if (i < s.size() && s[i] == '{') {
    if (auto t = JsonAt(s)) return t;
  } else if (i < s.size() && s[i] != '[') {
    if (auto t = SyslogAt(s, i, ctx.mtime_unix)) return t;
  }
  // A bracketed time near the start: "[2023-03-30 10:00:01]", Apache access/error.
  std::size_t limit = std::min<std::size_t>(s.size(), 256);
  for (std::size_t p = s.find('['); p != std::string_view::npos && p < limit;
       p = s.find('[', p + 1)) {
    if (auto t = IsoAt(s, p + 1)) return t;
    if (auto t = ApacheAccessAt(s, p + 1)) return t;
    if (auto t = ApacheErrorAt(s, p + 1)) return t;
  }
  return std::nullopt;
}

}  // namespace

const char* FormatName(Format f) {
  switch (f) {
    case Format::kAuto:
      return "auto";
    case Format::kSyslog:
      return "syslog";
    case Format::kIso8601:
      return "iso8601";
    case Format::kZeek:
      return "zeek";
    case Format::kApache:
      return "apache";
    case Format::kSquid:
      return "squid";
    case Format::kW3c:
      return "w3c";
    case Format::kWindowsDns:
      return "windows-dns";
  }
  return "auto";
}

std::string FormatIsoUtc(std::int64_t unix_ms) {
  std::int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  int ms = static_cast<int>(unix_ms - secs * 1000);
  std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int sod = static_cast<int>(secs - days * 86400);
  const CivilDate c = CivilFromDays(days);
  const int y = static_cast<int>(c.year);
  char buf[40];
  if (ms)
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, c.month, c.day,
                  sod / 3600, sod / 60 % 60, sod % 60, ms);
  else
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, c.month, c.day, sod / 3600,
                  sod / 60 % 60, sod % 60);
  return buf;
}

TimeContext DetectFormat(std::string_view path, std::string_view head, std::int64_t mtime_unix) {
  TimeContext ctx;
  ctx.mtime_unix = mtime_unix;
  if (head.size() > 65536) head = head.substr(0, 65536);
  int data_lines = 0;
  for (std::size_t b = 0; b < head.size();) {
    std::size_t e = head.find('\n', b);
    if (e == std::string_view::npos) e = head.size();
    std::string_view line = StripEol(head.substr(b, e - b));
    if (line.rfind("#fields\t", 0) == 0) {
      ctx.format = Format::kZeek;
      ctx.field_sep = '\t';
      auto cols = Split(line.substr(8), '\t');
      for (std::size_t k = 0; k < cols.size(); ++k)
        if (cols[k] == "ts") ctx.ts_col = static_cast<int>(k);
    } else if (line.rfind("#separator", 0) == 0) {
      ctx.format = Format::kZeek;
    } else if (line.rfind("#Fields:", 0) == 0) {
      ctx.format = Format::kW3c;
      ctx.field_sep = ' ';
      auto cols = Split(TrimAscii(line.substr(8)), ' ');
      for (std::size_t k = 0; k < cols.size(); ++k) {
        if (cols[k] == "date") ctx.date_col = static_cast<int>(k);
        if (cols[k] == "time") ctx.time_col = static_cast<int>(k);
      }
    } else if (line.rfind("DNS Server log file creation", 0) == 0 ||
               line.find("Message logging key") != std::string_view::npos) {
      ctx.format = Format::kWindowsDns;
    } else if (data_lines < 8 && !line.empty() && line[0] != '#') {
      // The first data lines that show a known shape decide.
      ++data_lines;
      if (ctx.format == Format::kAuto) {
        std::size_t i = 0, n = 0;
        while (i < line.size() && IsDigit(line[i])) ++i, ++n;
        if ((n == 9 || n == 10) && i + 4 < line.size() && line[i] == '.' && IsDigit(line[i + 1]) &&
            IsDigit(line[i + 3]) && line[i + 4] == ' ')
          ctx.format = Format::kSquid;
        else if (WinDnsAt(line, 0) && !IsoAt(line, 0))
          ctx.format = Format::kWindowsDns;
        else if (IsoAt(line, 0))
          ctx.format = Format::kIso8601;
        else if (line[0] == '<' || SyslogAt(line, 0, mtime_unix))
          ctx.format = Format::kSyslog;
        else if (line.find('[') != std::string_view::npos && Cascade(line, ctx))
          ctx.format = Format::kApache;
      }
    }
    b = e + 1;
  }
  (void)path;
  return ctx;
}

std::optional<std::int64_t> ParseTimestamp(std::string_view line, const TimeContext& ctx) {
  line = StripEol(line);
  if (ctx.format == Format::kZeek && ctx.ts_col >= 0) {
    std::string_view f = Column(line, static_cast<char>(ctx.field_sep), ctx.ts_col);
    if (auto t = EpochAt(f, 0)) return t;
    if (auto t = IsoAt(f, 0)) return t;
  }
  if (ctx.format == Format::kW3c && ctx.date_col >= 0 && ctx.time_col >= 0) {
    std::string_view d = Column(line, ' ', ctx.date_col);
    std::string_view t = Column(line, ' ', ctx.time_col);
    if (d.size() == 10 && t.size() >= 8 && t.size() <= 16) {
      std::string joined = std::string(d) + " " + std::string(t);
      if (auto ms = IsoAt(joined, 0)) return ms;
    }
  }
  return Cascade(line, ctx);
}

}  // namespace trawl::logs
