// The Linux implementation of the live seam: /proc.
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "trawl/live/os.h"
#include "trawl/live/procfs.h"

namespace trawl::live {
namespace {

constexpr char kVanished[] = ": process vanished";
constexpr std::size_t kMaxProcText = 16u << 20;

struct DirCloser {
  void operator()(DIR* d) const noexcept { closedir(d); }
};

Status Errno(const std::string& what, int err) {
  if (err == ENOENT || err == ESRCH) return Status::Error(StatusCode::kGone, what + kVanished);
  return Status::Error(what + ": " + std::strerror(err));
}

// At most kMaxProcText bytes; *cut is set when the text was longer.
Result<std::string> ReadText(const std::string& path, bool* cut = nullptr) {
  UniqueFd fd = AdoptFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return Errno(path, errno);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get().fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno(path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxProcText) {
      if (cut) *cut = true;
      break;
    }
  }
  return out;
}

Result<std::string> ReadLink(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return Errno(path, errno);
  return std::string(buf, static_cast<size_t>(n));
}

std::string UserName(std::uint32_t uid) {
  struct passwd pw, *result = nullptr;
  char buf[2048];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) == 0 && result) return result->pw_name;
  return std::to_string(uid);
}

// Opens `path` (a /proc magic link or a plain path) without side effects: an
// O_PATH handle first, then, only for a regular file, a read-only reopen
// through /proc/self/fd with O_NOATIME where permitted.
Result<OpenedFile> OpenRegular(const std::string& path) {
  UniqueFd pfd = AdoptFd(::open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!pfd) return Errno(path, errno);
  struct stat st;
  if (::fstat(pfd.get().fd, &st) != 0) return Errno(path, errno);
  if (!S_ISREG(st.st_mode)) return Status::Error(path + ": not a regular file");
  std::string via = "/proc/self/fd/" + std::to_string(pfd.get().fd);
  int fd = ::open(via.c_str(), O_RDONLY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::open(via.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(path, errno);
  OpenedFile f;
  f.fd = AdoptFd(fd);
  f.dev = st.st_dev;
  f.inode = st.st_ino;
  f.size = static_cast<std::uint64_t>(st.st_size);
  f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return f;
}

class LinuxOs final : public Os {
 public:
  explicit LinuxOs(std::string proc) : proc_(std::move(proc)) {}
  bool supported() const override { return true; }

  Result<std::vector<int>> ListPids() override {
    std::unique_ptr<DIR, DirCloser> d(opendir(proc_.c_str()));
    if (!d) return Status::Error(proc_ + ": " + std::strerror(errno));
    std::vector<int> pids;
    while (dirent* e = readdir(d.get())) {
      char* end = nullptr;
      long v = std::strtol(e->d_name, &end, 10);
      if (*e->d_name && end && *end == '\0' && v > 0 && v < 0x7FFFFFFF)
        pids.push_back(static_cast<int>(v));
    }
    return pids;
  }

  Result<ProcessInfo> Process(int pid) override {
    std::string base = Base(pid);
    ProcessInfo p;
    p.pid = pid;
    auto stat = ReadText(base + "/stat");
    if (!stat.ok()) return stat.status();
    if (!ParseStatPpid(*stat, p.ppid)) return Status::Error(base + "/stat: malformed");
    size_t open = stat->find('('), close = stat->rfind(')');
    if (open != std::string::npos && close != std::string::npos && close > open)
      p.name = stat->substr(open + 1, close - open - 1);
    auto status = ReadText(base + "/status");
    if (!status.ok()) return status.status();
    if (!ParseStatusUid(*status, p.uid)) return Status::Error(base + "/status: no Uid");
    p.user = UserName(p.uid);
    auto cmd = ReadText(base + "/cmdline");
    if (!cmd.ok()) return cmd.status();
    p.cmdline = JoinCmdline(*cmd);
    auto exe = ReadLink(base + "/exe");
    if (exe.ok()) {
      constexpr std::string_view kDeleted = " (deleted)";
      std::string e = *exe;
      if (e.size() > kDeleted.size() &&
          e.compare(e.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0) {
        e.resize(e.size() - kDeleted.size());
        p.exe_deleted = true;
      }
      if (e.rfind("/memfd:", 0) == 0) p.exe_deleted = true;
      p.exe = e;
    } else if (Vanished(exe.status())) {
      // ENOENT on exe: a kernel thread (no executable) unless the process is gone.
      struct stat st;
      if (::stat(base.c_str(), &st) != 0) return exe.status();
    } else {
      return exe.status();
    }
    // The working directory (Sigma's CurrentDirectory); unreadable for
    // another user's process without privilege, which is not an error.
    if (!p.exe.empty()) {
      if (auto cwd = ReadLink(base + "/cwd"); cwd.ok()) p.cwd = *cwd;
    }
    return p;
  }

  Result<std::vector<Mapping>> Maps(int pid) override {
    bool cut = false;
    auto text = ReadText(Base(pid) + "/maps", &cut);
    if (!text.ok()) return text.status();
    std::size_t bad = 0;
    auto maps = ParseMaps(*text, &bad);
    Count(bad, cut);
    return maps;
  }

  Result<OpenedFile> OpenExe(int pid) override { return OpenRegular(Base(pid) + "/exe"); }

  Result<OpenedFile> OpenMapped(int pid, const Mapping& m) override {
    char range[64];
    std::snprintf(range, sizeof range, "%llx-%llx", static_cast<unsigned long long>(m.start),
                  static_cast<unsigned long long>(m.end));
    auto f = OpenRegular(Base(pid) + "/map_files/" + range);
    if (f.ok() || m.deleted) return f;
    // map_files needs CAP_SYS_ADMIN: fall back to the path in the process's root.
    return OpenRegular(Base(pid) + "/root" + m.path);
  }

  Status ReadMemory(int pid, std::uint64_t addr, std::size_t n,
                    std::vector<std::uint8_t>& out) override {
    std::string path = Base(pid) + "/mem";
    UniqueFd fd = AdoptFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Errno(path, errno);
    out.resize(n);
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd.get().fd, out.data() + got, n - got, static_cast<off_t>(addr + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;  // EIO: an unreadable page ends the region
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return Status::Ok();
  }

  Result<std::vector<Socket>> Sockets() override {
    std::vector<Socket> all;
    for (const char* proto : {"tcp", "tcp6", "udp", "udp6"}) {
      bool cut = false;
      auto text = ReadText(proc_ + "/net/" + proto, &cut);
      if (!text.ok()) continue;  // e.g. no IPv6 in this kernel
      std::size_t bad = 0;
      std::vector<Socket> s = ParseProcNet(*text, proto, &bad);
      Count(bad, cut);
      all.insert(all.end(), s.begin(), s.end());
    }
    return all;
  }

  Result<std::vector<std::uint64_t>> SocketInodes(int pid) override {
    std::string dir = Base(pid) + "/fd";
    std::unique_ptr<DIR, DirCloser> d(opendir(dir.c_str()));
    if (!d) return Errno(dir, errno);
    std::vector<std::uint64_t> out;
    while (dirent* e = readdir(d.get())) {
      if (e->d_name[0] == '.') continue;
      auto link = ReadLink(dir + "/" + e->d_name);
      if (!link.ok()) continue;
      if (std::uint64_t ino = SocketInodeOfLink(*link)) out.push_back(ino);
    }
    return out;
  }

  Dropped dropped() const override { return dropped_; }

 private:
  std::string Base(int pid) const { return proc_ + "/" + std::to_string(pid); }
  void Count(std::size_t bad, bool cut) {
    dropped_.bad_lines += bad;
    if (cut) ++dropped_.texts_cut;
  }
  std::string proc_;
  Dropped dropped_;
};

}  // namespace

std::unique_ptr<Os> MakeOs(const std::string& proc) { return std::make_unique<LinuxOs>(proc); }

bool Vanished(const Status& st) { return st.code() == StatusCode::kGone; }

}  // namespace trawl::live
