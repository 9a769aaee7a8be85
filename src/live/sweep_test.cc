// Live sweeps against real processes and sockets the test starts, a fake OS
// for the edge cases, and hosts files.
#include "trawl/live/sweep.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "trawl/hash/hash.h"
#include "trawl/ioc/loader.h"
#include "trawl/match/filename.h"
#include "trawl/netmatch/netmatch.h"
#include "trawl/testsupport/temp_dir.h"
#include "trawl/yara/yara.h"
#include "trawl/testsupport/loopback.h"

namespace trawl::live {
namespace {

namespace fs = std::filesystem;

using Tmp = testsupport::TempDir;

std::string Sha256Of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  hash::MultiHasher h(hash::kSha256);
  h.Update(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  return h.Finish()["sha256"];
}

// Only the given pids, for fast and focused tests; everything else is the real OS.
class OnlyPids final : public Os {
 public:
  OnlyPids(std::unique_ptr<Os> real, std::vector<int> pids)
      : real_(std::move(real)), pids_(std::move(pids)) {}
  bool supported() const override { return true; }
  Result<std::vector<int>> ListPids() override { return pids_; }
  Result<ProcessInfo> Process(int pid) override { return real_->Process(pid); }
  Result<std::vector<Mapping>> Maps(int pid) override { return real_->Maps(pid); }
  Result<OpenedFile> OpenExe(int pid) override { return real_->OpenExe(pid); }
  Result<OpenedFile> OpenMapped(int pid, const Mapping& m) override {
    ++mapped_opens;
    return real_->OpenMapped(pid, m);
  }
  Status ReadMemory(int pid, std::uint64_t a, std::size_t n,
                    std::vector<std::uint8_t>& out) override {
    ++memory_reads;
    return real_->ReadMemory(pid, a, n, out);
  }
  Result<std::vector<Socket>> Sockets() override { return real_->Sockets(); }
  Result<std::vector<std::uint64_t>> SocketInodes(int pid) override {
    return real_->SocketInodes(pid);
  }
  int mapped_opens = 0, memory_reads = 0;

 private:
  std::unique_ptr<Os> real_;
  std::vector<int> pids_;
};

struct Engine {
  ioc::IndicatorSet set;
  std::unique_ptr<match::FilenameMatcher> names;
  std::unique_ptr<netmatch::NetMatcher> net;
  std::shared_ptr<const yara::Rules> rules;
  LiveEngine Pieces() {
    LiveEngine e;
    e.set = &set;
    e.filenames = names.get();
    e.net = net.get();
    e.rules = rules;
    e.hash_algos = hash::kMd5 | hash::kSha256;
    return e;
  }
  void Build() {
    match::BuildStats bs;
    auto m = match::FilenameMatcher::Build(set.OfKind(ioc::Kind::kFilename), bs);
    ASSERT_TRUE(m.ok());
    names = std::make_unique<match::FilenameMatcher>(std::move(*m));
    auto n = netmatch::NetMatcher::Build(set);
    ASSERT_TRUE(n.ok());
    net = std::make_unique<netmatch::NetMatcher>(std::move(*n));
  }
};

struct Collected {
  std::vector<Finding> findings;
  std::vector<ErrorRecord> errors;
  FindingFn finding_fn() {
    return [this](const Finding& f) { findings.push_back(f); };
  }
  ErrorFn error_fn() {
    return [this](const ErrorRecord& e) { errors.push_back(e); };
  }
};

std::int64_t IntField(const Finding& f, const std::string& key) {
  for (const auto& [k, v] : f.extra)
    if (k == key) return std::get<std::int64_t>(v);
  return -1;
}
std::string StrField(const Finding& f, const std::string& key) {
  for (const auto& [k, v] : f.extra)
    if (k == key)
      if (auto* s = std::get_if<std::string>(&v)) return *s;
  return "";
}
bool HasReason(const Finding& f, const std::string& kind) {
  for (const Reason& r : f.reasons)
    if (r.kind == kind) return true;
  return false;
}

// A copy of /bin/sleep at a path a filename indicator names, its hash in the set.
struct SleepCopy {
  explicit SleepCopy(const std::string& dir, const std::string& arg = "600") {
    path = dir + "/guiconfigd";
    fs::copy_file("/bin/sleep", path);
    fs::permissions(path, fs::perms::owner_all);
    pid = fork();
    if (pid == 0) {
      execl(path.c_str(), path.c_str(), arg.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until the child runs the copy (its exe link points at it).
    for (int i = 0; i < 200; ++i) {
      std::error_code ec;
      if (fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec)
              .string()
              .find("guiconfigd") != std::string::npos)
        break;
      usleep(10000);
    }
  }
  ~SleepCopy() {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  std::string path;
  pid_t pid;
};

TEST(ProcessSweep, FindsARunningCopyByHashNameAndDeletedExecutable) {
  Tmp t;
  SleepCopy child(t.path());
  Engine e;
  std::string sha = Sha256Of(child.path);
  ioc::LoadText(sha + ";test sleep copy\n", ioc::Format::kSigBaseHash, "hash-iocs.txt", e.set);
  ioc::LoadText("[/\\\\]guiconfigd$;60\n", ioc::Format::kSigBaseFilename, "filename-iocs.txt",
                e.set);
  ioc::LoadText("evil-c2.example\n", ioc::Format::kSigBaseC2, "c2-iocs.txt", e.set);
  e.Build();
  LiveEngine pieces = e.Pieces();
  LiveOptions opts;

  OnlyPids os(MakeOs(), {child.pid});
  Collected c;
  auto st = SweepProcesses(os, pieces, opts, c.finding_fn(), c.error_fn());
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_EQ(st->processes, 1u);
  ASSERT_EQ(c.findings.size(), 1u);
  const Finding& f = c.findings[0];
  EXPECT_EQ(f.module, "process");
  EXPECT_EQ(f.path, child.path);
  EXPECT_EQ(f.level, Level::kAlert);
  EXPECT_TRUE(HasReason(f, "hash"));
  EXPECT_TRUE(HasReason(f, "filename"));
  EXPECT_FALSE(HasReason(f, "anomaly"));
  EXPECT_EQ(IntField(f, "pid"), child.pid);
  EXPECT_EQ(IntField(f, "ppid"), getpid());
  EXPECT_EQ(StrField(f, "exe"), child.path);
  EXPECT_EQ(StrField(f, "cmdline"), child.path + " 600");
  EXPECT_EQ(StrField(f, "user"), "root");
  EXPECT_EQ(f.hashes.at("sha256"), sha);

  // Deleted while it runs: still hashed through /proc/PID/exe, and reported as deleted.
  fs::remove(child.path);
  Collected d;
  st = SweepProcesses(os, pieces, opts, d.finding_fn(), d.error_fn());
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(d.findings.size(), 1u);
  EXPECT_TRUE(HasReason(d.findings[0], "hash"));
  EXPECT_TRUE(HasReason(d.findings[0], "anomaly"));
  for (const auto& [k, v] : d.findings[0].extra)
    if (k == "exe_deleted") {
      EXPECT_TRUE(std::get<bool>(v));
    }
  EXPECT_TRUE(d.errors.empty()) << d.errors[0].message;
}

TEST(ProcessSweep, CommandLineNetworkIndicatorsAndKeywords) {
  Tmp t;
  SleepCopy child(t.path(), "600");
  Engine e;
  ioc::LoadText("600\n", ioc::Format::kSigBaseKeyword, "keyword-iocs.txt", e.set);
  e.Build();
  OnlyPids os(MakeOs(), {child.pid});
  Collected c;
  ASSERT_TRUE(SweepProcesses(os, e.Pieces(), {}, c.finding_fn(), c.error_fn()).ok());
  ASSERT_EQ(c.findings.size(), 1u);
  EXPECT_TRUE(HasReason(c.findings[0], "keyword"));
}

TEST(ProcessSweep, MappedModuleHashedOnceAndMemoryOnlyWhenAsked) {
  Tmp t;
  // A "library" this process maps: its hash is an indicator.
  std::string lib = t.path() + "/libtrojan.so";
  std::string content = "MZ-not-really-a-library trawl-live-module-marker-1f2e3d";
  std::ofstream(lib) << content;
  int fd = open(lib.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  void* map1 = mmap(nullptr, content.size(), PROT_READ, MAP_PRIVATE, fd, 0);
  void* map2 = mmap(nullptr, content.size(), PROT_READ, MAP_PRIVATE, fd, 0);  // mapped twice
  ASSERT_NE(map1, MAP_FAILED);
  ASSERT_NE(map2, MAP_FAILED);
  close(fd);
  // A marker only in this process's private anonymous memory, for the memory rule
  // (assembled at run time, so the binary's own bytes do not hold it).
  std::string marker = std::string("trawl-heap-") + "marker-7c6b5a";
  void* anon = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(anon, MAP_FAILED);
  std::memcpy(anon, marker.data(), marker.size());

  Engine e;
  ioc::LoadText(Sha256Of(lib) + ";trojanized library\n", ioc::Format::kSigBaseHash, "h-hash.txt",
                e.set);
  e.Build();
  std::string rule_path = t.path() + "/r.yar";
  std::ofstream(rule_path) << "rule HeapMarker { strings: $a = \"trawl-heap-marker-7c6b5a\" "
                              "condition: $a }\n";
  yara::CompileStats cs;
  auto rules = yara::Rules::Compile({rule_path}, cs);
  ASSERT_TRUE(rules.ok());
  e.rules = *rules;

  LiveOptions opts;
  opts.skip_self = false;
  OnlyPids os(MakeOs(), {getpid()});
  Collected c;
  auto st = SweepProcesses(os, e.Pieces(), opts, c.finding_fn(), c.error_fn());
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_EQ(os.memory_reads, 0);  // no memory without process_memory
  const Finding* mod = nullptr;
  for (const Finding& f : c.findings)
    if (f.path == lib) mod = &f;
  ASSERT_NE(mod, nullptr);
  EXPECT_EQ(mod->level, Level::kAlert);
  EXPECT_EQ(IntField(*mod, "pid"), getpid());
  EXPECT_TRUE(HasReason(*mod, "hash"));
  size_t lib_findings = 0;
  for (const Finding& f : c.findings) lib_findings += f.path == lib;
  EXPECT_EQ(lib_findings, 1u);  // two mappings, one finding
  std::uint64_t hashed_first = st->modules_hashed;
  EXPECT_GT(hashed_first, 0u);

  // Again with memory: the rule finds the heap marker; modules come from the cache.
  opts.process_memory = true;
  opts.memory_cap = 64ull << 20;  // smallest regions first: the 4 KiB marker is read early
  Collected m;
  st = SweepProcesses(os, e.Pieces(), opts, m.finding_fn(), m.error_fn());
  ASSERT_TRUE(st.ok());
  EXPECT_GT(os.memory_reads, 0);
  EXPECT_GT(st->memory_bytes, 0u);
  bool yara_hit = false;
  for (const Finding& f : m.findings)
    if (HasReason(f, "yara") && IntField(f, "pid") == getpid()) yara_hit = true;
  EXPECT_TRUE(yara_hit);

  // A tiny cap reads little.
  opts.memory_cap = 4096;
  Collected small;
  st = SweepProcesses(os, e.Pieces(), opts, small.finding_fn(), small.error_fn());
  ASSERT_TRUE(st.ok());
  EXPECT_LE(st->memory_bytes, 4096u);

  munmap(map1, content.size());
  munmap(map2, content.size());
  munmap(anon, 4096);
}

// Every process of this machine: the sweep finishes, sees processes and
// modules, and reports nothing but what it can explain. (In a container even
// root may be denied another namespace's processes: those are error records
// naming the pid, never a stop.)
TEST(ProcessSweep, WholeSystemSweepFinishes) {
  Engine e;
  ioc::LoadText("0123456789abcdef0123456789abcdef;nothing\n", ioc::Format::kSigBaseHash, "hash.txt",
                e.set);
  e.Build();
  auto os = MakeOs();
  Collected c;
  auto st = SweepProcesses(*os, e.Pieces(), {}, c.finding_fn(), c.error_fn());
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_GT(st->processes, 1u);
  EXPECT_GT(st->modules, 0u);
  for (const Finding& f : c.findings)  // the dummy hash matches nothing: anomalies only
    for (const Reason& r : f.reasons) EXPECT_EQ(r.kind, "anomaly") << f.path;
  EXPECT_EQ(st->errors, c.errors.size());
  for (const ErrorRecord& r : c.errors) {
    EXPECT_EQ(r.module, "process");
    EXPECT_FALSE(r.message.empty());
  }
}

TEST(NetworkSweep, ConnectionToAC2AddressWithItsOwner) {
  testsupport::LoopbackConnection conn("127.0.0.2");
  ASSERT_TRUE(conn.ok());

  Engine e;
  ioc::LoadText("127.0.0.2\n10.99.0.0/16\n", ioc::Format::kSigBaseC2, "c2-iocs.txt", e.set);
  e.Build();
  auto os = MakeOs();
  Collected c;
  auto st = SweepNetwork(*os, e.Pieces(), c.finding_fn(), c.error_fn());
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_GT(st->connections, 0u);
  // The client's connection (remote 127.0.0.2:port) matches; the listener
  // and the accepted end have remote 0.0.0.0 / 127.0.0.1.
  const std::string remote = conn.remote();
  const Finding* hit = nullptr;
  for (const Finding& f : c.findings)
    if (StrField(f, "remote") == remote) hit = &f;
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->module, "network");
  EXPECT_EQ(hit->level, Level::kAlert);
  EXPECT_EQ(IntField(*hit, "pid"), getpid());
  EXPECT_EQ(StrField(*hit, "state"), "ESTABLISHED");
  EXPECT_EQ(StrField(*hit, "proto"), "tcp");
  EXPECT_EQ(StrField(*hit, "exe"), fs::read_symlink("/proc/self/exe").string());
  EXPECT_EQ(hit->reasons.at(0).indicator, "127.0.0.2");
}

TEST(HostsFile, EntriesPointingC2DomainsOrAddresses) {
  Tmp t;
  std::string hosts = t.path() + "/hosts";
  std::ofstream(hosts) << "127.0.0.1 localhost\n"
                          "# 10.0.0.1 akamaicontainer.com (a comment)\n"
                          "10.0.0.5\tupdate.AKAMAICONTAINER.com  alias\r\n"
                          "198.51.100.7 innocent.example\n"
                          "::1 ip6-localhost\n";
  Engine e;
  ioc::LoadText("akamaicontainer.com\n198.51.100.7\n", ioc::Format::kSigBaseC2, "c2.txt", e.set);
  e.Build();
  Collected c;
  auto st = CheckHostsFile(hosts, "/etc/hosts", e.Pieces(), c.finding_fn());
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_EQ(st->hosts_entries, 4u);
  ASSERT_EQ(c.findings.size(), 2u);
  EXPECT_EQ(c.findings[0].path, "/etc/hosts");
  EXPECT_EQ(IntField(c.findings[0], "line"), 3);
  EXPECT_EQ(StrField(c.findings[0], "host"), "update.AKAMAICONTAINER.com");
  EXPECT_EQ(StrField(c.findings[0], "address"), "10.0.0.5");
  EXPECT_EQ(c.findings[0].reasons.at(0).indicator, "akamaicontainer.com");
  EXPECT_EQ(IntField(c.findings[1], "line"), 4);
  EXPECT_EQ(c.findings[1].reasons.at(0).indicator, "198.51.100.7");
  // Regression (issue 11): a hosts file over 16 MiB was cut silently. An entry
  // after 20 MiB of comments (and one absurdly long line) is found, with its line.
  std::string big = t.path() + "/hosts.big";
  {
    std::ofstream out(big);
    std::string comment = "# " + std::string(1000, 'c') + "\n";
    for (int i = 0; i < 20000; ++i) out << comment;
    out << "10.1.1.1 " << std::string(3u << 20, 'x') << "\n";
    out << "10.0.0.9 beacon.akamaicontainer.com\n";
  }
  Collected big_c;
  auto bs = CheckHostsFile(big, "/etc/hosts", e.Pieces(), big_c.finding_fn());
  ASSERT_TRUE(bs.ok()) << bs.status().message();
  ASSERT_EQ(big_c.findings.size(), 1u);
  EXPECT_EQ(IntField(big_c.findings[0], "line"), 20002);
  EXPECT_EQ(StrField(big_c.findings[0], "host"), "beacon.akamaicontainer.com");
  // Missing: nothing, no error. A FIFO: an error, never a hang.
  EXPECT_TRUE(CheckHostsFile(t.path() + "/none", "/etc/hosts", e.Pieces(), c.finding_fn()).ok());
  ASSERT_EQ(mkfifo((t.path() + "/fifo").c_str(), 0600), 0);
  EXPECT_FALSE(CheckHostsFile(t.path() + "/fifo", "/etc/hosts", e.Pieces(), c.finding_fn()).ok());
}

// A process list where every process exits before it is read.
class VanishingOs final : public Os {
 public:
  bool supported() const override { return true; }
  Result<std::vector<int>> ListPids() override { return std::vector<int>{999999}; }
  Result<ProcessInfo> Process(int pid) override { return MakeOs()->Process(pid); }
  Result<std::vector<Mapping>> Maps(int) override { return Status::Error("x"); }
  Result<OpenedFile> OpenExe(int) override { return Status::Error("x"); }
  Result<OpenedFile> OpenMapped(int, const Mapping&) override { return Status::Error("x"); }
  Status ReadMemory(int, std::uint64_t, std::size_t, std::vector<std::uint8_t>&) override {
    return Status::Error("x");
  }
  Result<std::vector<Socket>> Sockets() override { return std::vector<Socket>{}; }
  Result<std::vector<std::uint64_t>> SocketInodes(int) override {
    return std::vector<std::uint64_t>{};
  }
};

TEST(ProcessSweep, VanishedProcessesAreCountedNotErrors) {
  Engine e;
  e.Build();
  VanishingOs os;
  Collected c;
  auto st = SweepProcesses(os, e.Pieces(), {}, c.finding_fn(), c.error_fn());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->vanished, 1u);
  EXPECT_EQ(st->processes, 0u);
  EXPECT_TRUE(c.errors.empty());
}

// Regression (issue 10): "vanished" was decided by matching the message's
// suffix, so a path that happened to end in ": process vanished" read as one,
// and a reworded message would have turned every exited process into an error.
TEST(ProcessSweep, RegressionVanishedIsDecidedByTheStatusCodeNotItsText) {
  EXPECT_TRUE(Vanished(Status::Error(StatusCode::kGone, "/proc/42/maps: gone")));
  EXPECT_FALSE(Vanished(Status::Error("/proc/42/maps: process vanished")));
  EXPECT_FALSE(Vanished(Status::Error(StatusCode::kNotFound, "/proc/42/maps")));
  EXPECT_FALSE(Vanished(Status::Ok()));
  // What the Linux procfs reader returns for a pid that does not exist.
  auto info = MakeOs()->Process(999999999);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(Vanished(info.status())) << info.status().message();
}

// The working directory of a live process (Sigma's CurrentDirectory).
TEST(LinuxOs, ProcessCarriesItsWorkingDirectory) {
  char buf[4096];
  ASSERT_NE(::getcwd(buf, sizeof buf), nullptr);
  auto self = MakeOs()->Process(::getpid());
  ASSERT_TRUE(self.ok()) << self.status().message();
  EXPECT_EQ(self->cwd, std::string(buf));
}

TEST(PlanLive, WhatRunsWhere) {
  struct Row {
    std::vector<std::string> modules, paths;
    bool image;
    bool processes, network, hosts;
  };
  const Row rows[] = {
      {{}, {"/"}, false, true, true, true},         // the live root: everything
      {{}, {"/home"}, false, false, false, false},  // a tree: no live sweeps
      {{"process"}, {"/home"}, false, true, false, false},
      {{"network"}, {"/tmp"}, false, false, true, true},
      {{"file"}, {"/"}, false, false, false, false},  // named modules only
      {{}, {"/mnt/img"}, true, false, false, true},   // an image: its hosts file only
      {{"process", "network"}, {"/mnt/img"}, true, false, false, true},
  };
  for (const Row& r : rows) {
    LiveRequest q = PlanLive(r.modules, r.paths, r.image, {{"/mnt/img/etc/hosts", "/etc/hosts"}});
    EXPECT_EQ(q.processes, r.processes);
    EXPECT_EQ(q.network, r.network);
    EXPECT_EQ(q.hosts, r.hosts);
    EXPECT_EQ(q.image, r.image);
    if (q.hosts) {
      ASSERT_EQ(q.hosts_files.size(), 1u);
      EXPECT_EQ(q.hosts_files[0].second, "/etc/hosts");
    }
  }
}

// Bad /proc lines and texts cut at 16 MiB used to be dropped without a word.
class DroppingOs final : public Os {
 public:
  bool supported() const override { return true; }
  Result<std::vector<int>> ListPids() override { return std::vector<int>{}; }
  Result<ProcessInfo> Process(int) override { return Status::Error("x"); }
  Result<std::vector<Mapping>> Maps(int) override { return Status::Error("x"); }
  Result<OpenedFile> OpenExe(int) override { return Status::Error("x"); }
  Result<OpenedFile> OpenMapped(int, const Mapping&) override { return Status::Error("x"); }
  Status ReadMemory(int, std::uint64_t, std::size_t, std::vector<std::uint8_t>&) override {
    return Status::Error("x");
  }
  Result<std::vector<Socket>> Sockets() override { return std::vector<Socket>{}; }
  Result<std::vector<std::uint64_t>> SocketInodes(int) override {
    return std::vector<std::uint64_t>{};
  }
  Dropped dropped() const override { return {3, 1}; }
};

TEST(RunLive, RegressionProcfsBadLinesAndCutTextsAreReported) {
  Engine e;
  e.Build();
  Collected c;
  DroppingOs os;
  LiveRequest req = PlanLive({"process"}, {"/"}, false, {});
  LiveReport r = RunLive(os, req, e.Pieces(), c.finding_fn(), c.error_fn());
  ASSERT_EQ(c.errors.size(), 2u);
  EXPECT_NE(c.errors[0].message.find("3 lines"), std::string::npos) << c.errors[0].message;
  EXPECT_NE(c.errors[1].message.find("16 MiB"), std::string::npos) << c.errors[1].message;
  bool bad = false, cut = false;
  for (const auto& [k, v] : r.summary) {
    if (k == "procfs_bad_lines") bad = std::get<std::int64_t>(v) == 3;
    if (k == "procfs_texts_cut") cut = std::get<std::int64_t>(v) == 1;
  }
  EXPECT_TRUE(bad);
  EXPECT_TRUE(cut);
}

TEST(RunLive, ImagesAndUnsupportedSystemsSaySo) {
  Engine e;
  e.Build();
  Collected c;
  LiveRequest image = PlanLive({}, {"/mnt/img"}, true, {});
  LiveReport r = RunLive(*MakeOs(), image, e.Pieces(), c.finding_fn(), c.error_fn());
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes[0].find("off for a mounted image"), std::string::npos);
  EXPECT_EQ(std::get<std::string>(r.summary.at(0).second), "off (image)");
  EXPECT_EQ(r.stats.processes, 0u);
}

}  // namespace
}  // namespace trawl::live
