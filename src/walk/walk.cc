#include "trawl/walk/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/resource.h>
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "trawl/core/unique_handle.h"
#include "trawl/core/stop.h"

namespace trawl::walk {
namespace {

std::string Errno(int err) { return std::generic_category().message(err); }

struct FreeDeleter {
  void operator()(char* p) const noexcept { std::free(p); }
};

struct DevIno {
  dev_t dev;
  ino_t ino;
  bool operator==(const DevIno&) const = default;
};
struct DevInoHash {
  std::size_t operator()(const DevIno& d) const noexcept {
    return std::hash<std::uint64_t>()(static_cast<std::uint64_t>(d.ino) * 0x9E3779B97F4A7C15ull ^
                                      static_cast<std::uint64_t>(d.dev));
  }
};
DevIno IdOf(const struct stat& st) { return {st.st_dev, st.st_ino}; }

// Canonical path, or "" with errno set.
std::string RealPath(const std::string& p) {
  std::unique_ptr<char, FreeDeleter> r(::realpath(p.c_str(), nullptr));
  return r ? std::string(r.get()) : std::string();
}

// "/a//b/./c/" -> "/a/b/c", made absolute against the cwd. ".." is resolved
// lexically; only used for exclude paths that do not exist (yet).
std::string LexicalAbsolute(const std::string& p) {
  std::string in = p;
  if (in.empty() || in[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd)) in = std::string(cwd) + "/" + in;
  }
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t j = in.find('/', i);
    if (j == std::string::npos) j = in.size();
    std::string part = in.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    i = j + 1;
  }
  std::string out;
  for (const auto& part : parts) out += "/" + part;
  return out.empty() ? "/" : out;
}

// True when `p` is `dir` or below it (both canonical).
bool IsAtOrBelow(const std::string& p, const std::string& dir) {
  if (dir == "/") return !p.empty() && p[0] == '/';
  return p.size() >= dir.size() && p.compare(0, dir.size(), dir) == 0 &&
         (p.size() == dir.size() || p[dir.size()] == '/');
}

std::string Join(const std::string& dir, const std::string& name) {
  if (dir == "/") return "/" + name;
  std::string s;
  s.reserve(dir.size() + 1 + name.size());
  s += dir;
  s += '/';
  s += name;
  return s;
}

// openat(2) with O_NOATIME, retried without it when the kernel refuses it
// (EPERM: not the owner and no CAP_FOWNER). EINTR retried.
int OpenAtNoatime(int dirfd, const char* name, int flags) {
  for (;;) {
    int fd = ::openat(dirfd, name, flags | O_NOATIME);
    if (fd >= 0) return fd;
    if (errno == EINTR) continue;
    if (errno != EPERM) return -1;
    break;
  }
  for (;;) {
    int fd = ::openat(dirfd, name, flags);
    if (fd >= 0 || errno != EINTR) return fd;
  }
}

// Lists a directory's names (without "." and "..") with getdents64, the
// system call readdir(3) wraps, so the descriptor stays ours (children open
// relative to it). Returns 0 or the errno that stopped the listing; names
// read before an error are kept.
int ListNames(int fd, std::vector<std::string>& names) {
  thread_local std::vector<char> buf(64 * 1024);
  for (;;) {
    ssize_t n = ::getdents64(fd, buf.data(), buf.size());
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (ssize_t off = 0; off < n;) {
      const auto* d = reinterpret_cast<const struct dirent64*>(buf.data() + off);
      off += d->d_reclen;
      const char* nm = d->d_name;
      if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0'))) continue;
      names.emplace_back(nm);
    }
  }
}

struct RootInfo {
  std::string display;  // as given, trailing '/' removed
  std::string real;     // canonical
  dev_t dev = 0;
  // Exclude paths below this root, spelled as the walk will reach them.
  std::unordered_set<std::string> excluded_display;
};

class Walker;

// A directory descriptor kept open while children still need to open
// relative to it; counted so the walk bounds how many are open.
struct SharedDir {
  SharedDir(UniqueFd f, std::atomic<int>* c) : fd(std::move(f)), live(c) { ++*live; }
  ~SharedDir() { --*live; }
  SharedDir(const SharedDir&) = delete;
  SharedDir& operator=(const SharedDir&) = delete;
  UniqueFd fd;
  std::atomic<int>* live;
};

// One component of the way from a retained ancestor down to a directory:
// its name, the (device, inode) the walk stat'ed, and whether it is a
// symlink the walk follows (--follow); every other component is opened
// with O_NOFOLLOW.
struct Step {
  std::string name;
  DevIno id{};
  bool follow = false;
};

struct DirTask {
  std::string path;
  // The nearest ancestor whose descriptor is retained (often the parent),
  // and the components from it down to this directory, the last being the
  // directory itself. Null anchor: open `path` (roots).
  std::shared_ptr<SharedDir> anchor;
  std::vector<Step> steps;
  int depth = 0;
  DevIno expect{};        // from the stat that decided to descend
  bool via_link = false;  // open following a symlink (roots, --follow)
  std::size_t root = 0;
};

class Walker {
 public:
  Walker(const Options& opts, Visitor& v) : opts_(opts), v_(v) {
    struct rlimit rl;
    long soft = (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
                    ? static_cast<long>(rl.rlim_cur)
                    : 1024;
    fd_budget_ = opts.dir_fd_budget > 0 ? opts.dir_fd_budget
                                        : static_cast<int>(std::clamp(soft / 4, 16L, 256L));
  }

  Status Run(const std::vector<std::string>& roots);

 private:
  void PrepareExcludes();
  void Spawn(DirTask t) {
    auto p = std::make_shared<DirTask>(std::move(t));
    tg_->run([this, p] { ProcessDir(*p); });
  }
  void ProcessDir(DirTask& t);
  int OpenDir(const DirTask& t, std::string* err) const;
  // How a child of `t` (whose descriptor is `self`) will be opened: from
  // `self` while the descriptor budget allows (and always below a root),
  // else from t's own anchor through t's components.
  void Anchor(const std::shared_ptr<SharedDir>& self, const DirTask& t, Step step, DirTask& c) {
    if (!t.anchor || live_fds_.load(std::memory_order_relaxed) < fd_budget_) {
      c.anchor = self;
    } else {
      c.anchor = t.anchor;
      c.steps = t.steps;
    }
    c.steps.push_back(std::move(step));
  }
  // Subdirectories found while a directory's entries are processed in
  // parallel: spawned only once they all are (see ProcessDir).
  struct Children {
    std::mutex mu;
    std::vector<DirTask> tasks;
    void Add(DirTask t) {
      std::lock_guard<std::mutex> lock(mu);
      tasks.push_back(std::move(t));
    }
  };
  void ProcessName(const std::shared_ptr<SharedDir>& self, const DirTask& t,
                   const std::string& name, std::string* dir_real, Children& children);
  void FollowLink(const std::shared_ptr<SharedDir>& self, const DirTask& t, const std::string& name,
                  const std::string& path, const struct stat& lst, std::string* dir_real,
                  Children& children);
  bool GlobExcluded(const std::string& path, const std::string& name) const;
  bool ExcludedCanonical(const std::string& real) const;
  bool InsideRoots(const std::string& real) const;
  bool MarkVisited(DevIno id) {
    std::lock_guard<std::mutex> lock(visited_mu_);
    return visited_.insert(id).second;
  }
  void ReportLink(const std::string& path, const struct stat& lst, int depth,
                  const std::string& reason) {
    Entry e;
    e.path = path;
    e.type = EntryType::kSymlink;
    e.st = lst;
    e.depth = depth;
    v_.OnEntry(e);
    v_.OnSkip(path, reason);
  }

  const Options& opts_;
  Visitor& v_;
  std::vector<RootInfo> roots_;
  std::unordered_set<DevIno, DevInoHash> root_ids_;
  std::vector<std::string> excluded_real_;
  std::unordered_set<DevIno, DevInoHash> excluded_ids_;
  std::mutex visited_mu_;
  std::unordered_set<DevIno, DevInoHash> visited_;  // only with follow_symlinks
  std::atomic<int> live_fds_{0};
  std::atomic<int> roots_opened_{0};
  int fd_budget_ = 64;
  tbb::task_group* tg_ = nullptr;
};

void Walker::PrepareExcludes() {
  for (const auto& ex : opts_.exclude_paths) {
    if (ex.empty()) continue;
    std::string real = RealPath(ex);
    excluded_real_.push_back(real.empty() ? LexicalAbsolute(ex) : real);
    struct stat st;
    if (::stat(ex.c_str(), &st) == 0) excluded_ids_.insert(IdOf(st));
  }
}

bool Walker::GlobExcluded(const std::string& path, const std::string& name) const {
  for (const auto& g : opts_.exclude_globs) {
    if (::fnmatch(g.c_str(), path.c_str(), 0) == 0 || ::fnmatch(g.c_str(), name.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

bool Walker::ExcludedCanonical(const std::string& real) const {
  for (const auto& ex : excluded_real_) {
    if (IsAtOrBelow(real, ex)) return true;
  }
  return false;
}

bool Walker::InsideRoots(const std::string& real) const {
  for (const auto& r : roots_) {
    if (IsAtOrBelow(real, r.real)) return true;
  }
  return false;
}

Status Walker::Run(const std::vector<std::string>& roots) {
  PrepareExcludes();
  std::vector<DirTask> dir_roots;
  int file_roots = 0;
  for (const auto& given : roots) {
    std::string display = given;
    while (display.size() > 1 && display.back() == '/') display.pop_back();
    if (display.empty()) {
      v_.OnError(given, "empty root path");
      continue;
    }
    struct stat st;  // roots are followed: the user named them
    if (::stat(display.c_str(), &st) != 0) {
      v_.OnError(display, "stat: " + Errno(errno));
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      Entry e;
      e.path = display;
      e.type = TypeOf(st.st_mode);
      e.st = st;
      e.depth = 0;
      struct stat lst;
      if (::lstat(display.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
        e.real_path = RealPath(display);
      }
      v_.OnEntry(e);
      ++file_roots;
      roots_.push_back({display, RealPath(display), st.st_dev, {}});
      continue;
    }
    if (!root_ids_.insert(IdOf(st)).second) {
      v_.OnSkip(display, "duplicate root");
      ++file_roots;  // it was opened, as the earlier root
      continue;
    }
    RootInfo info;
    info.display = display;
    info.real = RealPath(display);
    if (info.real.empty()) info.real = LexicalAbsolute(display);
    info.dev = st.st_dev;
    for (const auto& ex : excluded_real_) {
      if (ex == info.real || !IsAtOrBelow(ex, info.real)) continue;  // roots are exempt
      std::string suffix = info.real == "/" ? ex : ex.substr(info.real.size());
      info.excluded_display.insert((display == "/" ? std::string() : display) + suffix);
    }
    DirTask t;
    t.path = display;
    t.depth = 0;
    t.expect = IdOf(st);
    t.via_link = true;
    t.root = roots_.size();
    roots_.push_back(std::move(info));
    dir_roots.push_back(std::move(t));
  }

  if (!dir_roots.empty()) {
    // More threads than cores can pay off for a walk (it waits on the disk),
    // so lift oneTBB's default cap (cores) for the duration of the walk.
    std::unique_ptr<tbb::global_control> lift;
    if (opts_.threads > tbb::info::default_concurrency()) {
      lift = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                   static_cast<std::size_t>(opts_.threads));
    }
    tbb::task_arena arena(opts_.threads > 0 ? opts_.threads : tbb::task_arena::automatic);
    std::exception_ptr failure;
    arena.execute([&] {
      tbb::task_group tg;
      tg_ = &tg;
      try {
        for (auto& t : dir_roots) Spawn(std::move(t));
        tg.wait();
      } catch (...) {
        failure = std::current_exception();
        tg.cancel();
        try {
          tg.wait();
        } catch (...) {
        }
      }
      tg_ = nullptr;
    });
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        return Status::Error(std::string("walk aborted: ") + e.what());
      } catch (...) {
        return Status::Error("walk aborted: unknown exception");
      }
    }
  }
  if (file_roots == 0 && roots_opened_ == 0 && !StopRequested()) {
    return Status::Error(roots.empty() ? "no root to walk" : "no root could be opened");
  }
  return Status::Ok();
}

// Opens t's directory: by path for a root, else component by component from
// the retained anchor (openat, O_NOFOLLOW unless the component is a followed
// link, each intermediate checked against the (device, inode) the walk saw),
// so no path is ever longer than one name, and nothing renamed or swapped
// for a symlink above the directory since it was listed is followed. The
// last component is checked by the caller (t.expect). -1 with *err set.
int Walker::OpenDir(const DirTask& t, std::string* err) const {
  const int base = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY;
  if (!t.anchor) {
    int fd = OpenAtNoatime(AT_FDCWD, t.path.c_str(), base | (t.via_link ? 0 : O_NOFOLLOW));
    if (fd < 0) *err = "open directory: " + Errno(errno);
    return fd;
  }
  int cur = t.anchor->fd.get().fd;
  UniqueFd held;  // the intermediate directory open now
  for (std::size_t i = 0; i < t.steps.size(); ++i) {
    const Step& s = t.steps[i];
    int fd = OpenAtNoatime(cur, s.name.c_str(), base | (s.follow ? 0 : O_NOFOLLOW));
    if (fd < 0) {
      *err = "open directory: " + Errno(errno);
      return -1;
    }
    UniqueFd next = AdoptFd(fd);
    if (i + 1 < t.steps.size()) {
      struct stat st;
      if (::fstat(fd, &st) != 0 || IdOf(st) != s.id) {
        *err = "directory replaced during the walk (not descended)";
        return -1;
      }
    }
    held = std::move(next);
    cur = fd;
  }
  return held.release().fd;
}

void Walker::ProcessDir(DirTask& t) {
  if (StopRequested()) return;  // a stopped scan opens no more directories
  std::string open_err;
  int fd = OpenDir(t, &open_err);
  if (fd < 0) {
    v_.OnError(t.path, open_err);
    return;
  }
  UniqueFd own = AdoptFd(fd);
  Entry self_entry;
  self_entry.path = t.path;
  self_entry.type = EntryType::kDirectory;
  self_entry.depth = t.depth;
  if (::fstat(fd, &self_entry.st) != 0) {
    v_.OnError(t.path, "fstat directory: " + Errno(errno));
    return;
  }
  if (IdOf(self_entry.st) != t.expect) {
    v_.OnError(t.path, "directory replaced during the walk (not descended)");
    return;
  }
  if (t.depth == 0) ++roots_opened_;
  if (opts_.follow_symlinks && !t.via_link) MarkVisited(t.expect);
  if (opts_.follow_symlinks && t.depth == 0) MarkVisited(t.expect);
  v_.OnDirectory(self_entry);

  std::vector<std::string> names;
  if (int err = ListNames(fd, names); err != 0) {
    v_.OnError(t.path, "read directory: " + Errno(err));
  }
  auto self = std::make_shared<SharedDir>(std::move(own), &live_fds_);
  // The entries of one directory are shared among the threads too (work
  // stealing splits the range on demand): a flat folder of large files (a
  // software share, Downloads, winevt/Logs, a log archive) must not run on
  // one core. The wait is isolated, and subdirectories are spawned only
  // after it: a thread waiting here runs only this directory's entries, never
  // another directory's task inside this one (which would nest without bound
  // and hold a descriptor per level). Each piece computes its own canonical
  // path of the directory (follow_symlinks only) rather than sharing one.
  Children children;
  if (names.size() < 2) {
    std::string dir_real;
    for (const auto& name : names) ProcessName(self, t, name, &dir_real, children);
  } else {
    tbb::this_task_arena::isolate([&] {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, names.size()),
                        [&](const tbb::blocked_range<std::size_t>& r) {
                          std::string dir_real;  // computed on demand
                          for (std::size_t i = r.begin(); i != r.end(); ++i)
                            ProcessName(self, t, names[i], &dir_real, children);
                        });
    });
  }
  for (DirTask& c : children.tasks) Spawn(std::move(c));
}

void Walker::ProcessName(const std::shared_ptr<SharedDir>& self, const DirTask& t,
                         const std::string& name, std::string* dir_real, Children& children) {
  if (StopRequested()) return;  // nor visits more entries
  std::string path = Join(t.path, name);
  const RootInfo& root = roots_[t.root];
  if (GlobExcluded(path, name) || root.excluded_display.count(path) != 0) {
    v_.OnSkip(path, "excluded");
    return;
  }
  struct stat st;
  const int dfd = self->fd.get().fd;
  if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) != 0) {
    v_.OnError(path, "stat: " + Errno(errno));
    return;
  }
  if (excluded_ids_.count(IdOf(st)) != 0) {
    v_.OnSkip(path, "excluded");
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    if (opts_.one_filesystem && st.st_dev != root.dev) {
      v_.OnSkip(path, "other filesystem");
      return;
    }
    if (root_ids_.count(IdOf(st)) != 0) {
      v_.OnSkip(path, "walked as its own root");
      return;
    }
    DirTask c;
    c.path = std::move(path);
    Anchor(self, t, {name, IdOf(st), false}, c);
    c.depth = t.depth + 1;
    c.expect = IdOf(st);
    c.root = t.root;
    children.Add(std::move(c));
    return;
  }
  if (S_ISLNK(st.st_mode) && opts_.follow_symlinks) {
    FollowLink(self, t, name, path, st, dir_real, children);
    return;
  }
  Entry e;
  e.path = std::move(path);
  e.type = TypeOf(st.st_mode);
  e.st = st;
  e.depth = t.depth + 1;
  e.dir_fd = dfd;  // `self` keeps it open until this returns
  e.name = name;
  v_.OnEntry(e);
}

void Walker::FollowLink(const std::shared_ptr<SharedDir>& self, const DirTask& t,
                        const std::string& name, const std::string& path, const struct stat& lst,
                        std::string* dir_real, Children& children) {
  const int depth = t.depth + 1;
  struct stat tst;
  std::string real;
  if (::fstatat(self->fd.get().fd, name.c_str(), &tst, AT_NO_AUTOMOUNT) != 0 ||
      (real = RealPath(path)).empty()) {
    const int err = errno;
    if (err == ELOOP) {
      ReportLink(path, lst, depth, "symlink loop");
    } else if (err == ENOENT || err == ENOTDIR) {
      ReportLink(path, lst, depth, "broken symlink");
    } else {
      ReportLink(path, lst, depth, "symlink target unreadable");
      v_.OnError(path, "stat symlink target: " + Errno(err));
    }
    return;
  }
  if (!InsideRoots(real)) {
    ReportLink(path, lst, depth, "symlink outside root");
    return;
  }
  if (ExcludedCanonical(real) || excluded_ids_.count(IdOf(tst)) != 0) {
    ReportLink(path, lst, depth, "excluded");
    return;
  }
  if (!S_ISDIR(tst.st_mode)) {
    Entry e;
    e.path = path;
    e.type = TypeOf(tst.st_mode);
    e.st = tst;
    e.depth = depth;
    e.real_path = std::move(real);
    v_.OnEntry(e);
    return;
  }
  if (opts_.one_filesystem && tst.st_dev != roots_[t.root].dev) {
    ReportLink(path, lst, depth, "other filesystem");
    return;
  }
  if (dir_real->empty()) *dir_real = RealPath(t.path);
  if (!dir_real->empty() && IsAtOrBelow(*dir_real, real)) {
    ReportLink(path, lst, depth, "symlink loop");  // target is this dir or an ancestor
    return;
  }
  if (!MarkVisited(IdOf(tst))) {
    ReportLink(path, lst, depth, "already visited");
    return;
  }
  DirTask c;
  c.path = path;
  Anchor(self, t, {name, IdOf(tst), true}, c);
  c.depth = depth;
  c.expect = IdOf(tst);
  c.via_link = true;
  c.root = t.root;
  children.Add(std::move(c));
}

}  // namespace

const char* EntryTypeName(EntryType t) {
  switch (t) {
    case EntryType::kRegular:
      return "regular";
    case EntryType::kDirectory:
      return "directory";
    case EntryType::kSymlink:
      return "symlink";
    case EntryType::kFifo:
      return "fifo";
    case EntryType::kSocket:
      return "socket";
    case EntryType::kCharDevice:
      return "char device";
    case EntryType::kBlockDevice:
      return "block device";
    case EntryType::kOther:
      return "other";
  }
  return "other";
}

EntryType TypeOf(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return EntryType::kRegular;
    case S_IFDIR:
      return EntryType::kDirectory;
    case S_IFLNK:
      return EntryType::kSymlink;
    case S_IFIFO:
      return EntryType::kFifo;
    case S_IFSOCK:
      return EntryType::kSocket;
    case S_IFCHR:
      return EntryType::kCharDevice;
    case S_IFBLK:
      return EntryType::kBlockDevice;
    default:
      return EntryType::kOther;
  }
}

Status Walk(const std::vector<std::string>& roots, const Options& opts, Visitor& visitor) {
  Walker w(opts, visitor);
  return w.Run(roots);
}

}  // namespace trawl::walk
