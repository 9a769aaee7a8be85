// Parsers of Linux /proc text (pure functions over bytes, usable and tested
// on any OS). Malformed lines are skipped and counted, never fatal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/live/os.h"

namespace trawl::live {

// /proc/net/{tcp,tcp6,udp,udp6}: `proto` names the table. Addresses are
// kernel hex in host byte order (little-endian here); `bad` counts skipped lines.
std::vector<Socket> ParseProcNet(std::string_view text, const std::string& proto,
                                 std::size_t* bad = nullptr);

// /proc/PID/maps.
std::vector<Mapping> ParseMaps(std::string_view text, std::size_t* bad = nullptr);

// /proc/PID/stat: the ppid (field 4, after the parenthesised comm, which may
// hold spaces and ')'). False when malformed.
bool ParseStatPpid(std::string_view text, int& ppid);

// /proc/PID/status: the real uid ("Uid:" line). False when absent.
bool ParseStatusUid(std::string_view text, std::uint32_t& uid);

// "a\0b\0c\0" -> "a b c".
std::string JoinCmdline(std::string_view raw);

// "socket:[12345]" -> 12345; 0 when the link is no socket.
std::uint64_t SocketInodeOfLink(std::string_view link);

// TCP state number (hex field "st") -> name; UDP uses 07 = "UNCONN", 01 = "ESTABLISHED".
const char* TcpStateName(int st, bool udp);

}  // namespace trawl::live
