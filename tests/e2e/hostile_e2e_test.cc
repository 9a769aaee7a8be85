// End to end, hostile hosts (issue 11): what a planted input or a stopped scan
// must not do. Each test builds its own synthetic input.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"

namespace trawl::e2e {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

// Complete lines of a JSON Lines file, parsed; a partial last line fails.
std::vector<nlohmann::json> JsonLines(const std::string& path, bool* complete = nullptr) {
  std::string text = ReadFile(path);
  if (complete) *complete = text.empty() || text.back() == '\n';
  std::vector<nlohmann::json> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded())
      out.push_back(std::move(j));
    else if (complete)
      *complete = false;
  }
  return out;
}

std::size_t CountType(const std::vector<nlohmann::json>& lines, const std::string& type) {
  std::size_t n = 0;
  for (const auto& j : lines) n += j.value("type", "") == type;
  return n;
}

// A scan running in the background, with its output in files.
class Background {
 public:
  Background(const TempDir& dir, const std::vector<std::string>& args) {
    json_ = dir.path() + "/out.jsonl";
    csv_ = dir.path() + "/out.csv";
    html_ = dir.path() + "/out.html";
    err_ = dir.path() + "/stderr";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setenv("XDG_DATA_HOME", (dir.path() + "/xdg").c_str(), 1);
      int out = ::open((dir.path() + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int in = ::open("/dev/null", O_RDONLY);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::dup2(in, 0);
      std::vector<std::string> all = {TRAWL_BINARY, "scan", "--no-color", "--json", json_,
                                      "--csv",      csv_,   "--html",     html_};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (std::string& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(TRAWL_BINARY, argv.data());
      ::_exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // True while the scan runs; sets the exit code once it ended.
  bool Running() {
    if (exited_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    return true;
  }
  // Waits up to `limit` for the exit; false if it still runs.
  bool WaitExit(std::chrono::seconds limit) {
    auto end = steady_clock::now() + limit;
    while (Running()) {
      if (steady_clock::now() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  // Waits until the JSON file holds `n` findings (the sink writes per
  // finding) while the scan still runs.
  bool WaitFindings(std::size_t n, std::chrono::seconds limit) {
    auto end = steady_clock::now() + limit;
    while (steady_clock::now() < end && Running()) {
      if (CountType(JsonLines(json_), "finding") >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  void Signal(int sig) { ::kill(pid_, sig); }
  int exit_code() const { return exit_code_; }
  const std::string& json() const { return json_; }
  const std::string& csv() const { return csv_; }
  const std::string& html() const { return html_; }
  std::string err() const { return ReadFile(err_); }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  std::string json_, csv_, html_, err_;
};

// A log the scan cannot finish in any test's time: a 1 TiB sparse file with
// no line break, under var/log (without a stop, the log sweep reads it all).
void PlantEndlessLog(const TempDir& dir) {
  std::string path = dir.Write("tree/var/log/endless.log", "start\n");
  ASSERT_EQ(::truncate(path.c_str(), 1ll << 40), 0) << std::strerror(errno);
}

constexpr std::size_t kPlanted = 40;

void PlantFindings(const TempDir& dir) {
  for (std::size_t i = 0; i < kPlanted; ++i)
    dir.Write("tree/drop/evil_dropper_" + std::string(1, static_cast<char>('a' + i % 26)) +
                  std::to_string(i) + ".bin",
              "x");
  dir.Write("iocs/test-filename-iocs.txt", "evil_dropper_[a-z0-9]+\\.bin;85\n");
  dir.Write("iocs/c2.txt", "evil-c2.example.net;90\n");
}

std::vector<std::string> ScanArgs(const TempDir& dir) {
  return {"--no-builtin", "--no-progress",      "--threads",         "2",
          "--iocs",       dir.path() + "/iocs", dir.path() + "/tree"};
}

// Regression (issue 11): SIGINT left 0 bytes of JSON; now the walk and the
// workers stop, every sink is flushed and the summary says interrupted.
TEST(Interrupt, SigintStopsTheScanAndKeepsEveryFindingWithASummary) {
  TempDir dir;
  PlantFindings(dir);
  PlantEndlessLog(dir);
  Background scan(dir, ScanArgs(dir));
  ASSERT_TRUE(scan.WaitFindings(kPlanted, std::chrono::seconds(60)))
      << "the findings were not on disk while the scan ran\n"
      << scan.err();
  scan.Signal(SIGINT);
  ASSERT_TRUE(scan.WaitExit(std::chrono::seconds(60))) << "SIGINT did not stop the scan";
  EXPECT_EQ(scan.exit_code(), 1) << "findings at warning or above: exit 1\n" << scan.err();

  bool complete = false;
  auto lines = JsonLines(scan.json(), &complete);
  EXPECT_TRUE(complete) << "every line is a whole JSON record";
  ASSERT_FALSE(lines.empty());
  const nlohmann::json& summary = lines.back();
  ASSERT_EQ(summary.value("type", ""), "summary") << "the JSON file ends with the summary";
  EXPECT_EQ(summary["interrupted"], true);
  EXPECT_EQ(CountType(lines, "finding"), kPlanted);
  EXPECT_EQ(summary["findings"]["alert"].get<int>() + summary["findings"]["warning"].get<int>(),
            static_cast<int>(kPlanted));
  // The log in flight ends with an error record that says why.
  bool log_cut = false;
  for (const auto& j : lines)
    log_cut |= j.value("type", "") == "error" &&
               j.value("path", "").find("endless.log") != std::string::npos &&
               j.value("message", "").find("interrupted") != std::string::npos;
  EXPECT_TRUE(log_cut) << "the unfinished log is named";

  // CSV: a row per finding plus the summary row; HTML written at the end.
  std::string csv = ReadFile(scan.csv());
  EXPECT_NE(csv.find("interrupted=true"), std::string::npos);
  std::size_t rows = 0;
  for (size_t p = 0; (p = csv.find("\r\n\"finding\"", p)) != std::string::npos; ++p) ++rows;
  EXPECT_EQ(rows, kPlanted);
  std::string html = ReadFile(scan.html());
  EXPECT_NE(html.find("Interrupted"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

// An interrupted scan with nothing found cannot call the host clean: exit 2,
// verdict "incomplete".
TEST(Interrupt, SigtermWithoutFindingsIsIncompleteNotClean) {
  TempDir dir;
  dir.Write("iocs/c2.txt", "evil-c2.example.net;90\n");
  dir.Write("tree/etc/motd", "hello\n");
  PlantEndlessLog(dir);
  Background scan(dir, ScanArgs(dir));
  // The walk of three files is over at once; the endless log keeps the scan busy.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE(scan.Running()) << "the scan ended on its own\n" << scan.err();
  scan.Signal(SIGTERM);
  ASSERT_TRUE(scan.WaitExit(std::chrono::seconds(60))) << "SIGTERM did not stop the scan";
  EXPECT_EQ(scan.exit_code(), 2);
  auto lines = JsonLines(scan.json());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().value("type", ""), "summary");
  EXPECT_EQ(lines.back()["interrupted"], true);
  EXPECT_NE(ReadFile(scan.csv()).find("\"incomplete\""), std::string::npos);
  EXPECT_NE(ReadFile(scan.html()).find("v-incomplete"), std::string::npos);
}

}  // namespace
}  // namespace trawl::e2e
