// libFuzzer target: the /proc text parsers of the live sweeps (sockets of
// /proc/net/{tcp,tcp6,udp,udp6}, /proc/PID/maps, stat, status, cmdline, fd
// links). A process can shape much of this text (its comm, its command line,
// the names of the files it maps), so none of it may crash the scanner.
// Invariants: skipped lines are counted, never more results than lines.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "trawl/live/procfs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1u << 20)) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';
  for (const char* proto : {"tcp", "tcp6", "udp", "udp6"}) {
    std::size_t bad = 0;
    auto socks = trawl::live::ParseProcNet(text, proto, &bad);
    if (socks.size() + bad > lines) __builtin_trap();
    for (const auto& s : socks)
      if (s.state.empty()) __builtin_trap();  // every socket has a state name
  }
  std::size_t bad = 0;
  auto maps = trawl::live::ParseMaps(text, &bad);
  if (maps.size() + bad > lines) __builtin_trap();
  int ppid = 0;
  (void)trawl::live::ParseStatPpid(text, ppid);
  std::uint32_t uid = 0;
  (void)trawl::live::ParseStatusUid(text, uid);
  std::string cmd = trawl::live::JoinCmdline(text);
  if (cmd.size() > text.size()) __builtin_trap();
  (void)trawl::live::SocketInodeOfLink(text);
  if (size) (void)trawl::live::TcpStateName(data[0], data[0] & 1);
  return 0;
}
