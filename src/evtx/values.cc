// Value formatting (evtxexport's representation), UTF-16 conversion, FILETIME
// text and CRC32.
#include <array>
#include <cstdio>

#include "internal.h"
#include "trawl/core/civil_time.h"

namespace trawl::evtx {
namespace detail {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";

void AppendCodePoint(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

void AppendUnsigned(std::uint64_t v, std::string& out) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) out.push_back(buf[--n]);
}

void AppendSigned(std::int64_t v, std::string& out) {
  if (v < 0) {
    out.push_back('-');
    AppendUnsigned(~static_cast<std::uint64_t>(v) + 1, out);
  } else {
    AppendUnsigned(static_cast<std::uint64_t>(v), out);
  }
}

void AppendHexFixed(std::uint64_t v, int digits, std::string& out) {
  out += "0x";
  for (int i = digits - 1; i >= 0; --i) out.push_back(kHexLower[(v >> (i * 4)) & 0xf]);
}

void AppendHexBytes(const std::uint8_t* p, std::size_t n, std::string& out) {
  std::size_t at = out.size();
  out.resize(at + 2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out[at + 2 * i] = kHexUpper[p[i] >> 4];
    out[at + 2 * i + 1] = kHexUpper[p[i] & 0xf];
  }
}

void AppendGuid(const std::uint8_t* p, std::string& out) {
  auto hex = [&](std::uint64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i) out.push_back(kHexUpper[(v >> (i * 4)) & 0xf]);
  };
  out.push_back('{');
  hex(Le32(p), 8);
  out.push_back('-');
  hex(Le16(p + 4), 4);
  out.push_back('-');
  hex(Le16(p + 6), 4);
  out.push_back('-');
  for (int i = 8; i < 10; ++i) hex(p[i], 2);
  out.push_back('-');
  for (int i = 10; i < 16; ++i) hex(p[i], 2);
  out.push_back('}');
}

// Windows-1252 bytes 0x80..0x9f; the rest of the upper half maps to U+00xx.
constexpr std::array<std::uint16_t, 32> kCp1252 = {
    0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd, 0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178};

void AppendAnsi(const std::uint8_t* p, std::size_t n, std::string& out) {
  while (n > 0 && p[n - 1] == 0) --n;  // Terminating NULs.
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t c = p[i];
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0xa0) {
      AppendCodePoint(kCp1252[c - 0x80], out);
    } else {
      AppendCodePoint(c, out);
    }
  }
}

void AppendSid(const std::uint8_t* p, std::size_t n, std::string& out) {
  // revision(1) count(1) authority(6, big-endian) sub-authorities(4 each, LE)
  if (n < 8 || n < 8 + 4u * p[1]) {
    AppendHexBytes(p, n, out);
    return;
  }
  out += "S-";
  AppendUnsigned(p[0], out);
  out.push_back('-');
  std::uint64_t auth = 0;
  for (int i = 2; i < 8; ++i) auth = (auth << 8) | p[i];
  AppendUnsigned(auth, out);
  for (int i = 0; i < p[1]; ++i) {
    out.push_back('-');
    AppendUnsigned(Le32(p + 8 + 4 * i), out);
  }
}

void AppendSystemtime(const std::uint8_t* p, std::string& out) {
  // year, month, day-of-week, day, hour, minute, second, milliseconds (u16 each)
  char buf[48];
  int n =
      std::snprintf(buf, sizeof(buf), "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", Le16(p), Le16(p + 2),
                    Le16(p + 6), Le16(p + 8), Le16(p + 10), Le16(p + 12), Le16(p + 14));
  out.append(buf, static_cast<std::size_t>(n));
}

void AppendReal(double d, std::string& out) {
  char buf[40];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", d);
  // Shortest representation that round-trips is friendlier; try fewer digits.
  for (int prec = 6; prec < 17; ++prec) {
    char tmp[40];
    int m = std::snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
    double back = 0;
    if (std::sscanf(tmp, "%lf", &back) == 1 && back == d) {
      out.append(tmp, static_cast<std::size_t>(m));
      return;
    }
  }
  out.append(buf, static_cast<std::size_t>(n));
}

// Size of one item of a fixed-size type, 0 for variable-size ones.
std::size_t FixedSize(std::uint8_t t) {
  switch (t) {
    case kInt8:
    case kUInt8:
      return 1;
    case kInt16:
    case kUInt16:
      return 2;
    case kInt32:
    case kUInt32:
    case kReal32:
    case kBool:
    case kHexInt32:
      return 4;
    case kInt64:
    case kUInt64:
    case kReal64:
    case kFiletime:
    case kHexInt64:
      return 8;
    case kGuid:
    case kSystemtime:
      return 16;
    default:
      return 0;
  }
}

// One item of a fixed-size type; p has FixedSize(t) bytes.
void AppendFixed(std::uint8_t t, const std::uint8_t* p, std::string& out) {
  switch (t) {
    case kInt8:
      AppendSigned(static_cast<std::int8_t>(p[0]), out);
      break;
    case kUInt8:
      AppendUnsigned(p[0], out);
      break;
    case kInt16:
      AppendSigned(static_cast<std::int16_t>(Le16(p)), out);
      break;
    case kUInt16:
      AppendUnsigned(Le16(p), out);
      break;
    case kInt32:
      AppendSigned(static_cast<std::int32_t>(Le32(p)), out);
      break;
    case kUInt32:
      AppendUnsigned(Le32(p), out);
      break;
    case kInt64:
      AppendSigned(static_cast<std::int64_t>(Le64(p)), out);
      break;
    case kUInt64:
      AppendUnsigned(Le64(p), out);
      break;
    case kReal32: {
      std::uint32_t bits = Le32(p);
      float f;
      std::memcpy(&f, &bits, 4);
      AppendReal(f, out);
      break;
    }
    case kReal64: {
      std::uint64_t bits = Le64(p);
      double d;
      std::memcpy(&d, &bits, 8);
      AppendReal(d, out);
      break;
    }
    case kBool:
      out += Le32(p) != 0 ? "true" : "false";
      break;
    case kHexInt32:
      AppendHexFixed(Le32(p), 8, out);
      break;
    case kHexInt64:
      AppendHexFixed(Le64(p), 16, out);
      break;
    case kFiletime:
      AppendFiletime(Le64(p), out);
      break;
    case kGuid:
      AppendGuid(p, out);
      break;
    case kSystemtime:
      AppendSystemtime(p, out);
      break;
    default:
      break;
  }
}

}  // namespace

void AppendUtf16(const std::uint8_t* p, std::size_t n, std::string& out) {
  // Worst case 3 UTF-8 bytes per code unit; write in place, trim after.
  std::size_t at = out.size();
  out.resize(at + 3 * n);
  char* o = out.data() + at;
  std::size_t i = 0;
  while (i < n) {
    // Fast path: four ASCII code units at once.
    if (i + 4 <= n) {
      std::uint64_t w = Le64(p + 2 * i);
      if ((w & 0xff80ff80ff80ff80ull) == 0) {
        o[0] = static_cast<char>(w);
        o[1] = static_cast<char>(w >> 16);
        o[2] = static_cast<char>(w >> 32);
        o[3] = static_cast<char>(w >> 48);
        o += 4;
        i += 4;
        continue;
      }
    }
    std::uint32_t c = Le16(p + 2 * i);
    ++i;
    if (c < 0x80) {
      *o++ = static_cast<char>(c);
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00 && i < n) {
      std::uint32_t d = Le16(p + 2 * i);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        ++i;
      }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;  // Unpaired surrogate.
    if (c < 0x800) {
      *o++ = static_cast<char>(0xc0 | (c >> 6));
      *o++ = static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      *o++ = static_cast<char>(0xe0 | (c >> 12));
      *o++ = static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      *o++ = static_cast<char>(0x80 | (c & 0x3f));
    } else {  // Surrogate pair: 2 units in, 4 bytes out (fits the 3n budget).
      *o++ = static_cast<char>(0xf0 | (c >> 18));
      *o++ = static_cast<char>(0x80 | ((c >> 12) & 0x3f));
      *o++ = static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      *o++ = static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
}

std::size_t ArrayItemSize(std::uint8_t item) { return item == kSizeT ? 8 : FixedSize(item); }

void AppendValue(const Value& v, std::string& out) {
  const std::uint8_t* p = v.data;
  std::size_t n = v.size;
  std::uint8_t t = v.type;
  if (t & kArrayFlag) {
    bool first = true;
    bool ok = ForEachArrayItem(v, [&](const Value& item) {
      if (!first) out += ", ";
      first = false;
      AppendValue(item, out);
    });
    if (!ok) AppendHexBytes(p, n, out);
    return;
  }
  switch (t) {
    case kNull:
      return;
    case kString: {
      std::size_t units = n / 2;
      while (units > 0 && Le16(p + 2 * (units - 1)) == 0) --units;  // Terminating NULs.
      AppendUtf16(p, units, out);
      return;
    }
    case kAnsiString:
      AppendAnsi(p, n, out);
      return;
    case kBinary:
    case kEvtHandle:
    case kEvtXml:
    case kBinXml:
      AppendHexBytes(p, n, out);
      return;
    case kSid:
      AppendSid(p, n, out);
      return;
    case kSizeT:  // Decimal, like evtxexport.
      if (n == 4) {
        AppendUnsigned(Le32(p), out);
      } else if (n == 8) {
        AppendUnsigned(Le64(p), out);
      } else {
        AppendHexBytes(p, n, out);
      }
      return;
    default:
      break;
  }
  std::size_t want = FixedSize(t);
  if (want == 0 || n != want) {
    AppendHexBytes(p, n, out);
    return;
  }
  AppendFixed(t, p, out);
}

}  // namespace detail

void AppendFiletime(std::uint64_t filetime, std::string& out) {
  // FILETIME: 100 ns ticks since 1601-01-01. Days since 1601 -> civil date.
  std::uint64_t ticks = filetime % 10000000ull;
  std::uint64_t secs = filetime / 10000000ull;
  std::uint64_t days = secs / 86400;
  std::uint64_t rem = secs % 86400;
  // 1601-01-01 is 134774 days before 1970-01-01.
  const CivilDate c = CivilFromDays(static_cast<std::int64_t>(days) - 134774);
  const auto y = static_cast<std::uint64_t>(c.year);
  const std::uint64_t m = c.month, d = c.day;
  char buf[28];
  auto put = [&buf](int at, std::uint64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      buf[at + i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(0, y, 4);
  buf[4] = '-';
  put(5, m, 2);
  buf[7] = '-';
  put(8, d, 2);
  buf[10] = 'T';
  put(11, rem / 3600, 2);
  buf[13] = ':';
  put(14, rem / 60 % 60, 2);
  buf[16] = ':';
  put(17, rem % 60, 2);
  buf[19] = '.';
  put(20, ticks, 7);
  buf[27] = 'Z';
  if (y > 9999) {  // Five-digit years (max FILETIME is in year 60056).
    out += std::to_string(y);
    out.append(buf + 4, 24);
    return;
  }
  int n = 28;
  out.append(buf, static_cast<std::size_t>(n));
}

}  // namespace trawl::evtx
