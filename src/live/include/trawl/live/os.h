// The operating-system seam of the live sweeps: processes, their mappings,
// their memory, and sockets. One implementation per OS, picked by CMake
// (linux/ reads /proc; unsupported/ says so for every call); tests use the
// real Linux one against processes they start, or a fake of their own.
//
// Everything here only reads. Files are opened read-only with O_NOATIME
// where allowed, and only when they are regular files (a mapped device is
// never opened). A process that exits while it is read gives an error whose
// `vanished()` is true, so callers can count it rather than report it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/core/unique_handle.h"

namespace trawl::live {

struct ProcessInfo {
  int pid = 0;
  int ppid = 0;
  std::uint32_t uid = 0;
  std::string user;  // name of the real uid, else the number
  std::string name;  // the kernel's short name (comm)
  std::string exe;   // the executable's path, " (deleted)" removed; empty for kernel threads
  bool exe_deleted = false;  // the executable was deleted (or is a memfd) while it runs
  std::string cmdline;       // arguments joined by spaces (NULs in arguments are not recoverable)
  std::string cwd;           // the working directory; empty when it cannot be read
};

struct Mapping {
  std::uint64_t start = 0, end = 0, offset = 0;
  std::string perms;  // "r-xp"
  std::uint32_t dev_major = 0, dev_minor = 0;
  std::uint64_t inode = 0;
  std::string path;  // "" anonymous, "[heap]", "/usr/lib/x.so"; " (deleted)" removed
  bool deleted = false;
  bool readable() const { return !perms.empty() && perms[0] == 'r'; }
  bool file_backed() const { return inode != 0 && !path.empty() && path[0] == '/'; }
};

struct Socket {
  std::string proto;                // "tcp", "tcp6", "udp", "udp6"
  std::string local_ip, remote_ip;  // canonical text
  std::uint16_t local_port = 0, remote_port = 0;
  std::string state;  // "ESTABLISHED", "LISTEN", ... (UDP: "UNCONN" or "ESTABLISHED")
  std::uint64_t inode = 0;
  std::uint32_t uid = 0;
};

// An open, read-only file of a process (its executable or a mapped file).
struct OpenedFile {
  UniqueFd fd;  // read-only
  std::uint64_t dev = 0, inode = 0, size = 0;
  std::int64_t mtime_ns = 0;
};

class Os {
 public:
  virtual ~Os() = default;
  // False for the fallback: every call then fails with "unsupported on OS".
  virtual bool supported() const = 0;
  virtual Result<std::vector<int>> ListPids() = 0;
  virtual Result<ProcessInfo> Process(int pid) = 0;
  virtual Result<std::vector<Mapping>> Maps(int pid) = 0;
  // The running executable, readable even when deleted (the fd closes with it).
  virtual Result<OpenedFile> OpenExe(int pid) = 0;
  // A file-backed mapping's file, as the process maps it (deleted files too).
  virtual Result<OpenedFile> OpenMapped(int pid, const Mapping& m) = 0;
  // Up to n bytes of the process's memory at addr (fewer where unreadable).
  virtual Status ReadMemory(int pid, std::uint64_t addr, std::size_t n,
                            std::vector<std::uint8_t>& out) = 0;
  // Sockets of the network namespace trawl runs in.
  virtual Result<std::vector<Socket>> Sockets() = 0;
  // Inodes of the sockets a process holds open.
  virtual Result<std::vector<std::uint64_t>> SocketInodes(int pid) = 0;

  // What the OS seam dropped so far, so the sweep can say so: table lines
  // (maps, net/tcp...) that did not parse, and texts cut at the read cap.
  struct Dropped {
    std::uint64_t bad_lines = 0;
    std::uint64_t texts_cut = 0;
  };
  virtual Dropped dropped() const { return {}; }
};

// The implementation for this OS (Linux: `proc` is the procfs mount).
std::unique_ptr<Os> MakeOs(const std::string& proc = "/proc");

// True when a Status from Os means the process is gone (exited meanwhile).
bool Vanished(const Status& st);

}  // namespace trawl::live
