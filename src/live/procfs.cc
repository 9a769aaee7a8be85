#include "trawl/live/procfs.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

#include "trawl/core/text.h"

namespace trawl::live {
namespace {

bool HexU64(std::string_view s, std::uint64_t& v) {
  if (s.empty() || s.size() > 16) return false;
  v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return false;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return true;
}

bool DecU64(std::string_view s, std::uint64_t& v) {
  if (s.empty() || s.size() > 19) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// "0100007F:1F90" (v4) or 32 hex digits (v6), each 32-bit word in host order.
bool ParseAddr(std::string_view s, bool v6, std::string& ip, std::uint16_t& port) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view a = s.substr(0, colon);
  std::uint64_t p;
  if (!HexU64(s.substr(colon + 1), p) || p > 0xFFFF) return false;
  port = static_cast<std::uint16_t>(p);
  size_t words = v6 ? 4 : 1;
  if (a.size() != words * 8) return false;
  unsigned char bytes[16];
  for (size_t w = 0; w < words; ++w) {
    std::uint64_t v;
    if (!HexU64(a.substr(w * 8, 8), v)) return false;
    auto word = static_cast<std::uint32_t>(v);
    std::memcpy(bytes + 4 * w, &word, 4);  // the kernel printed the word in host order
  }
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, buf, sizeof buf)) return false;
  ip = buf;
  return true;
}

}  // namespace

const char* TcpStateName(int st, bool udp) {
  if (udp) return st == 1 ? "ESTABLISHED" : "UNCONN";
  static const char* kNames[] = {
      "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  if (st < 0 || st >= static_cast<int>(sizeof kNames / sizeof kNames[0])) return "UNKNOWN";
  return kNames[st];
}

std::vector<Socket> ParseProcNet(std::string_view text, const std::string& proto,
                                 std::size_t* bad) {
  std::vector<Socket> out;
  bool v6 = proto.size() > 3 && proto.back() == '6';
  bool udp = proto.rfind("udp", 0) == 0;
  bool first = true;
  for (std::string_view line : Split(text, '\n')) {
    if (first) {  // the header line
      first = false;
      continue;
    }
    if (TrimAscii(line).empty()) continue;
    std::vector<std::string_view> f = Fields(line);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    Socket s;
    s.proto = proto;
    std::uint64_t st, uid, inode;
    if (f.size() < 10 || !ParseAddr(f[1], v6, s.local_ip, s.local_port) ||
        !ParseAddr(f[2], v6, s.remote_ip, s.remote_port) || !HexU64(f[3], st) ||
        !DecU64(f[7], uid) || !DecU64(f[9], inode)) {
      if (bad) ++*bad;
      continue;
    }
    s.state = TcpStateName(static_cast<int>(st), udp);
    s.uid = static_cast<std::uint32_t>(uid);
    s.inode = inode;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Mapping> ParseMaps(std::string_view text, std::size_t* bad) {
  std::vector<Mapping> out;
  for (std::string_view line : Split(text, '\n')) {
    if (line.empty()) continue;
    // start-end perms offset major:minor inode [path]
    std::vector<std::string_view> f = Fields(line);
    Mapping m;
    size_t dash = f.empty() ? std::string_view::npos : f[0].find('-');
    size_t colon = f.size() < 4 ? std::string_view::npos : f[3].find(':');
    std::uint64_t maj, min;
    if (f.size() < 5 || dash == std::string_view::npos || colon == std::string_view::npos ||
        !HexU64(f[0].substr(0, dash), m.start) || !HexU64(f[0].substr(dash + 1), m.end) ||
        m.end < m.start || !HexU64(f[2], m.offset) || !HexU64(f[3].substr(0, colon), maj) ||
        !HexU64(f[3].substr(colon + 1), min) || !DecU64(f[4], m.inode)) {
      if (bad) ++*bad;
      continue;
    }
    m.perms = std::string(f[1]);
    m.dev_major = static_cast<std::uint32_t>(maj);
    m.dev_minor = static_cast<std::uint32_t>(min);
    // The path is the rest of the line after the inode field (it may hold spaces).
    size_t at = static_cast<size_t>(f[4].data() - line.data()) + f[4].size();
    std::string_view path = TrimAscii(line.substr(at));
    constexpr std::string_view kDeleted = " (deleted)";
    if (path.size() > kDeleted.size() && path.substr(path.size() - kDeleted.size()) == kDeleted) {
      path.remove_suffix(kDeleted.size());
      m.deleted = true;
    }
    m.path = std::string(path);
    out.push_back(std::move(m));
  }
  return out;
}

bool ParseStatPpid(std::string_view text, int& ppid) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return false;
  std::vector<std::string_view> f = Fields(text.substr(close + 1));
  std::uint64_t v;
  if (f.size() < 2 || !DecU64(f[1], v) || v > 0x7FFFFFFF) return false;
  ppid = static_cast<int>(v);
  return true;
}

bool ParseStatusUid(std::string_view text, std::uint32_t& uid) {
  for (std::string_view line : Split(text, '\n')) {
    if (line.rfind("Uid:", 0) != 0) continue;
    std::vector<std::string_view> f = Fields(line.substr(4));
    std::uint64_t v;
    if (f.empty() || !DecU64(f[0], v) || v > 0xFFFFFFFFu) return false;
    uid = static_cast<std::uint32_t>(v);
    return true;
  }
  return false;
}

std::string JoinCmdline(std::string_view raw) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::string out(raw);
  for (char& c : out)
    if (c == '\0') c = ' ';
  return out;
}

std::uint64_t SocketInodeOfLink(std::string_view link) {
  constexpr std::string_view kPrefix = "socket:[";
  if (link.size() < kPrefix.size() + 2 || link.substr(0, kPrefix.size()) != kPrefix ||
      link.back() != ']')
    return 0;
  std::uint64_t v;
  return DecU64(link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1), v) ? v : 0;
}

}  // namespace trawl::live
