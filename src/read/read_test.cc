#include "trawl/read/read.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "trawl/testsupport/temp_dir.h"

namespace trawl::read {
namespace {

namespace fs = std::filesystem;

class ReadTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.empty()); }

  std::string Write(const std::string& name, const std::string& content) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  static std::string Pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
  }

  testsupport::TempDir tmp_{"trawl-read-test"};
  std::string dir_ = tmp_.path();
};

// Runs Open in another thread and fails (instead of hanging forever) if it
// blocks: the point of several tests is that Open never blocks.
Result<File> OpenWithTimeout(const std::string& path) {
  auto fut = std::async(std::launch::async, [path] { return File::Open(path); });
  if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    ADD_FAILURE() << "File::Open blocked on " << path;
    std::abort();  // the blocked thread cannot be joined
  }
  return fut.get();
}

TEST_F(ReadTest, ReadKeepsAccessTime) {
  const std::string p = Write("evidence.bin", Pattern(100000));
  const struct timespec old_times[2] = {{978307200, 0}, {0, UTIME_OMIT}};  // atime 2001-01-01
  ASSERT_EQ(utimensat(AT_FDCWD, p.c_str(), old_times, 0), 0);

  // Control: a plain open+read does update atime here (relatime updates an
  // atime older than mtime). Without this the test below would prove nothing.
  {
    int fd = ::open(p.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    char b[4096];
    ASSERT_GT(::read(fd, b, sizeof b), 0);
    struct stat st;
    ASSERT_EQ(fstat(fd, &st), 0);
    ::close(fd);
    ASSERT_NE(st.st_atim.tv_sec, old_times[0].tv_sec)
        << "this file system never updates atime (noatime mount?), so the O_NOATIME check "
           "below cannot fail; run the test on a relatime/strictatime file system";
  }
  ASSERT_EQ(utimensat(AT_FDCWD, p.c_str(), old_times, 0), 0);

  auto f = File::Open(p);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_TRUE(f->noatime());  // tests run as root (or as the owner)
  std::vector<std::uint8_t> buf;
  auto r = ReadAll(*f, 1 << 20, buf);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->bytes, 100000u);
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_atim.tv_sec, old_times[0].tv_sec);
}

TEST_F(ReadTest, RefusesEverythingButRegularFilesWithoutBlocking) {
  const std::string target = Write("target.txt", "data");
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  const std::string link = dir_ + "/link";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  const std::string dangling = dir_ + "/dangling";
  ASSERT_EQ(symlink("/nonexistent/x", dangling.c_str()), 0);
  const std::string sub = dir_ + "/sub";
  ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);

  struct Case {
    std::string path;
    std::string error;  // expected substring
  };
  const Case cases[] = {
      {fifo, "not a regular file (fifo)"},
      {link, "is a symlink (not followed)"},
      {dangling, "is a symlink (not followed)"},
      {sub, "not a regular file (directory)"},
      {"/dev/null", "not a regular file (char device)"},
      {dir_ + "/missing", "No such file or directory"},
  };
  for (const auto& c : cases) {
    auto f = OpenWithTimeout(c.path);
    ASSERT_FALSE(f.ok()) << c.path;
    EXPECT_NE(f.status().message().find(c.error), std::string::npos) << f.status().message();
    EXPECT_EQ(f.status().message().rfind(c.path, 0), 0u) << "error must name the path";
  }
  auto ok = OpenWithTimeout(target);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE(S_ISREG(ok->st().st_mode));
  EXPECT_EQ(ok->st().st_size, 4);
  // O_NONBLOCK was cleared after the checks.
  EXPECT_EQ(fcntl(ok->fd(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(fcntl(ok->fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(ReadTest, LimitsChunksAndTruncation) {
  struct Case {
    std::size_t size;
    std::uint64_t limit;
    std::size_t chunk;
    bool truncated;
  };
  const Case cases[] = {
      {0, 100, 10, false},
      {10000, 4096, 1000, true},
      {4096, 4096, 1000, false},
      {4097, 4096, 4096, true},
      {10000, 1 << 20, 3, false},
      {10000, 0, 64, true},
      {123457, UINT64_MAX, 65536, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << "size=" << c.size << " limit=" << c.limit);
    const std::string content = Pattern(c.size);
    const std::string p = Write("f", content);
    auto f = File::Open(p);
    ASSERT_TRUE(f.ok()) << f.status().message();
    std::string got;
    std::size_t calls = 0;
    auto r = ReadChunks(*f, c.limit, c.chunk, [&](const std::uint8_t* d, std::size_t n) {
      EXPECT_GT(n, 0u);
      EXPECT_LE(n, c.chunk);
      got.append(reinterpret_cast<const char*>(d), n);
      ++calls;
    });
    ASSERT_TRUE(r.ok()) << r.status().message();
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(c.size, c.limit));
    EXPECT_EQ(r->bytes, want);
    EXPECT_EQ(got, content.substr(0, want));
    EXPECT_EQ(r->truncated, c.truncated);
    EXPECT_FALSE(r->changed);
    if (c.size == 0) {
      EXPECT_EQ(calls, 0u);
    }

    // ReadAll agrees, and reuses the buffer without shrinking it.
    std::vector<std::uint8_t> buf(1 << 16, 0xAA);
    const std::size_t cap = buf.capacity();
    auto a = ReadAll(*f, c.limit, buf);
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_EQ(a->bytes, want);
    EXPECT_EQ(a->truncated, c.truncated);
    EXPECT_EQ(std::string(buf.begin(), buf.end()), content.substr(0, want));
    EXPECT_GE(buf.capacity(), cap);
  }
}

TEST_F(ReadTest, FileGrowingWhileReadTerminatesAtLimit) {
  const std::string p = Write("growing.log", Pattern(1 << 20));
  auto f = File::Open(p);
  ASSERT_TRUE(f.ok()) << f.status().message();
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> appended{0};
  std::atomic<bool> go{false};
  std::thread writer([&] {
    int wfd = ::open(p.c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(wfd, 0);
    const std::string block = Pattern(4096);
    while (!go) std::this_thread::yield();
    while (!stop) {
      if (::write(wfd, block.data(), block.size()) > 0) appended += block.size();
    }
    ::close(wfd);
  });
  const std::uint64_t limit = 8u << 20;
  auto r = ReadChunks(*f, limit, 4096, [&](const std::uint8_t*, std::size_t) {
    go = true;
    // The first chunk waits until the file has really grown, so the change
    // is observed deterministically.
    while (appended == 0) std::this_thread::yield();
  });
  stop = true;
  writer.join();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GE(r->bytes, 1u << 20);
  EXPECT_LE(r->bytes, limit);
  EXPECT_TRUE(r->changed);
  if (r->bytes == limit) {
    EXPECT_TRUE(r->truncated);
  } else {
    EXPECT_FALSE(r->truncated);
  }
}

TEST_F(ReadTest, FileShrinkingWhileReadEndsEarly) {
  const std::string p = Write("shrinking.bin", Pattern(1 << 20));
  auto f = File::Open(p);
  ASSERT_TRUE(f.ok()) << f.status().message();
  bool first = true;
  auto r = ReadChunks(*f, UINT64_MAX, 65536, [&](const std::uint8_t*, std::size_t) {
    if (first) {
      ASSERT_EQ(::truncate(p.c_str(), 100000), 0);
    }
    first = false;
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->bytes, 100000u);
  EXPECT_TRUE(r->changed);
  EXPECT_FALSE(r->truncated);
}

TEST_F(ReadTest, HostileNamesAreOpenedAsRawBytes) {
  const std::string name = std::string("evil\n\x1b[2J\xff.txt");
  const std::string p = Write(name, "x");
  auto f = File::Open(p);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->path(), p);
  std::vector<std::uint8_t> buf;
  auto r = ReadAll(*f, 10, buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bytes, 1u);
}

}  // namespace
}  // namespace trawl::read

namespace trawl::read {
namespace {

TEST(ReadRegressionTest, OpenWalkedRefusesAFileReplacedSinceItWasWalked) {
  testsupport::TempDir dir("trawl-read-walked");
  std::string a = dir.Write("a", "walked"), b = dir.Write("b", "swapped");
  struct stat walked {};
  ASSERT_EQ(::lstat(a.c_str(), &walked), 0);
  EXPECT_TRUE(File::OpenWalked(a, walked).ok());
  ASSERT_EQ(std::rename(b.c_str(), a.c_str()), 0);  // another inode under the walked name
  auto f = File::OpenWalked(a, walked);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("replaced since it was walked"), std::string::npos);
}

// Opening relative to the walked directory's descriptor reads the entry the
// walk listed, even when a directory above it was renamed and another tree
// put in its place; a name with a '/' is refused.
TEST(ReadRegressionTest, OpenWalkedAtReadsTheListedEntryWhateverThePathNowNames) {
  testsupport::TempDir dir("trawl-read-at");
  std::string a = dir.Write("d/f", "walked");
  struct stat walked {};
  ASSERT_EQ(::lstat(a.c_str(), &walked), 0);
  int dfd = ::open((dir.path() + "/d").c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  ASSERT_GE(dfd, 0);
  ASSERT_EQ(std::rename((dir.path() + "/d").c_str(), (dir.path() + "/moved").c_str()), 0);
  dir.Write("d/f", "decoy");  // the old path now names another file
  auto f = File::OpenWalkedAt(dfd, "f", a, walked);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->path(), a);
  std::vector<std::uint8_t> buf;
  ASSERT_TRUE(ReadAll(*f, 100, buf).ok());
  EXPECT_EQ(std::string(buf.begin(), buf.end()), "walked");
  EXPECT_FALSE(File::OpenWalked(a, walked).ok());  // by path: the decoy, refused
  EXPECT_FALSE(File::OpenAt(dfd, "sub/f", a).ok());
  ::close(dfd);
}

TEST(ReadRegressionTest, FromFdReadsFromTheStartWithoutTakingTheDescriptor) {
  char tmpl[] = "/tmp/trawl-read-fromfd-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "abcdef", 6), 6);  // offset now at the end
  {
    auto f = File::FromFd(fd, "test");
    ASSERT_TRUE(f.ok()) << f.status().message();
    std::vector<std::uint8_t> buf;
    auto st = ReadAll(*f, 100, buf);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(std::string(buf.begin(), buf.end()), "abcdef");
  }
  EXPECT_NE(::fcntl(fd, F_GETFD), -1);  // still open: the caller keeps it
  ::close(fd);
  std::remove(tmpl);
}

}  // namespace
}  // namespace trawl::read
