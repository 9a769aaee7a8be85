#include <gtest/gtest.h>

#include <string>

#include "trawl/logs/logs.h"

namespace trawl::logs {
namespace {

// 2023-04-02T00:00:00Z and 2023-01-02T00:00:00Z, as file mtimes.
constexpr std::int64_t kApr2 = 1680393600;
constexpr std::int64_t kJan2 = 1672617600;

struct Case {
  std::string header;  // lines DetectFormat sees before the line
  std::string line;
  std::int64_t mtime;
  const char* want;  // ISO UTC, or nullptr for no time
};

TEST(Timestamp, EveryFormat) {
  const Case cases[] = {
      // ISO 8601
      {"", "2023-03-30T10:00:01Z host app: x", kApr2, "2023-03-30T10:00:01Z"},
      {"", "2023-03-30T12:00:01.250+02:00 x", kApr2, "2023-03-30T10:00:01.250Z"},
      {"", "2023-03-30 10:00:01,123 INFO x", kApr2, "2023-03-30T10:00:01.123Z"},
      {"", "[2023-03-30 10:00:01] x", kApr2, "2023-03-30T10:00:01Z"},
      {"", "2023-03-30T10:00:01-0500 x", kApr2, "2023-03-30T15:00:01Z"},
      // RFC 3164, year from mtime (and the year before for a later date)
      {"", "Mar 30 10:00:01 host sshd[1]: Accepted", kApr2, "2023-03-30T10:00:01Z"},
      {"", "Dec 31 23:59:59 host cron[2]: x", kJan2, "2022-12-31T23:59:59Z"},
      {"", "<13>Mar  3 01:02:03 host x", kApr2, "2023-03-03T01:02:03Z"},
      {"", "Apr  2 20:00:00 host x", kApr2, "2023-04-02T20:00:00Z"},
      {"", "Apr  4 00:00:00 host x", kApr2, "2022-04-04T00:00:00Z"},
      // RFC 5424
      {"", "<34>1 2023-03-30T10:00:01.003Z mymachine su - ID47 - msg", kApr2,
       "2023-03-30T10:00:01.003Z"},
      // Zeek TSV (ts column) and masked times
      {"#separator \\x09\n#fields\tuid\tts\tquery\n", "Cx\t1320279554.496300\tex.com", kApr2,
       "2011-11-03T00:19:14.496Z"},
      {"#separator \\x09\n#fields\tts\tuid\n", "XXXXXXXXXX.XXXXXX\tCx", kApr2, nullptr},
      // Squid
      {"", "1576177221.686     3976 203.0.113.1 NONE/000 13564 GET http://x/ - HIER_NONE/- -",
       kApr2, "2019-12-12T19:00:21.686Z"},
      // Apache / nginx
      {"", "127.0.0.1 - - [30/Mar/2023:12:00:01 +0200] \"GET / HTTP/1.1\" 200 1", kApr2,
       "2023-03-30T10:00:01Z"},
      {"", "[Thu Mar 30 10:00:01.123456 2023] [core:error] [pid 1] x", kApr2,
       "2023-03-30T10:00:01.123Z"},
      {"", "2023/03/30 10:00:01 [error] 1#1: x", kApr2, "2023-03-30T10:00:01Z"},
      // W3C / IIS: date and time columns anywhere
      {"#Software: IIS\n#Fields: s-ip date time c-ip\n", "10.0.0.1 2015-01-13 00:32:17 1.2.3.4",
       kApr2, "2015-01-13T00:32:17Z"},
      // Windows DNS debug log
      {"DNS Server log file creation at 3/30/2023 9:00:00 AM\n",
       "3/30/2023 10:00:01 PM 0A2C PACKET  000000 UDP Rcv 10.0.0.5 d1a2   Q [0001   D   NOERROR] A "
       "(3)www(7)example(3)com(0)",
       kApr2, "2023-03-30T22:00:01Z"},
      {"", "3/30/2023 12:05:00 AM 0A2C PACKET", kApr2, "2023-03-30T00:05:00Z"},
      // JSON lines
      {"", "{\"ts\":1320279554.4963,\"uid\":\"C\"}", kApr2, "2011-11-03T00:19:14.496Z"},
      {"", "{\"@timestamp\":\"2023-03-30T10:00:01Z\",\"m\":1}", kApr2, "2023-03-30T10:00:01Z"},
      // No time
      {"", "hello world", kApr2, nullptr},
      {"", "2023-13-01T00:00:00Z x", kApr2, nullptr},
      {"", "Feb 30 10:00:00 host x", kApr2, nullptr},
      {"", "", kApr2, nullptr},
      {"", "12345 not a time", kApr2, nullptr},
  };
  for (const Case& c : cases) {
    TimeContext ctx = DetectFormat("x.log", c.header + c.line + "\n", c.mtime);
    auto t = ParseTimestamp(c.line, ctx);
    if (!c.want) {
      EXPECT_FALSE(t) << c.line << " -> " << (t ? FormatIsoUtc(*t) : "");
    } else {
      ASSERT_TRUE(t) << c.line;
      EXPECT_EQ(FormatIsoUtc(*t), c.want) << c.line;
    }
  }
}

TEST(Timestamp, DetectFormat) {
  EXPECT_EQ(DetectFormat("conn.log", "#separator \\x09\n#fields\tts\tuid\n", 0).format,
            Format::kZeek);
  EXPECT_EQ(DetectFormat("conn.log", "#separator \\x09\n#fields\tts\tuid\n", 0).ts_col, 0);
  auto w3c = DetectFormat("u_ex1.log", "#Version: 1.0\n#Fields: date time s-ip\n", 0);
  EXPECT_EQ(w3c.format, Format::kW3c);
  EXPECT_EQ(w3c.date_col, 0);
  EXPECT_EQ(w3c.time_col, 1);
  EXPECT_EQ(DetectFormat("access.log", "1576177221.686     3976 1.2.3.4 X\n", 0).format,
            Format::kSquid);
  EXPECT_EQ(DetectFormat("syslog", "Mar 30 10:00:01 host x\n", 0).format, Format::kSyslog);
  EXPECT_EQ(DetectFormat("a.log", "free text\n", 0).format, Format::kAuto);
}

TEST(Timestamp, FormatIsoUtc) {
  EXPECT_EQ(FormatIsoUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIsoUtc(951782400000), "2000-02-29T00:00:00Z");
  EXPECT_EQ(FormatIsoUtc(1680393600001), "2023-04-02T00:00:00.001Z");
}

}  // namespace
}  // namespace trawl::logs
