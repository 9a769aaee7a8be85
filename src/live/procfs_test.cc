// /proc text parsers: tables of real-format lines and malformed ones.
#include "trawl/live/procfs.h"

#include <gtest/gtest.h>

namespace trawl::live {
namespace {

TEST(ProcNet, Ipv4AndIpv6Tables) {
  const std::string tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
      "inode\n"
      "   0: 0200007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
      "4242 1 0000000000000000 100 0 0 10 0\n"
      "   1: 0100007F:A1B2 0200007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 "
      "4343 1 0000000000000000 20 4 30 10 -1\n"
      "   2: garbage\n";
  size_t bad = 0;
  auto s = ParseProcNet(tcp, "tcp", &bad);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(bad, 1u);
  EXPECT_EQ(s[0].local_ip, "127.0.0.2");
  EXPECT_EQ(s[0].local_port, 8080);
  EXPECT_EQ(s[0].state, "LISTEN");
  EXPECT_EQ(s[0].inode, 4242u);
  EXPECT_EQ(s[1].local_ip, "127.0.0.1");
  EXPECT_EQ(s[1].remote_ip, "127.0.0.2");
  EXPECT_EQ(s[1].remote_port, 8080);
  EXPECT_EQ(s[1].state, "ESTABLISHED");
  EXPECT_EQ(s[1].uid, 1000u);

  const std::string tcp6 =
      "  sl  local_address                         remote_address                        st "
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0\n"
      "   1: B80D0120000000000000000001000000:C350 0000000000000000FFFF00000200007F:01BB 01 "
      "00000000:00000000 00:00000000 00000000     0        0 100 1 0000000000000000 100 0 0 10 0\n";
  auto s6 = ParseProcNet(tcp6, "tcp6");
  ASSERT_EQ(s6.size(), 2u);
  EXPECT_EQ(s6[0].local_ip, "::1");
  EXPECT_EQ(s6[0].local_port, 22);
  EXPECT_EQ(s6[1].local_ip, "2001:db8::1");
  EXPECT_EQ(s6[1].remote_ip, "::ffff:127.0.0.2");
  EXPECT_EQ(s6[1].remote_port, 443);

  const std::string udp =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode ref pointer drops\n"
      "  1: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 "
      "555 2 0000000000000000 0\n";
  auto u = ParseProcNet(udp, "udp");
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].state, "UNCONN");
  EXPECT_EQ(u[0].local_port, 68);
}

TEST(ProcMaps, FieldsPathsWithSpacesAndDeleted) {
  const std::string maps =
      "55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 1234                       /usr/bin/sleep\n"
      "7f00aa000000-7f00aa021000 rw-p 00000000 00:00 0 \n"
      "7f00ab000000-7f00ab001000 r-xp 00002000 08:02 777   /tmp/my lib.so (deleted)\n"
      "7ffd1000-7ffd2000 rw-p 00000000 00:00 0                          [stack]\n"
      "zzzz-1 r--p 0 0:0 0\n";
  size_t bad = 0;
  auto m = ParseMaps(maps, &bad);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(bad, 1u);
  EXPECT_EQ(m[0].path, "/usr/bin/sleep");
  EXPECT_EQ(m[0].dev_major, 0xfdu);
  EXPECT_EQ(m[0].inode, 1234u);
  EXPECT_TRUE(m[0].file_backed());
  EXPECT_TRUE(m[0].readable());
  EXPECT_EQ(m[1].path, "");
  EXPECT_FALSE(m[1].file_backed());
  EXPECT_EQ(m[2].path, "/tmp/my lib.so");
  EXPECT_TRUE(m[2].deleted);
  EXPECT_EQ(m[2].offset, 0x2000u);
  EXPECT_EQ(m[3].path, "[stack]");
  EXPECT_EQ(m[3].start, 0x7ffd1000u);
}

TEST(ProcMisc, StatStatusCmdlineSocketLinks) {
  int ppid = 0;
  EXPECT_TRUE(ParseStatPpid("123 (a b) c)) S 77 123 123 0 -1", ppid));
  EXPECT_EQ(ppid, 77);
  EXPECT_FALSE(ParseStatPpid("123 (x", ppid));
  std::uint32_t uid = 0;
  EXPECT_TRUE(ParseStatusUid("Name:\tx\nUid:\t1000\t1000\t1000\t1000\n", uid));
  EXPECT_EQ(uid, 1000u);
  EXPECT_FALSE(ParseStatusUid("Name:\tx\n", uid));
  EXPECT_EQ(JoinCmdline(std::string("sleep\0"
                                    "600\0",
                                    10)),
            "sleep 600");
  EXPECT_EQ(JoinCmdline(""), "");
  EXPECT_EQ(SocketInodeOfLink("socket:[4242]"), 4242u);
  EXPECT_EQ(SocketInodeOfLink("pipe:[4242]"), 0u);
  EXPECT_EQ(SocketInodeOfLink("socket:[]"), 0u);
  EXPECT_EQ(SocketInodeOfLink("socket:[12x]"), 0u);
  EXPECT_STREQ(TcpStateName(10, false), "LISTEN");
  EXPECT_STREQ(TcpStateName(99, false), "UNKNOWN");
}

}  // namespace
}  // namespace trawl::live
