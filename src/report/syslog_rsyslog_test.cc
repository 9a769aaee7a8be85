// The syslog sink against a real collector: a private rsyslogd on loopback,
// started by each test with its own configuration on free ports (UDP, TCP,
// TLS with a CA and certificates made here with the openssl CLI). rsyslog
// writes every received message's raw text (JSON-escaped) to a file, which
// the tests parse back and compare with what was sent.
#include "trawl/report/syslog.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"
#include "trawl/testsupport/temp_dir.h"

extern char** environ;

namespace trawl::report {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using TempDir = testsupport::TempDir;  // kept with TRAWL_TEST_KEEP set, for debugging

// A port free right now on 127.0.0.1 (the kernel picks it).
int FreePort(int type) {
  int fd = socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool Run(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

struct Certs {
  std::string ca, cert, key;
};

// A CA and a server certificate for `san` ("DNS:localhost,IP:127.0.0.1").
Certs MakeCerts(const std::string& dir, const std::string& name, const std::string& san) {
  Certs c{dir + "/" + name + "-ca.pem", dir + "/" + name + "-srv.pem",
          dir + "/" + name + "-srv.key"};
  std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  std::string q = " 2>>" + dir + "/openssl.log";
  EXPECT_TRUE(Run("openssl req -x509 " + ec + " -keyout " + dir + "/" + name + "-ca.key -out " +
                  c.ca + " -days 2 -subj '/CN=trawl test CA " + name + "'" + q));
  EXPECT_TRUE(Run("openssl req " + ec + " -keyout " + c.key + " -out " + dir + "/" + name +
                  ".csr -subj '/CN=trawl test server'" + q));
  std::ofstream(dir + "/" + name + ".ext") << "subjectAltName=" << san << "\n";
  EXPECT_TRUE(Run("openssl x509 -req -in " + dir + "/" + name + ".csr -CA " + c.ca + " -CAkey " +
                  dir + "/" + name + "-ca.key -CAcreateserial -out " + c.cert +
                  " -days 2 -extfile " + dir + "/" + name + ".ext" + q));
  return c;
}

class Rsyslog {
 public:
  // `driver`: rsyslog's TLS stream driver, "gtls" (GnuTLS) or "ossl" (OpenSSL).
  Rsyslog(std::string dir, SyslogTransport t, int port, Certs certs = {},
          std::string driver = "gtls")
      : dir_(std::move(dir)),
        transport_(t),
        port_(port),
        certs_(std::move(certs)),
        driver_(std::move(driver)) {
    out_ = dir_ + "/received.log";
    probe_ = dir_ + "/probe.log";
    std::ofstream conf(dir_ + "/rsyslog.conf");
    fs::create_directories(dir_ + "/work");
    conf << "global(workDirectory=\"" << dir_ << "/work\" maxMessageSize=\"64k\"\n"
         << "  parser.escapeControlCharactersOnReceive=\"off\"";
    if (t == SyslogTransport::kTls)
      conf << "\n  DefaultNetstreamDriver=\"" << driver_ << "\" DefaultNetstreamDriverCAFile=\""
           << certs_.ca << "\"\n  DefaultNetstreamDriverCertFile=\"" << certs_.cert
           << "\" DefaultNetstreamDriverKeyFile=\"" << certs_.key << "\"";
    conf << ")\n";
    if (t == SyslogTransport::kUdp) {
      conf << "module(load=\"imudp\")\n"
           << "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" << port << "\")\n";
    } else if (t == SyslogTransport::kTcp) {
      conf << "module(load=\"imtcp\")\n"
           << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << port << "\")\n";
    } else {
      conf << "module(load=\"imtcp\" StreamDriver.Name=\"" << driver_
           << "\" StreamDriver.Mode=\"1\" "
              "StreamDriver.AuthMode=\"anon\")\n"
           << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << port << "\")\n";
    }
    conf << "template(name=\"raw\" type=\"list\") { property(name=\"rawmsg\" format=\"json\") "
            "constant(value=\"\\n\") }\n"
         << "if $app-name == \"trawl\" then action(type=\"omfile\" file=\"" << out_
         << "\" template=\"raw\")\n"
         << "if $app-name == \"probe\" then action(type=\"omfile\" file=\"" << probe_
         << "\" template=\"raw\")\n";
  }
  ~Rsyslog() { Stop(); }

  // For a server whose certificate the probe cannot verify.
  void ProbeByConnectOnly() { probe_listen_only_ = true; }

  // Starts rsyslogd and waits until it takes messages.
  void Start() {
    std::string conf = dir_ + "/rsyslog.conf", pid = dir_ + "/rsyslog.pid";
    std::string log = dir_ + "/rsyslogd.out";
    std::vector<std::string> args = {"rsyslogd", "-n", "-f", conf, "-i", pid};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    ASSERT_EQ(posix_spawnp(&pid_, TRAWL_RSYSLOGD, &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      // A stream listener could be probed by a bare TCP connect, but a
      // session that ends before the TLS handshake can stall rsyslog's ossl
      // driver (rsyslog issue #4859): probe with a real message instead.
      if (probe_listen_only_ ? Listening() : Probe()) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "rsyslogd did not come up; its output:\n" << Slurp(log);
  }

  // A stream listener is up when a TCP connection succeeds.
  bool Listening() const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port_));
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    return ok;
  }

  // Up when a probe message comes through.
  bool Probe() const {
    SyslogOptions o;
    o.transport = transport_;
    o.ca_file = certs_.ca;
    o.host = transport_ == SyslogTransport::kTls ? "localhost" : "127.0.0.1";
    o.port = port_;
    o.app_name = "probe";
    o.tls12_only = driver_ == "ossl";
    auto sink = SyslogSink::Create(o);
    if (!sink.ok()) return false;
    Finding f;
    f.path = "probe";
    (*sink)->OnFinding(f);
    (*sink)->Drain(300ms);
    (void)(*sink)->Close();
    std::this_thread::sleep_for(100ms);
    return fs::exists(probe_) && fs::file_size(probe_) > 0;
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // The raw messages received so far, in arrival order.
  std::vector<std::string> Messages() const {
    std::vector<std::string> out;
    std::ifstream in(out_);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse("\"" + line + "\"", nullptr, false);
      out.push_back(j.is_string() ? j.get<std::string>() : "<unparsable> " + line);
    }
    return out;
  }

  // Waits until at least n messages arrived.
  std::vector<std::string> WaitFor(size_t n, std::chrono::milliseconds timeout = 10s) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto m = Messages();
      if (m.size() >= n || std::chrono::steady_clock::now() > deadline) return m;
      std::this_thread::sleep_for(20ms);
    }
  }

  static std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string dir_, out_, probe_;
  SyslogTransport transport_;
  int port_;
  Certs certs_;
  std::string driver_;
  pid_t pid_ = -1;
  bool probe_listen_only_ = false;
};

// Paths a hostile host can hold, each unique by its index.
std::string HostilePath(int i) {
  static const char* kShapes[] = {
      "/tmp/plain-%d.bin",
      "/tmp/new\nline-%d\n",
      "/tmp/\"quoted\" ]bracket] \\back\\slash-%d",
      "/home/j\xc3\xbcrgen/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80-%d.exe",
      "/tmp/<img src=x onerror=alert(1)>-%d",
      "/tmp/tab\tcr\rbell\x07-%d",
      "/tmp/=cmd|' /C calc'!A0-%d",
  };
  const char* shape = kShapes[i % (sizeof kShapes / sizeof kShapes[0])];
  char buf[256];
  std::snprintf(buf, sizeof buf, shape, i);
  return buf;
}

Finding MakeFinding(int i) {
  Finding f = testing::HostileFinding(HostilePath(i));
  f.extra.push_back({"index", std::int64_t{i}});
  return f;
}

// What main does at the end of a scan: drain, add the counts, send the
// summary, close.
SyslogStats Finish(SyslogSink& sink, Summary s = {}) {
  sink.Drain(5s);
  SyslogStats before = sink.Stats();
  s.extra.push_back({"syslog_delivered", static_cast<std::int64_t>(before.delivered)});
  s.extra.push_back({"syslog_dropped", static_cast<std::int64_t>(before.dropped())});
  sink.OnSummary(s);
  EXPECT_TRUE(sink.Close().ok());
  return before;
}

struct Parsed {
  std::map<std::string, testing::Syslog5424> findings;  // by path
  std::vector<testing::Syslog5424> summaries;
};

Parsed ParseAll(const std::vector<std::string>& messages) {
  Parsed p;
  for (const std::string& m : messages) {
    auto s = testing::ParseSyslog5424(m);
    EXPECT_TRUE(s.has_value()) << "not RFC 5424: " << m;
    if (!s) continue;
    if (s->msgid == "summary") {
      p.summaries.push_back(*s);
      continue;
    }
    std::string path = s->Param("trawl@32473", "path");
    EXPECT_EQ(p.findings.count(path), 0u) << "received twice: " << path;
    p.findings[path] = *s;
  }
  return p;
}

// A collector set-up: transport, rsyslog's TLS driver, and whether the
// client keeps to TLS 1.2 (needed with rsyslog's OpenSSL driver, see
// SyslogOptions::tls12_only).
struct Collector {
  SyslogTransport transport;
  const char* driver;
  bool tls12;
  const char* name;
};

class RsyslogTest : public ::testing::TestWithParam<Collector> {
 protected:
  SyslogTransport Transport() const { return GetParam().transport; }
  SyslogOptions Options(int port, const Certs& certs) {
    SyslogOptions o;
    o.transport = Transport();
    o.host = Transport() == SyslogTransport::kTls ? "localhost" : "127.0.0.1";
    o.port = port;
    o.ca_file = certs.ca;
    o.hostname = "trawl-test";
    o.tls12_only = GetParam().tls12;
    return o;
  }
  Certs CertsFor(SyslogTransport t) {
    return t == SyslogTransport::kTls ? MakeCerts(dir_.path(), "good", "DNS:localhost,IP:127.0.0.1")
                                      : Certs{};
  }
  TempDir dir_;
};

TEST_P(RsyslogTest, EveryFindingArrivesIntact) {
  int port = FreePort(Transport() == SyslogTransport::kUdp ? SOCK_DGRAM : SOCK_STREAM);
  Certs certs = CertsFor(Transport());
  Rsyslog rs(dir_.path(), Transport(), port, certs, GetParam().driver);
  rs.Start();
  if (HasFatalFailure()) return;

  auto sink = SyslogSink::Create(Options(port, certs));
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  constexpr int kN = 60;
  std::map<std::string, Finding> sent;
  for (int i = 0; i < kN; ++i) {
    Finding f = MakeFinding(i);
    sent[f.path] = f;
    (*sink)->OnFinding(f);
  }
  Summary sum;
  sum.files = 1000;
  sum.alerts = kN;
  SyslogStats before = Finish(**sink, sum);
  EXPECT_EQ(before.delivered, static_cast<uint64_t>(kN));
  EXPECT_EQ(before.dropped(), 0u);
  SyslogStats after = (*sink)->Stats();
  EXPECT_TRUE(after.summary_delivered);
  EXPECT_EQ(after.delivered, static_cast<uint64_t>(kN) + 1);

  Parsed got = ParseAll(rs.WaitFor(kN + 1));
  ASSERT_EQ(got.findings.size(), static_cast<size_t>(kN));
  for (const auto& [path, f] : sent) {
    auto it = got.findings.find(path);
    ASSERT_NE(it, got.findings.end()) << "missing: " << path;
    const auto& m = it->second;
    const std::string id = "trawl@32473";
    EXPECT_EQ(m.Param(id, "level"), "alert");
    EXPECT_EQ(m.Param(id, "size"), "1234");
    EXPECT_EQ(m.Param(id, "r0_description"), f.reasons[0].description);
    EXPECT_EQ(m.Param(id, "r1_description"), f.reasons[1].description);
    EXPECT_EQ(m.Param(id, "r1_indicator"), f.reasons[1].indicator);
    EXPECT_EQ(m.Param(id, "x_excerpt"), std::get<std::string>(f.extra[1].second));
    EXPECT_EQ(m.hostname, "trawl-test");
    EXPECT_EQ(m.pri, 13 * 8 + 1);
  }
  ASSERT_EQ(got.summaries.size(), 1u);
  EXPECT_EQ(got.summaries[0].Param("trawl@32473", "x_syslog_delivered"), std::to_string(kN));
  EXPECT_EQ(got.summaries[0].Param("trawl@32473", "x_syslog_dropped"), "0");
  EXPECT_EQ(got.summaries[0].Param("trawl@32473", "files"), "1000");
}

TEST_P(RsyslogTest, JsonFormatArrivesIntact) {
  int port = FreePort(Transport() == SyslogTransport::kUdp ? SOCK_DGRAM : SOCK_STREAM);
  Certs certs = CertsFor(Transport());
  Rsyslog rs(dir_.path(), Transport(), port, certs, GetParam().driver);
  rs.Start();
  if (HasFatalFailure()) return;
  SyslogOptions o = Options(port, certs);
  o.format = SyslogFormat::kJson;
  auto sink = SyslogSink::Create(o);
  ASSERT_TRUE(sink.ok());
  constexpr int kN = 14;
  for (int i = 0; i < kN; ++i) (*sink)->OnFinding(MakeFinding(i));
  Finish(**sink);
  auto messages = rs.WaitFor(kN + 1);
  ASSERT_EQ(messages.size(), static_cast<size_t>(kN + 1));
  std::set<std::string> paths;
  for (const std::string& m : messages) {
    auto s = testing::ParseSyslog5424(m);
    ASSERT_TRUE(s) << m;
    auto j = nlohmann::json::parse(s->msg);
    if (j["type"] == "summary") {
      EXPECT_EQ(j["syslog_delivered"], kN);
      continue;
    }
    paths.insert(j["path"].get<std::string>());
    EXPECT_EQ(j["reasons"][0]["source"], "/iocs/hash-iocs.txt:7");
  }
  for (int i = 0; i < kN; ++i) EXPECT_EQ(paths.count(HostilePath(i)), 1u) << HostilePath(i);
}

// The stream transports (TCP, TLS). UDP cannot know what a stopped collector
// missed (the refused-datagram accounting test covers it), so the restart test
// is instantiated for these only, instead of passing without running for UDP.
class RsyslogStreamTest : public RsyslogTest {};

// rsyslog stopped mid-scan and started again: the sink holds the messages,
// reconnects and delivers every one exactly once; the counts match.
TEST_P(RsyslogStreamTest, CollectorRestartMidScanLosesNothing) {
  ASSERT_NE(Transport(), SyslogTransport::kUdp);
  int port = FreePort(SOCK_STREAM);
  Certs certs = CertsFor(Transport());
  Rsyslog rs(dir_.path(), Transport(), port, certs, GetParam().driver);
  rs.Start();
  if (HasFatalFailure()) return;
  auto sink = SyslogSink::Create(Options(port, certs));
  ASSERT_TRUE(sink.ok());
  int next = 0;
  auto send = [&](int n) {
    for (int i = 0; i < n; ++i) (*sink)->OnFinding(MakeFinding(next++));
  };
  send(20);
  ASSERT_TRUE((*sink)->Drain(5s));
  ASSERT_EQ(rs.WaitFor(20).size(), 20u);
  rs.Stop();
  send(15);  // while the collector is down
  std::this_thread::sleep_for(400ms);
  send(5);
  rs.Start();
  if (HasFatalFailure()) return;
  send(10);
  SyslogStats before = Finish(**sink);
  constexpr int kTotal = 50;
  EXPECT_EQ(before.delivered, static_cast<uint64_t>(kTotal));
  EXPECT_EQ(before.dropped(), 0u);
  EXPECT_GE(before.reconnects, 1u);
  EXPECT_GE(before.failures, 1u);
  EXPECT_TRUE((*sink)->Stats().summary_delivered);
  Parsed got = ParseAll(rs.WaitFor(kTotal + 1));
  EXPECT_EQ(got.findings.size(), static_cast<size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) EXPECT_EQ(got.findings.count(HostilePath(i)), 1u) << i;
  ASSERT_EQ(got.summaries.size(), 1u);
  EXPECT_EQ(got.summaries[0].Param("trawl@32473", "x_syslog_delivered"), std::to_string(kTotal));
  // The sequence numbers run 1..kTotal without a gap.
  std::set<std::string> seqs;
  for (const auto& [path, m] : got.findings) seqs.insert(m.Param("meta", "sequenceId"));
  for (int i = 1; i <= kTotal; ++i) EXPECT_EQ(seqs.count(std::to_string(i)), 1u) << i;
}

INSTANTIATE_TEST_SUITE_P(
    Transports, RsyslogTest,
    ::testing::Values(Collector{SyslogTransport::kUdp, "", false, "udp"},
                      Collector{SyslogTransport::kTcp, "", false, "tcp"},
                      Collector{SyslogTransport::kTls, "gtls", false, "tls_gnutls"},
                      Collector{SyslogTransport::kTls, "ossl", true, "tls12_openssl"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });
INSTANTIATE_TEST_SUITE_P(
    StreamTransports, RsyslogStreamTest,
    ::testing::Values(Collector{SyslogTransport::kTcp, "", false, "tcp"},
                      Collector{SyslogTransport::kTls, "gtls", false, "tls_gnutls"},
                      Collector{SyslogTransport::kTls, "ossl", true, "tls12_openssl"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(RsyslogUdp, LongMessagesAreTruncatedWithAMarkerAndCounted) {
  TempDir dir;
  int port = FreePort(SOCK_DGRAM);
  Rsyslog rs(dir.path(), SyslogTransport::kUdp, port);
  rs.Start();
  if (HasFatalFailure()) return;
  SyslogOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.udp_max_bytes = 1400;
  auto sink = SyslogSink::Create(o);
  ASSERT_TRUE(sink.ok());
  (*sink)->OnFinding(MakeFinding(0));
  (*sink)->OnFinding(MakeFinding(1));
  Finding big = MakeFinding(2);
  big.path = "/tmp/" + std::string(1000, 'x') + std::string(300, '\xc3') + std::string(600, 'y');
  for (size_t i = 1005; i < 1305; i += 2) big.path[i] = '\xa9';  // 150 x "é"
  (*sink)->OnFinding(big);
  SyslogStats st = Finish(**sink);
  EXPECT_EQ(st.truncated, 1u);
  auto messages = rs.WaitFor(4);
  ASSERT_EQ(messages.size(), 4u);
  size_t truncated = 0;
  for (const std::string& m : messages) {
    EXPECT_LE(m.size(), 1400u);
    EXPECT_TRUE(IsValidUtf8(m)) << "cut at a character boundary";
    if (m.find("...[truncated]") != std::string::npos) {
      ++truncated;
      EXPECT_EQ(m.substr(m.size() - 14), "...[truncated]");
    }
  }
  EXPECT_EQ(truncated, 1u);
}

TEST(RsyslogUdp, RefusedDatagramsAreCountedNotDelivered) {
  // Nobody listens: every datagram is refused (ICMP port unreachable on
  // loopback, reported on the next send or seen when the queue empties), and
  // the accounting says so.
  SyslogOptions o;
  o.host = "127.0.0.1";
  o.port = FreePort(SOCK_DGRAM);
  auto sink = SyslogSink::Create(o);
  ASSERT_TRUE(sink.ok());
  for (int i = 0; i < 3; ++i) (*sink)->OnFinding(MakeFinding(i));
  EXPECT_TRUE((*sink)->Drain(3s));
  SyslogStats st = (*sink)->Stats();
  EXPECT_EQ(st.refused, 3u);
  EXPECT_EQ(st.delivered, 0u);
  EXPECT_EQ(st.delivered + st.dropped(), 3u) << "every message counted once";
  (void)(*sink)->Close();
}

TEST(RsyslogTls, CertificateAndNameAreVerified) {
  TempDir dir;
  int port = FreePort(SOCK_STREAM), port2 = FreePort(SOCK_STREAM);
  Certs good = MakeCerts(dir.path(), "good", "DNS:localhost,IP:127.0.0.1");
  Certs other = MakeCerts(dir.path(), "other", "DNS:localhost,IP:127.0.0.1");
  Certs elsewhere = MakeCerts(dir.path(), "elsewhere", "DNS:elsewhere.example");
  fs::create_directories(dir.path() + "/a");
  fs::create_directories(dir.path() + "/b");
  Rsyslog rs(dir.path() + "/a", SyslogTransport::kTls, port, good);
  rs.Start();
  if (HasFatalFailure()) return;
  Rsyslog rs2(dir.path() + "/b", SyslogTransport::kTls, port2, elsewhere);
  rs2.ProbeByConnectOnly();
  rs2.Start();
  if (HasFatalFailure()) return;
  struct Case {
    std::string host;
    int port;
    std::string ca, want_error;
    bool ok;
  };
  const Case cases[] = {
      {"localhost", port, good.ca, "", true},
      {"127.0.0.1", port, good.ca, "", true},
      {"localhost", port, other.ca, "certificate verification failed", false},       // unknown CA
      {"localhost", port2, elsewhere.ca, "certificate verification failed", false},  // name
      {"127.0.0.1", port2, elsewhere.ca, "certificate verification failed", false},  // IP
  };
  size_t delivered = 0;
  for (const Case& c : cases) {
    SyslogOptions o;
    o.transport = SyslogTransport::kTls;
    o.host = c.host;
    o.port = c.port;
    o.ca_file = c.ca;
    auto sink = SyslogSink::Create(o);
    ASSERT_TRUE(sink.ok());
    (*sink)->OnFinding(MakeFinding(0));
    EXPECT_EQ((*sink)->Drain(c.ok ? 5s : 800ms), c.ok) << c.host << ":" << c.port;
    SyslogStats st = (*sink)->Stats();
    EXPECT_EQ(st.delivered, c.ok ? 1u : 0u) << c.host;
    if (!c.ok) {
      EXPECT_NE(st.last_error.find(c.want_error), std::string::npos) << st.last_error;
    }
    delivered += st.delivered;
    (void)(*sink)->Close();
  }
  EXPECT_EQ(rs.WaitFor(delivered).size(), delivered);
  EXPECT_EQ(rs2.Messages().size(), 0u) << "nothing reached the server with the wrong name";
}

}  // namespace
}  // namespace trawl::report
