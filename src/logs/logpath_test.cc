#include <gtest/gtest.h>

#include "trawl/logs/logs.h"

namespace trawl::logs {
namespace {

TEST(IsLogPath, Table) {
  LogOptions opts;
  struct Case {
    const char* path;
    bool log;
  } cases[] = {
      {"var/log/syslog", true},
      {"/mnt/image/var/log/anything/at/all", true},
      {"/var/log/journal/abc/system.journal", false},
      {"/var/log/journal/abc/system@x.journal~", false},
      {"/srv/app/app.log", true},
      {"/srv/app/APP.LOG", true},
      {"/srv/app/app.log.1", true},
      {"/srv/app/app.log.2.gz", true},
      {"/x/syslog.3.gz", true},
      {"/x/messages-20230330", true},
      {"/x/secure-20230330.bz2", true},
      {"/x/app.log-20230330.xz", true},
      {"/x/app.log.2023-03-30.zst", true},
      {"/zeek/2023-03-30/conn.00:00:00-01:00:00.log.gz", true},
      {"/inetpub/logs/LogFiles/W3SVC1/u_ex230330.log", true},
      {"/etc/httpd/logs/access_log", true},
      {"/etc/httpd/logs/error_log.1", true},
      {"/windows/system32/dns/dns.log", true},
      {"/srv/data/report.txt", false},
      {"/srv/data/archive.tar.gz", false},
      {"/srv/data/catalog", false},
      {"/srv/data/x.1", false},
      {"/srv/logfile_w3c_big.0", false},
  };
  for (const auto& c : cases) EXPECT_EQ(IsLogPath(c.path, opts), c.log) << c.path;
}

TEST(IsLogPath, ExtraGlobs) {
  LogOptions opts;
  opts.extra_globs = {"*.txt", "/data/proxy/*"};
  EXPECT_TRUE(IsLogPath("/a/b/notes.txt", opts));
  EXPECT_TRUE(IsLogPath("/data/proxy/2023/03/30", opts));
  EXPECT_FALSE(IsLogPath("/data/other/x", opts));
}

}  // namespace
}  // namespace trawl::logs
