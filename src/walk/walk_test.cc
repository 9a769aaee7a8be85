#include "trawl/walk/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <map>
#include <mutex>
#include <set>

#include "trawl/testsupport/deep_dir.h"
#include "trawl/testsupport/temp_dir.h"
#include "trawl/core/stop.h"

namespace trawl::walk {
namespace {

namespace fs = std::filesystem;

struct Collector : Visitor {
  void OnEntry(const Entry& e) override {
    std::lock_guard<std::mutex> l(mu);
    entries[e.path].push_back(e);
    names[e.path] = std::string(e.name);  // e.name is valid only during OnEntry
  }
  void OnDirectory(const Entry& e) override {
    std::lock_guard<std::mutex> l(mu);
    dirs[e.path]++;
    if (on_dir) on_dir();
  }
  void OnSkip(const std::string& p, const std::string& r) override {
    std::lock_guard<std::mutex> l(mu);
    skips[p].push_back(r);
  }
  void OnError(const std::string& p, const std::string& m) override {
    std::lock_guard<std::mutex> l(mu);
    errors[p].push_back(m);
  }
  // path -> type, asserting each path came exactly once.
  std::map<std::string, EntryType> Types() const {
    std::map<std::string, EntryType> out;
    for (const auto& [p, v] : entries) {
      EXPECT_EQ(v.size(), 1u) << "entry reported " << v.size() << " times: " << p;
      out[p] = v.front().type;
    }
    return out;
  }

  std::mutex mu;
  std::map<std::string, std::vector<Entry>> entries;  // Entry::name and dir_fd: dangling after
  std::map<std::string, std::string> names;           // the entry's name as OnEntry saw it
  std::map<std::string, int> dirs;
  std::map<std::string, std::vector<std::string>> skips;
  std::map<std::string, std::vector<std::string>> errors;
  std::function<void()> on_dir;
};

// Runs Walk, failing loudly instead of hanging if it never returns.
Status WalkWithTimeout(const std::vector<std::string>& roots, const Options& o, Collector& c) {
  auto fut = std::async(std::launch::async, [&] { return Walk(roots, o, c); });
  if (fut.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "Walk did not terminate";
    std::abort();
  }
  return fut.get();
}

void WriteFile(const std::string& p, const std::string& content = "x") {
  std::ofstream(p, std::ios::binary) << content;
}

class WalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = tmp_.path();
    ASSERT_FALSE(base_.empty());
    ASSERT_EQ(chmod(base_.c_str(), 0755), 0);
    root_ = base_ + "/root";
    fs::create_directories(root_ + "/a/b/c");
    fs::create_directories(root_ + "/empty");
    fs::create_directories(root_ + "/skipme");
    fs::create_directories(root_ + "/pruned");
    fs::create_directories(base_ + "/outside/dir");
    WriteFile(base_ + "/outside/outside.txt");
    WriteFile(root_ + "/a/file1", "file one");
    WriteFile(root_ + "/a/b/c/deep.txt");
    WriteFile(root_ + "/skipme/inner.txt");
    WriteFile(root_ + "/pruned/p.txt");
    WriteFile(root_ + "/x.tmp");
    WriteFile(root_ + "/" + kNewline);
    WriteFile(root_ + "/" + kEscape);
    WriteFile(root_ + "/" + kInvalidUtf8);
    ASSERT_EQ(mkfifo((root_ + "/fifo").c_str(), 0644), 0);
    MakeSocket(root_ + "/sock");
    if (mknod((root_ + "/zero").c_str(), S_IFCHR | 0666, makedev(1, 5)) != 0) {
      ASSERT_EQ(errno, EPERM) << strerror(errno);
      GTEST_SKIP() << "mknod of a char device gave EPERM: these tests must run as root "
                      "(CAP_MKNOD) to prove the walk never opens devices";
    }
    ASSERT_EQ(symlink("..", (root_ + "/a/up").c_str()), 0);
    ASSERT_EQ(symlink("self", (root_ + "/self").c_str()), 0);
    ASSERT_EQ(symlink("../outside/outside.txt", (root_ + "/out_file").c_str()), 0);
    ASSERT_EQ(symlink((base_ + "/outside/dir").c_str(), (root_ + "/out_dir").c_str()), 0);
    ASSERT_EQ(symlink("a/file1", (root_ + "/link_file").c_str()), 0);
    ASSERT_EQ(symlink(root_.c_str(), (base_ + "/alias").c_str()), 0);
  }
  void TearDown() override {
    for (const auto& m : mounts_) umount2(m.c_str(), MNT_DETACH);
  }

  static void MakeSocket(const std::string& p) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(s, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(p.size(), sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    close(s);
  }

  Options Opts(int threads = 2) const {
    Options o;
    o.exclude_globs = {"skipme", "*.tmp"};
    // Spelled through a symlinked alias: compared after canonicalisation.
    o.exclude_paths = {base_ + "/alias/pruned"};
    o.threads = threads;
    return o;
  }

  // Everything below root_ that the walk must report as an entry without
  // following symlinks.
  std::map<std::string, EntryType> ExpectedNoFollow() const {
    return {
        {root_ + "/a/file1", EntryType::kRegular},
        {root_ + "/a/b/c/deep.txt", EntryType::kRegular},
        {root_ + "/a/up", EntryType::kSymlink},
        {root_ + "/fifo", EntryType::kFifo},
        {root_ + "/sock", EntryType::kSocket},
        {root_ + "/zero", EntryType::kCharDevice},
        {root_ + "/self", EntryType::kSymlink},
        {root_ + "/out_file", EntryType::kSymlink},
        {root_ + "/out_dir", EntryType::kSymlink},
        {root_ + "/link_file", EntryType::kSymlink},
        {root_ + "/" + kNewline, EntryType::kRegular},
        {root_ + "/" + kEscape, EntryType::kRegular},
        {root_ + "/" + kInvalidUtf8, EntryType::kRegular},
    };
  }
  std::map<std::string, int> ExpectedDirs() const {
    return {{root_, 1},
            {root_ + "/a", 1},
            {root_ + "/a/b", 1},
            {root_ + "/a/b/c", 1},
            {root_ + "/empty", 1}};
  }
  std::map<std::string, std::vector<std::string>> ExpectedExcluded() const {
    return {{root_ + "/skipme", {"excluded"}},
            {root_ + "/x.tmp", {"excluded"}},
            {root_ + "/pruned", {"excluded"}}};
  }

  static inline const std::string kNewline = "new\nline.txt";
  static inline const std::string kEscape = "esc\x1b]0;pwned\x07\x1b[31mred";
  static inline const std::string kInvalidUtf8 = "bad\xff\xfe.bin";
  testsupport::TempDir tmp_{"trawl-walk-test"};  // removed after TearDown's unmounts
  std::string base_, root_;
  std::vector<std::string> mounts_;
};

TEST_F(WalkTest, VisitsEveryEntryOnceWithItsTypeWithoutFollowing) {
  for (int threads : {1, 2, 8}) {
    SCOPED_TRACE(testing::Message() << "threads=" << threads);
    Collector c;
    Status s = WalkWithTimeout({root_}, Opts(threads), c);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(c.Types(), ExpectedNoFollow());
    EXPECT_EQ(c.dirs, ExpectedDirs());
    EXPECT_EQ(c.skips, ExpectedExcluded());
    EXPECT_TRUE(c.errors.empty()) << c.errors.begin()->first;
    // lstat-style: a symlink's own stat, depth counted from the root.
    const Entry& link = c.entries[root_ + "/link_file"].front();
    EXPECT_TRUE(S_ISLNK(link.st.st_mode));
    EXPECT_TRUE(link.real_path.empty());
    EXPECT_EQ(link.depth, 1);
    EXPECT_EQ(c.entries[root_ + "/a/b/c/deep.txt"].front().depth, 4);
    EXPECT_EQ(c.entries[root_ + "/a/file1"].front().st.st_size, 8);
  }
}

TEST_F(WalkTest, FollowDetectsLoopsAndStaysInsideTheRoot) {
  Options o = Opts();
  o.follow_symlinks = true;
  Collector c;
  Status s = WalkWithTimeout({root_}, o, c);
  ASSERT_TRUE(s.ok()) << s.message();
  auto want = ExpectedNoFollow();
  want[root_ + "/link_file"] = EntryType::kRegular;  // followed: the target's type
  EXPECT_EQ(c.Types(), want);
  EXPECT_EQ(c.dirs, ExpectedDirs());
  auto skips = ExpectedExcluded();
  skips[root_ + "/a/up"] = {"symlink loop"};
  skips[root_ + "/self"] = {"symlink loop"};
  skips[root_ + "/out_file"] = {"symlink outside root"};
  skips[root_ + "/out_dir"] = {"symlink outside root"};
  EXPECT_EQ(c.skips, skips);
  EXPECT_TRUE(c.errors.empty());
  const Entry& lf = c.entries[root_ + "/link_file"].front();
  EXPECT_EQ(lf.real_path, fs::canonical(root_ + "/a/file1").string());
  EXPECT_EQ(lf.st.st_ino, c.entries[root_ + "/a/file1"].front().st.st_ino);
  EXPECT_EQ(lf.st.st_size, 8);
}

TEST_F(WalkTest, FollowBoundsLinkBombs) {
  // d0..d15, each holding two links to the next: 2^16 paths if every link
  // were followed blindly; each directory must be entered at most twice
  // (once really, at most once through a link).
  const std::string bomb = base_ + "/bomb";
  const int n = 16;
  for (int i = 0; i < n; ++i) {
    std::string d = bomb + "/d" + std::to_string(i);
    fs::create_directories(d);
    WriteFile(d + "/f.txt");
    if (i + 1 < n) {
      std::string next = "../d" + std::to_string(i + 1);
      ASSERT_EQ(symlink(next.c_str(), (d + "/x").c_str()), 0);
      ASSERT_EQ(symlink(next.c_str(), (d + "/y").c_str()), 0);
    }
  }
  Options o;
  o.follow_symlinks = true;
  Collector c;
  ASSERT_TRUE(WalkWithTimeout({bomb}, o, c).ok());
  int files = 0;
  for (const auto& [p, v] : c.entries) {
    if (fs::path(p).filename() == "f.txt") files += static_cast<int>(v.size());
  }
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(c.entries[bomb + "/d" + std::to_string(i) + "/f.txt"].size(), 1u) << i;
  }
  EXPECT_LE(files, 2 * n);
  EXPECT_LE(c.dirs.size(), static_cast<std::size_t>(2 * n + 1));
  EXPECT_TRUE(c.errors.empty());
}

TEST_F(WalkTest, ExcludePathsPruneByCanonicalPathFromAnAliasedRoot) {
  // Root given through a symlink and with a trailing slash; exclude given
  // by its real spelling plus one that names a file.
  Options o;
  o.exclude_paths = {root_ + "/pruned", root_ + "/a/file1", "/nonexistent/ignored"};
  Collector c;
  ASSERT_TRUE(WalkWithTimeout({base_ + "/alias/"}, o, c).ok());
  const std::string r = base_ + "/alias";
  EXPECT_EQ(c.skips[r + "/pruned"], std::vector<std::string>{"excluded"});
  EXPECT_EQ(c.skips[r + "/a/file1"], std::vector<std::string>{"excluded"});
  EXPECT_EQ(c.entries.count(r + "/pruned/p.txt"), 0u);
  EXPECT_EQ(c.entries.count(r + "/a/file1"), 0u);
  EXPECT_EQ(c.entries.count(r + "/a/b/c/deep.txt"), 1u);
  EXPECT_EQ(c.entries.count(r + "/skipme/inner.txt"), 1u);  // no globs this time
  EXPECT_EQ(c.dirs.count(r), 1u);

  // The defaults and their meaning: /proc, /sys, /dev pruned when reached.
  EXPECT_EQ(Options().exclude_paths, (std::vector<std::string>{"/proc", "/sys", "/dev"}));
  Collector d;
  ASSERT_TRUE(WalkWithTimeout(
                  {"/dev/.."},
                  [] {
                    Options x;
                    x.exclude_globs = {"/dev/../[!dps]*", "/dev/../s[!y]*", "/dev/../p[!r]*"};
                    return x;
                  }(),
                  d)
                  .ok());
  EXPECT_EQ(d.skips["/dev/../dev"], std::vector<std::string>{"excluded"});
  EXPECT_EQ(d.skips["/dev/../proc"], std::vector<std::string>{"excluded"});
  EXPECT_EQ(d.skips["/dev/../sys"], std::vector<std::string>{"excluded"});
  for (const auto& [p, v] : d.entries) {
    EXPECT_FALSE(p.rfind("/dev/../proc/", 0) == 0 || p.rfind("/dev/../dev/", 0) == 0) << p;
  }
}

TEST_F(WalkTest, RootsMayBeFilesAndOnlyAllRootsFailingIsAnError) {
  Collector c;
  Status s = WalkWithTimeout(
      {root_ + "/fifo", root_ + "/a/file1", base_ + "/missing", root_ + "/link_file"}, Options(),
      c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.Types(), (std::map<std::string, EntryType>{
                           {root_ + "/fifo", EntryType::kFifo},
                           {root_ + "/a/file1", EntryType::kRegular},
                           {root_ + "/link_file", EntryType::kRegular},
                       }));
  EXPECT_EQ(c.entries[root_ + "/link_file"].front().real_path,
            fs::canonical(root_ + "/a/file1").string());
  EXPECT_EQ(c.entries[root_ + "/fifo"].front().depth, 0);
  ASSERT_EQ(c.errors.count(base_ + "/missing"), 1u);
  EXPECT_NE(c.errors[base_ + "/missing"][0].find("No such file"), std::string::npos);

  Collector none;
  Status bad = WalkWithTimeout({base_ + "/missing", base_ + "/missing2"}, Options(), none);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(none.errors.size(), 2u);
  Collector empty;
  EXPECT_FALSE(WalkWithTimeout({}, Options(), empty).ok());

  // Nested and duplicate roots are not walked twice.
  Collector nested;
  ASSERT_TRUE(WalkWithTimeout({root_, root_ + "/a", root_ + "/"}, Opts(), nested).ok());
  nested.Types();  // asserts exactly once each
  EXPECT_EQ(nested.skips[root_ + "/a"], std::vector<std::string>{"walked as its own root"});
  EXPECT_EQ(nested.skips[root_], std::vector<std::string>{"duplicate root"});
}

TEST_F(WalkTest, OneFilesystemStopsAtMountPoints) {
  const std::string mnt = root_ + "/mnt";
  fs::create_directories(mnt);
  if (mount("trawl-test", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) {
    ASSERT_EQ(errno, EPERM) << strerror(errno);
    GTEST_SKIP() << "mount(tmpfs) gave EPERM: needs root (CAP_SYS_ADMIN)";
  }
  mounts_.push_back(mnt);
  WriteFile(mnt + "/on_tmpfs.txt");
  for (bool one_fs : {false, true}) {
    Options o = Opts();
    o.one_filesystem = one_fs;
    Collector c;
    ASSERT_TRUE(WalkWithTimeout({root_}, o, c).ok());
    EXPECT_EQ(c.entries.count(mnt + "/on_tmpfs.txt"), one_fs ? 0u : 1u);
    if (one_fs) {
      EXPECT_EQ(c.skips[mnt], std::vector<std::string>{"other filesystem"});
    } else {
      EXPECT_EQ(c.skips.count(mnt), 0u);
    }
    EXPECT_EQ(c.entries.count(root_ + "/a/file1"), 1u);
  }
}

TEST_F(WalkTest, UnreadableDirectoryIsAnErrorAndTheWalkGoesOn) {
  // Root reads everything, so the walk runs as 'nobody' in another process.
  const std::string tree = base_ + "/perm";
  fs::create_directories(tree + "/open");
  fs::create_directories(tree + "/locked/inner");
  WriteFile(tree + "/open/f.txt");
  WriteFile(tree + "/locked/secret.txt");
  ASSERT_EQ(chmod((tree + "/locked").c_str(), 0700), 0);
  const std::string probe = base_ + "/walk_probe";
  fs::copy_file(TRAWL_WALK_PROBE, probe);
  ASSERT_EQ(chmod(probe.c_str(), 0755), 0);
  const std::string cmd =
      "setpriv --reuid=nobody --regid=nogroup --clear-groups " + probe + " " + tree + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = pclose(p);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("E\tregular\t" + tree + "/open/f.txt\n"), std::string::npos) << out;
  EXPECT_NE(out.find("X\t" + tree + "/locked\topen directory: Permission denied\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("secret"), std::string::npos) << out;
  EXPECT_NE(out.find("D\t" + tree + "/open\n"), std::string::npos) << out;
}

TEST_F(WalkTest, BoundedDirectoryDescriptorsOnDeepTrees) {
  // 100 levels, each with four side branches: a depth-first walk (one
  // thread, nothing stolen) keeping every ancestor with pending children
  // open would need ~80 descriptors; the soft limit is cut to 64.
  const std::string deep = base_ + "/deep";
  std::string d = deep;
  const int levels = 100;
  for (int i = 0; i < levels; ++i) {
    for (const char* side : {"/s1", "/s2", "/s3", "/s4"}) {
      fs::create_directories(d + side);
      WriteFile(d + side + "/f");
    }
    d += "/n";
  }
  fs::create_directories(d);
  WriteFile(d + "/bottom");
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  struct rlimit low = old;
  low.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  Collector c;
  int max_fds = 0;
  c.on_dir = [&] {  // called under c.mu
    int n = 0;
    if (DIR* dir = opendir("/proc/self/fd")) {
      while (readdir(dir)) ++n;
      closedir(dir);
    }
    max_fds = std::max(max_fds, n);
  };
  Options o;
  o.threads = 1;
  Status s = WalkWithTimeout({deep}, o, c);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(c.errors.empty()) << c.errors.begin()->first << ": "
                                << c.errors.begin()->second.front();
  EXPECT_EQ(c.entries.size(), static_cast<std::size_t>(4 * levels + 1));
  EXPECT_EQ(c.entries.count(d + "/bottom"), 1u);
  EXPECT_LT(max_fds, 64);
}

// Regression: the entries of one directory were visited one after the other
// by one thread, so a flat folder of large files (59 archives of a software
// share: 6.6 s with 1 thread and with 2) used one core. They are shared
// among the threads now; a visitor that takes a while per entry sees two at
// once.
struct SlowCollector : Collector {
  void OnEntry(const Entry& e) override {
    const int now = active.fetch_add(1) + 1;
    for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    active.fetch_sub(1);
    Collector::OnEntry(e);
  }
  std::atomic<int> active{0}, most{0};
};

TEST_F(WalkTest, EntriesOfOneDirectoryAreSharedAmongTheThreads) {
  fs::create_directories(root_ + "/flat");
  for (int i = 0; i < 24; ++i) WriteFile(root_ + "/flat/f" + std::to_string(i));
  for (int threads : {1, 2}) {
    SlowCollector c;
    Options o;
    o.threads = threads;
    ASSERT_TRUE(WalkWithTimeout({root_ + "/flat"}, o, c).ok());
    EXPECT_EQ(c.entries.size(), 24u);
    if (threads == 1) {
      EXPECT_EQ(c.most.load(), 1);
    } else {
      EXPECT_GE(c.most.load(), 2) << "one directory's entries ran on one thread";
    }
  }
}

// Regression (issue 10): past its descriptor budget the walk opened
// directories by full path, so a tree deeper than PATH_MAX was cut short
// ("open directory: File name too long") once the budget was spent. Now a
// child opens from a retained ancestor, one name at a time: with a budget of
// one descriptor, 30 levels of 200-byte names (past PATH_MAX), each level
// with two side branches, are all walked.
TEST_F(WalkTest, TreeDeeperThanPathMaxAndTheBudgetIsWalkedCompletely) {
  const std::string deep = base_ + "/deep";
  ASSERT_EQ(mkdir(deep.c_str(), 0755), 0);
  const int levels = 30;
  testsupport::DeepDir chain(deep, levels, std::string(200, 'n'), [](int fd, int) {
    for (const char* side : {"s1", "s2"}) testsupport::WriteAt(fd, std::string(side) + "/f", "x");
  });
  ASSERT_GT(chain.path().size(), static_cast<std::size_t>(PATH_MAX));
  chain.Write("bottom", "end");
  for (int budget : {1, 2}) {
    for (int threads : {1, 2}) {
      Collector c;
      Options o;
      o.threads = threads;
      o.dir_fd_budget = budget;
      ASSERT_TRUE(WalkWithTimeout({deep}, o, c).ok());
      EXPECT_TRUE(c.errors.empty()) << c.errors.begin()->second.front();
      EXPECT_EQ(c.entries.size(), static_cast<std::size_t>(2 * levels + 1))
          << "budget " << budget << ", threads " << threads;
      EXPECT_EQ(c.entries.count(chain.path() + "/bottom"), 1u);
      EXPECT_EQ(c.dirs.size(), static_cast<std::size_t>(1 + 3 * levels));
      // Every file can be opened from the directory the walk handed over.
      auto it = c.entries.find(chain.path() + "/bottom");
      ASSERT_NE(it, c.entries.end());
      EXPECT_EQ(c.names[chain.path() + "/bottom"], "bottom");
    }
  }
}

// Past the budget, a directory is reached through the names above it: one
// swapped for a symlink after it was listed (here to the very directory it
// was, so device and inode below still match) is not followed, and what lies
// below is an error record, not walked.
TEST_F(WalkTest, SymlinkSwappedAboveADirectoryStillToBeEnteredIsNotFollowed) {
  const std::string top = base_ + "/swap";
  fs::create_directories(top + "/A/B/C1");
  fs::create_directories(top + "/A/B/C2");
  WriteFile(top + "/A/B/C1/f");
  WriteFile(top + "/A/B/C2/f");
  WriteFile(top + "/A/B/direct");
  Collector c;
  bool swapped = false;
  c.on_dir = [&] {  // under c.mu
    if (swapped || c.dirs.count(top + "/A/B") == 0) return;
    swapped = true;
    ASSERT_EQ(rename((top + "/A").c_str(), (top + "/A.moved").c_str()), 0);
    ASSERT_EQ(symlink("A.moved", (top + "/A").c_str()), 0);
  };
  Options o;
  o.threads = 1;
  o.dir_fd_budget = 1;  // only the root is retained: C1 and C2 open through A
  ASSERT_TRUE(WalkWithTimeout({top}, o, c).ok());
  ASSERT_TRUE(swapped);
  EXPECT_EQ(c.entries.count(top + "/A/B/direct"), 1u);  // listed from B's own descriptor
  EXPECT_EQ(c.entries.count(top + "/A/B/C1/f"), 0u);
  EXPECT_EQ(c.entries.count(top + "/A/B/C2/f"), 0u);
  ASSERT_EQ(c.errors.count(top + "/A/B/C1"), 1u);
  EXPECT_NE(c.errors[top + "/A/B/C1"].front().find("open directory"), std::string::npos);
  EXPECT_EQ(c.errors.count(top + "/A/B/C2"), 1u);
  EXPECT_EQ(c.dirs.count(top + "/A.moved"), 0u);
}

// --follow needs a link target's canonical path to keep the walk inside the
// roots; past PATH_MAX there is none, so the link is reported, not followed.
TEST_F(WalkTest, FollowDoesNotFollowALinkDeeperThanPathMax) {
  const std::string deep = base_ + "/deeplink";
  ASSERT_EQ(mkdir(deep.c_str(), 0755), 0);
  testsupport::DeepDir chain(deep, 22);
  chain.Write("target", "t");
  ASSERT_EQ(symlinkat("target", chain.fd(), "link"), 0);
  ASSERT_GT(chain.path().size(), static_cast<std::size_t>(PATH_MAX));
  Collector c;
  Options o;
  o.follow_symlinks = true;
  ASSERT_TRUE(WalkWithTimeout({deep}, o, c).ok());
  const std::string link = chain.path() + "/link";
  ASSERT_EQ(c.entries.count(link), 1u);
  EXPECT_EQ(c.entries[link].front().type, EntryType::kSymlink);
  EXPECT_EQ(c.skips[link], std::vector<std::string>{"symlink target unreadable"});
  EXPECT_EQ(c.errors.count(link), 1u);
  EXPECT_EQ(c.entries.count(chain.path() + "/target"), 1u);
}

// A stop request (SIGINT/SIGTERM) ends the walk early, without an error:
// the visitor asks for it after the third entry and sees few more.
TEST_F(WalkTest, StopRequestEndsTheWalkEarlyAndCleanly) {
  for (int i = 0; i < 2000; ++i) WriteFile(root_ + "/a/many" + std::to_string(i));
  Collector all;
  Options o;
  o.threads = 2;
  ASSERT_TRUE(WalkWithTimeout({root_}, o, all).ok());
  ASSERT_GT(all.entries.size(), 2000u);

  struct Stopper : Collector {
    void OnEntry(const Entry& e) override {
      Collector::OnEntry(e);
      if (++seen == 3) ProcessStop().Request(2);
    }
    std::atomic<int> seen{0};
  } stopper;
  ProcessStop().Reset();
  Status st = WalkWithTimeout({root_}, o, stopper);
  ProcessStop().Reset();
  EXPECT_TRUE(st.ok()) << st.message();
  // Entries already being visited by the other worker may still arrive.
  EXPECT_LT(stopper.entries.size(), 20u);
  EXPECT_GE(stopper.entries.size(), 3u);
}

// Stopped before it began (a signal during indicator loading): no entry, no
// error, and no "no root could be opened".
TEST_F(WalkTest, StopBeforeTheWalkVisitsNothing) {
  Collector c;
  ProcessStop().Reset();
  ProcessStop().Request(15);
  Status st = WalkWithTimeout({root_}, {}, c);
  ProcessStop().Reset();
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(c.entries.empty());
  EXPECT_TRUE(c.errors.empty());
}

TEST(WalkTypes, Names) {
  EXPECT_STREQ(EntryTypeName(TypeOf(S_IFIFO)), "fifo");
  EXPECT_STREQ(EntryTypeName(TypeOf(S_IFCHR)), "char device");
  EXPECT_EQ(TypeOf(S_IFLNK), EntryType::kSymlink);
}

}  // namespace
}  // namespace trawl::walk
