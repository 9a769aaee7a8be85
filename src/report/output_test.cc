// Regression (issue 11): --json/--html followed a symlink already sitting at
// the output path and truncated whatever it pointed to.
#include "trawl/report/output.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "trawl/testsupport/temp_dir.h"

namespace trawl::report {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const std::string& p) { return testsupport::ReadFile(p); }

class OutputFile : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path();
    victim_ = tmp_.Write("victim", "precious");
  }
  testsupport::TempDir tmp_{"trawl-output"};
  std::string dir_, victim_;
};

TEST_F(OutputFile, NewAndOwnFilesAreWrittenFromTheStart) {
  auto f = OpenOutputFile(dir_ + "/new.jsonl");
  ASSERT_TRUE(f.ok()) << f.status().message();
  std::fputs("x\n", *f);
  std::fclose(*f);
  EXPECT_EQ(Slurp(dir_ + "/new.jsonl"), "x\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/new.jsonl").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);  // a report is its owner's only, whatever the umask
  auto again = OpenOutputFile(victim_);  // ours, one link: truncated
  ASSERT_TRUE(again.ok());
  std::fputs("y", *again);
  std::fclose(*again);
  EXPECT_EQ(Slurp(victim_), "y");
}

TEST_F(OutputFile, SymlinkAtThePathIsRefusedAndItsTargetUntouched) {
  ASSERT_EQ(symlink(victim_.c_str(), (dir_ + "/out.html").c_str()), 0);
  auto f = OpenOutputFile(dir_ + "/out.html");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("symbolic link"), std::string::npos) << f.status().message();
  EXPECT_EQ(Slurp(victim_), "precious");
}

TEST_F(OutputFile, HardLinkToAnotherFileIsNotTruncated) {
  ASSERT_EQ(link(victim_.c_str(), (dir_ + "/out.csv").c_str()), 0);
  auto f = OpenOutputFile(dir_ + "/out.csv");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("hard links"), std::string::npos);
  EXPECT_EQ(Slurp(victim_), "precious");
}

TEST_F(OutputFile, FifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(mkfifo((dir_ + "/fifo").c_str(), 0600), 0);
  auto f = OpenOutputFile(dir_ + "/fifo");  // no reader: a plain open would block or fail
  ASSERT_FALSE(f.ok());
}

TEST_F(OutputFile, AnotherUsersFileIsNotTruncated) {
  ASSERT_EQ(geteuid(), 0u) << "run as root (as the suite does) to give the file away";
  ASSERT_EQ(chown(victim_.c_str(), 65534, 65534), 0);
  auto f = OpenOutputFile(victim_);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("owned by another user"), std::string::npos);
  EXPECT_EQ(Slurp(victim_), "precious");
}

}  // namespace
}  // namespace trawl::report
