#include "trawl/report/syslog.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "internal.h"
#include "trawl/core/json.h"
#include "trawl/core/names.h"
#include "trawl/core/text.h"
#include "trawl/core/unique_handle.h"

namespace trawl::report {

// ---------------------------------------------------------------- parsing

Status ParseSyslogTarget(std::string_view url, SyslogOptions& opts) {
  std::size_t sep = url.find("://");
  if (sep == std::string_view::npos)
    return Status::Error(fmt::format(
        "syslog target '{}': expected udp://, tcp:// or tls://HOST:PORT", EscapeControl(url)));
  std::string_view scheme = url.substr(0, sep), rest = url.substr(sep + 3);
  if (scheme == "udp")
    opts.transport = SyslogTransport::kUdp;
  else if (scheme == "tcp")
    opts.transport = SyslogTransport::kTcp;
  else if (scheme == "tls")
    opts.transport = SyslogTransport::kTls;
  else
    return Status::Error(fmt::format("syslog target '{}': unknown scheme '{}' (udp, tcp, tls)",
                                     EscapeControl(url), EscapeControl(scheme)));
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string_view host, port;
  if (!rest.empty() && rest[0] == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos)
      return Status::Error(
          fmt::format("syslog target '{}': unterminated [IPv6]", EscapeControl(url)));
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':')
        return Status::Error(fmt::format("syslog target '{}': junk after ]", EscapeControl(url)));
      port = after.substr(1);
    }
  } else {
    std::size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos && rest.find(':') != colon)
      return Status::Error(fmt::format("syslog target '{}': write an IPv6 address as [ADDR]:PORT",
                                       EscapeControl(url)));
    host = colon == std::string_view::npos ? rest : rest.substr(0, colon);
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (host.empty())
    return Status::Error(fmt::format("syslog target '{}': no host", EscapeControl(url)));
  int p = opts.transport == SyslogTransport::kTls ? 6514 : 514;
  if (!port.empty()) {
    p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) {
        p = -1;
        break;
      }
      p = p * 10 + (c - '0');
    }
    if (p <= 0 || p > 65535)
      return Status::Error(fmt::format("syslog target '{}': bad port", EscapeControl(url)));
  }
  opts.host = std::string(host);
  opts.port = p;
  return Status::Ok();
}

Status ParseSyslogFormat(std::string_view name, SyslogFormat& format) {
  if (name == "rfc5424")
    format = SyslogFormat::kRfc5424;
  else if (name == "cef")
    format = SyslogFormat::kCef;
  else if (name == "json")
    format = SyslogFormat::kJson;
  else
    return Status::Error(
        fmt::format("unknown syslog format '{}' (rfc5424, cef, json)", EscapeControl(name)));
  return Status::Ok();
}

// ------------------------------------------------------------- formatting

namespace {

constexpr std::string_view kSdId = "trawl@32473";

int Severity(Level l) {
  switch (l) {
    case Level::kAlert:
      return 1;
    case Level::kWarning:
      return 4;
    case Level::kNotice:
      return 5;
    case Level::kNone:
      break;
  }
  return 6;
}

// PRINTUSASCII only (RFC 5424 header fields), at most `max` characters.
std::string HeaderField(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() == max) break;
    out += (c >= 33 && c <= 126) ? c : '_';
  }
  return out.empty() ? "-" : out;
}

std::string ParamName(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (out.size() == 32) break;
    bool ok = c >= 33 && c <= 126 && c != '=' && c != ']' && c != '"';
    out += ok ? c : '_';
  }
  return out.empty() ? "_" : out;
}

// RFC 5424 PARAM-VALUE: UTF-8 with '"', '\' and ']' escaped by a backslash.
void AppendParam(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += ParamName(name);
  out += "=\"";
  for (char c : internal::ValidUtf8(value)) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c;
  }
  out += '"';
}

void AppendTextParam(std::string& out, std::string_view name, std::string_view value) {
  AppendParam(out, name, value);
  if (!IsValidUtf8(value)) AppendParam(out, std::string(name) + "_hex", internal::HexOf(value));
}

std::string Header(const SyslogOptions& o, int severity, std::string_view timestamp,
                   std::string_view msgid) {
  return fmt::format("<{}>1 {} {} {} {} {} ", o.facility * 8 + severity, timestamp,
                     HeaderField(o.hostname, 255), HeaderField(o.app_name, 48),
                     static_cast<long>(getpid()), HeaderField(msgid, 32));
}

std::string Meta(std::uint64_t seq) {
  return fmt::format("[meta sequenceId=\"{}\"]", seq % 2147483647 == 0 ? 1 : seq % 2147483647);
}

// CEF escaping: header fields escape \ and |; extension values \ = and line ends.
std::string CefHeader(std::string_view s) {
  std::string out;
  for (char c : internal::ValidUtf8(s)) {
    if (c == '\\' || c == '|') out += '\\';
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

std::string CefValue(std::string_view s) {
  std::string out;
  for (char c : internal::ValidUtf8(s)) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '=':
        out += "\\=";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const Reason* TopReason(const Finding& f) {
  const Reason* top = nullptr;
  for (const Reason& r : f.reasons)
    if (!top || r.score > top->score) top = &r;
  return top;
}

bool IsIpLiteral(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string CefFinding(const Finding& f, const SyslogOptions& o, std::uint64_t now_ms) {
  const Reason* top = TopReason(f);
  int sev = f.level == Level::kAlert ? 10 : f.level == Level::kWarning ? 7 : 5;
  std::string name = top && !top->description.empty() ? top->description
                                                      : fmt::format("trawl {}", LevelName(f.level));
  std::string s = fmt::format("CEF:0|trawl|trawl|{}|{}|{}|{}|", CefHeader(o.version),
                              CefHeader("trawl:" + (top ? top->kind : std::string("finding"))),
                              CefHeader(name), sev);
  auto ext = [&](std::string_view k, std::string_view v) {
    if (s.back() != '|') s += ' ';
    s += k;
    s += '=';
    s += CefValue(v);
  };
  ext("rt", std::to_string(now_ms));
  ext("dvchost", o.hostname);
  ext("act", LevelName(f.level));
  ext("cn1Label", "score");
  ext("cn1", std::to_string(f.score));
  ext("cs3Label", "module");
  ext("cs3", f.module);
  ext("filePath", f.path);
  std::size_t slash = f.path.rfind('/');
  if (slash != std::string::npos) ext("fname", f.path.substr(slash + 1));
  if (f.size) ext("fsize", std::to_string(*f.size));
  for (const char* algo : {"sha256", "sha1", "md5"}) {
    auto it = f.hashes.find(algo);
    if (it != f.hashes.end()) {
      ext("fileHash", it->second);
      break;
    }
  }
  if (top) {
    ext("cs1Label", "indicator");
    ext("cs1", top->indicator);
    ext("cs2Label", "source");
    ext("cs2", top->source);
    if (top->kind == trawl::reason::kC2) {
      if (IsIpLiteral(top->indicator))
        ext("dst", top->indicator);
      else if (top->indicator.find("://") != std::string::npos)
        ext("request", top->indicator);
      else
        ext("dhost", top->indicator);
    }
  }
  std::string all;
  for (const Reason& r : f.reasons)
    all += fmt::format("{}{} {} (score {}, {})", all.empty() ? "" : "; ", r.kind, r.indicator,
                       r.score, r.source);
  ext("cs4Label", "reasons");
  ext("cs4", all);
  std::string details;
  for (const auto& [k, v] : f.extra)
    details += fmt::format("{}{}={}", details.empty() ? "" : " ", k, internal::PlainValue(v));
  if (!details.empty()) {
    ext("cs5Label", "details");
    ext("cs5", details);
  }
  if (top) ext("msg", top->description);
  return s;
}

// The JSON Lines record for the json format; when it cannot be written, an
// error record saying so (valid JSON, never an empty object).
std::string JsonOrError(const Result<std::string>& line) {
  if (line.ok()) return *line;
  std::string s = "{\"type\":\"error\",\"path\":\"\",\"message\":";
  AppendJsonString(s, "trawl could not write this record as JSON: " + line.status().message());
  s += ",\"module\":\"report\"}";
  return s;
}

std::uint64_t NowMs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

std::string FormatSyslogFinding(const Finding& f, const SyslogOptions& o,
                                std::string_view timestamp, std::uint64_t seq) {
  std::string s = Header(o, Severity(f.level), timestamp, "finding");
  if (o.format == SyslogFormat::kJson) {
    return s + Meta(seq) + ' ' + JsonOrError(internal::FindingJsonLine(f));
  }
  if (o.format == SyslogFormat::kCef) {
    return s + Meta(seq) + ' ' + CefFinding(f, o, NowMs());
  }
  s += '[';
  s += kSdId;
  AppendParam(s, "level", LevelName(f.level));
  AppendParam(s, "score", std::to_string(f.score));
  AppendParam(s, "module", f.module);
  AppendTextParam(s, "path", f.path);
  if (f.size) AppendParam(s, "size", std::to_string(*f.size));
  for (const auto& [algo, hex] : f.hashes) AppendParam(s, algo, hex);
  AppendParam(s, "reasons", std::to_string(f.reasons.size()));
  for (std::size_t i = 0; i < f.reasons.size(); ++i) {
    const Reason& r = f.reasons[i];
    std::string p = fmt::format("r{}_", i);
    AppendParam(s, p + "kind", r.kind);
    AppendTextParam(s, p + "indicator", r.indicator);
    AppendTextParam(s, p + "description", r.description);
    AppendTextParam(s, p + "source", r.source);
    AppendParam(s, p + "score", std::to_string(r.score));
  }
  for (const auto& [k, v] : f.extra) AppendTextParam(s, "x_" + k, internal::PlainValue(v));
  s += ']';
  s += Meta(seq);
  const Reason* top = TopReason(f);
  s += fmt::format(" {} score {} {} {}", LevelName(f.level), f.score, f.module,
                   EscapeControl(f.path));
  if (top)
    s += fmt::format(": {} {} ({})", top->kind, EscapeControl(top->indicator),
                     EscapeControl(top->description));
  if (f.reasons.size() > 1) s += fmt::format(" and {} more reason(s)", f.reasons.size() - 1);
  return s;
}

std::string FormatSyslogSummary(const Summary& sum, const SyslogOptions& o,
                                std::string_view timestamp, std::uint64_t seq) {
  int sev = sum.alerts ? 1 : sum.warnings ? 4 : 6;
  std::string s = Header(o, sev, timestamp, "summary");
  std::string text = fmt::format(
      "trawl scan finished on {}: {}; {} alert(s), {} warning(s), {} notice(s); {} files, {} "
      "bytes in {:.1f} s; {} error(s)",
      EscapeControl(sum.host.empty() ? o.hostname : sum.host), internal::Verdict(sum), sum.alerts,
      sum.warnings, sum.notices, sum.files, sum.bytes, sum.seconds, sum.errors);
  if (o.format == SyslogFormat::kJson)
    return s + Meta(seq) + ' ' + JsonOrError(internal::SummaryJsonLine(sum));
  if (o.format == SyslogFormat::kCef) {
    std::string c = fmt::format("CEF:0|trawl|trawl|{}|trawl:summary|Scan summary: {}|{}|",
                                CefHeader(o.version), internal::Verdict(sum),
                                sum.alerts     ? 10
                                : sum.warnings ? 7
                                               : 1);
    std::string details;
    for (const auto& [k, v] : sum.extra)
      details += fmt::format(" {}={}", k, internal::PlainValue(v));
    c += fmt::format("rt={} dvchost={} cnt={} cs1Label=verdict cs1={} msg={}", NowMs(),
                     CefValue(o.hostname), sum.files, internal::Verdict(sum),
                     CefValue(text + details));
    return s + Meta(seq) + ' ' + c;
  }
  s += '[';
  s += kSdId;
  AppendParam(s, "type", "summary");
  AppendParam(s, "verdict", internal::Verdict(sum));
  AppendParam(s, "files", std::to_string(sum.files));
  AppendParam(s, "bytes", std::to_string(sum.bytes));
  AppendParam(s, "errors", std::to_string(sum.errors));
  AppendParam(s, "alerts", std::to_string(sum.alerts));
  AppendParam(s, "warnings", std::to_string(sum.warnings));
  AppendParam(s, "notices", std::to_string(sum.notices));
  AppendParam(s, "seconds", fmt::format("{:.3f}", sum.seconds));
  if (!sum.host.empty()) AppendTextParam(s, "host", sum.host);
  if (!sum.os.empty()) AppendTextParam(s, "os", sum.os);
  if (!sum.started.empty()) AppendParam(s, "started", sum.started);
  if (!sum.finished.empty()) AppendParam(s, "finished", sum.finished);
  for (const auto& [k, n] : sum.skipped) AppendParam(s, "skipped_" + k, std::to_string(n));
  for (const auto& [k, v] : sum.extra) AppendTextParam(s, "x_" + k, internal::PlainValue(v));
  s += ']';
  s += Meta(seq);
  s += ' ';
  s += text;
  return s;
}

std::string FormatSyslogProblem(const Problem& p, const SyslogOptions& o,
                                std::string_view timestamp, std::uint64_t seq) {
  std::string s = Header(o, 4, timestamp, "problem");
  std::string text = fmt::format("trawl skipped {} ({}): {}", EscapeControl(p.where),
                                 EscapeControl(p.set), EscapeControl(p.message));
  if (o.format == SyslogFormat::kJson)
    return s + Meta(seq) + ' ' + JsonOrError(internal::ProblemJsonLine(p));
  if (o.format == SyslogFormat::kCef) {
    std::string c = fmt::format(
        "CEF:0|trawl|trawl|{}|trawl:problem|Indicator entry skipped|3|rt={} dvchost={} "
        "cs1Label=set cs1={} cs2Label=where cs2={} msg={}",
        CefHeader(o.version), NowMs(), CefValue(o.hostname), CefValue(p.set), CefValue(p.where),
        CefValue(p.message));
    return s + Meta(seq) + ' ' + c;
  }
  s += '[';
  s += kSdId;
  AppendParam(s, "type", "problem");
  AppendTextParam(s, "set", p.set);
  AppendTextParam(s, "where", p.where);
  AppendTextParam(s, "message", p.message);
  s += ']';
  s += Meta(seq);
  s += ' ';
  s += text;
  return s;
}

// -------------------------------------------------------------- transport

namespace {

struct FreeSsl {
  void operator()(SSL* s) const { SSL_free(s); }
};
struct FreeSslCtx {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct FreeAddrinfo {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// A SIGPIPE raised by a write in this thread (blocked here) is taken back.
void ConsumeSigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  timespec zero{0, 0};
  while (sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {
  }
}

std::string Truncate(std::string msg, std::size_t max) {
  static constexpr std::string_view kMarker = "...[truncated]";
  if (msg.size() <= max || max <= kMarker.size()) return msg;
  std::size_t cut = max - kMarker.size();
  while (cut > 0 && (static_cast<unsigned char>(msg[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 start
  msg.resize(cut);
  msg += kMarker;
  return msg;
}

}  // namespace

struct SyslogSink::State {
  struct Item {
    std::string data;
    bool summary = false;
  };

  SyslogOptions opts;
  std::unique_ptr<SSL_CTX, FreeSslCtx> ctx;

  mutable std::mutex mu;
  std::condition_variable wake;  // for the sender
  std::condition_variable idle;  // for Drain
  std::deque<Item> queue;
  bool stop = false;
  bool abandon = false;
  bool collector_down = false;
  bool summary_queued = false;
  SyslogStats stats;
  std::thread thread;
};

namespace {

class Connection {
 public:
  explicit Connection(const SyslogOptions& o, SSL_CTX* ctx) : o_(o), ctx_(ctx) {}
  bool open() const { return fd_ != nullptr; }
  void Close() {
    if (ssl_) SSL_shutdown(ssl_.get());  // best effort close_notify
    ConsumeSigpipe();
    ssl_.reset();
    fd_.reset();
  }

  Status Connect() {
    Close();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = o_.transport == SyslogTransport::kUdp ? SOCK_DGRAM : SOCK_STREAM;
    addrinfo* res = nullptr;
    std::string port = std::to_string(o_.port);
    int rc = getaddrinfo(o_.host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) return Status::Error(fmt::format("resolving {}: {}", o_.host, gai_strerror(rc)));
    std::unique_ptr<addrinfo, FreeAddrinfo> list(res);
    std::string last = "no address";
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
      int fd =
          socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
      if (fd < 0) {
        last = std::strerror(errno);
        continue;
      }
      UniqueFd sock = AdoptFd(fd);
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
          last = std::strerror(errno);
          continue;
        }
        pollfd p{fd, POLLOUT, 0};
        int n = poll(&p, 1, static_cast<int>(o_.connect_timeout.count()));
        int err = 0;
        socklen_t len = sizeof err;
        if (n <= 0) {
          last = n == 0 ? "connect timed out" : std::strerror(errno);
          continue;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
          last = std::strerror(err ? err : errno);
          continue;
        }
      }
      // Blocking from here, every write bounded by io_timeout.
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      timeval tv{static_cast<time_t>(o_.io_timeout.count() / 1000),
                 static_cast<suseconds_t>((o_.io_timeout.count() % 1000) * 1000)};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      fd_ = std::move(sock);
      if (o_.transport == SyslogTransport::kTls) {
        Status st = Handshake();
        if (!st.ok()) {
          ssl_.reset();
          fd_.reset();
          return st;
        }
      }
      return Status::Ok();
    }
    return Status::Error(fmt::format("connecting to {}:{}: {}", o_.host, o_.port, last));
  }

  // UDP: true when an ICMP "port unreachable" came back for a datagram
  // already sent (waits up to `wait` for it).
  bool Refused(std::chrono::milliseconds wait) {
    if (o_.transport != SyslogTransport::kUdp || !fd_) return false;
    pollfd p{fd_.get().fd, 0, 0};
    poll(&p, 1, static_cast<int>(wait.count()));
    int err = 0;
    socklen_t len = sizeof err;
    return getsockopt(fd_.get().fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == ECONNREFUSED;
  }

  // False once the collector closed (or reset) a stream connection.
  bool Alive() {
    if (o_.transport == SyslogTransport::kUdp) return true;
    pollfd p{fd_.get().fd, POLLIN | POLLRDHUP, 0};
    if (poll(&p, 1, 0) <= 0) return true;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0;
  }

  Status Send(const std::string& msg) {
    if (o_.transport == SyslogTransport::kUdp) {
      ssize_t n = ::send(fd_.get().fd, msg.data(), msg.size(), MSG_NOSIGNAL);
      if (n == static_cast<ssize_t>(msg.size())) return Status::Ok();
      if (n < 0 && errno == ECONNREFUSED) return Status::Error("refused: no collector listening");
      return Status::Error(
          fmt::format("sending: {}", n < 0 ? std::strerror(errno) : "short write"));
    }
    std::string frame = std::to_string(msg.size()) + ' ' + msg;  // RFC 6587 octet counting
    if (ssl_) {
      ERR_clear_error();
      int n = SSL_write(ssl_.get(), frame.data(), static_cast<int>(frame.size()));
      if (n == static_cast<int>(frame.size())) return Status::Ok();
      int err = SSL_get_error(ssl_.get(), n);
      int saved = errno;
      ConsumeSigpipe();
      return Status::Error(err == SSL_ERROR_SYSCALL
                               ? fmt::format("TLS write: {}", std::strerror(saved))
                               : "TLS write: " + OpenSslError());
    }
    std::size_t off = 0;
    while (off < frame.size()) {
      ssize_t n = ::send(fd_.get().fd, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        return Status::Error(
            fmt::format("sending: {}", n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
                                           ? "write timed out"
                                           : std::strerror(errno)));
      off += static_cast<std::size_t>(n);
    }
    return Status::Ok();
  }

 private:
  Status Handshake() {
    ssl_.reset(SSL_new(ctx_));
    if (!ssl_) return Status::Error("TLS: " + OpenSslError());
    SSL_set_fd(ssl_.get(), fd_.get().fd);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
    if (IsIpLiteral(o_.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, o_.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_.get(), o_.host.c_str());
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl_.get(), o_.host.c_str());
    }
    ERR_clear_error();
    if (SSL_connect(ssl_.get()) != 1) {
      long v = SSL_get_verify_result(ssl_.get());
      std::string why = v != X509_V_OK ? fmt::format("certificate verification failed: {}",
                                                     X509_verify_cert_error_string(v))
                                       : OpenSslError();
      ConsumeSigpipe();
      return Status::Error(fmt::format("TLS handshake with {}:{}: {}", o_.host, o_.port, why));
    }
    return Status::Ok();
  }

  const SyslogOptions& o_;
  SSL_CTX* ctx_;
  UniqueFd fd_;
  std::unique_ptr<SSL, FreeSsl> ssl_;
};

void SenderLoop(SyslogSink::State& st) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  Connection conn(st.opts, st.ctx.get());
  bool ever_connected = false;
  auto backoff = std::chrono::milliseconds(100);
  std::unique_lock<std::mutex> lock(st.mu);
  for (;;) {
    st.wake.wait(lock, [&] { return !st.queue.empty() || st.stop || st.abandon; });
    if (st.abandon) {
      for (const auto& item : st.queue)
        if (!item.summary) st.stats.dropped_undelivered++;
      st.queue.clear();
    }
    if (st.queue.empty()) {
      st.idle.notify_all();
      if (st.stop) break;
      if (st.abandon) st.wake.wait(lock, [&] { return !st.abandon || st.stop; });
      continue;
    }
    std::string data = st.queue.front().data;
    lock.unlock();

    std::string error;
    bool sent = false;
    if (conn.open() && !conn.Alive()) conn.Close();  // the collector went away: reconnect
    if (!conn.open()) {
      Status c = conn.Connect();
      if (c.ok()) {
        if (ever_connected) {
          lock.lock();
          st.stats.reconnects++;
          lock.unlock();
        }
        ever_connected = true;
      } else {
        error = c.message();
      }
    }
    if (conn.open()) {
      Status s = conn.Send(data);
      if (s.ok())
        sent = true;
      else {
        error = s.message();
        conn.Close();
      }
    }

    lock.lock();
    if (sent) {
      if (st.queue.front().summary) st.stats.summary_delivered = true;
      st.queue.pop_front();
      st.stats.delivered++;
      st.stats.pending = st.queue.size();
      st.collector_down = false;
      backoff = std::chrono::milliseconds(100);
      if (st.queue.empty()) {
        // The last datagram's refusal would only show on the next send: look
        // for it now, before anyone reads the counts.
        if (st.opts.transport == SyslogTransport::kUdp) {
          lock.unlock();
          bool refused = conn.Refused(std::chrono::milliseconds(20));
          lock.lock();
          if (refused && st.stats.delivered > 0) {
            st.stats.delivered--;
            st.stats.refused++;
          }
        }
        if (st.queue.empty()) st.idle.notify_all();
      }
      continue;
    }
    // A refused datagram means the one before it hit a closed port (ICMP port
    // unreachable comes back on the next send): count it lost, not delivered.
    if (st.opts.transport == SyslogTransport::kUdp && error.rfind("refused", 0) == 0 &&
        st.stats.delivered > 0) {
      st.stats.delivered--;
      st.stats.refused++;
    }
    st.stats.failures++;
    st.stats.last_error = error;
    st.collector_down = true;
    st.wake.wait_for(lock, backoff, [&] { return st.abandon; });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
  }
  lock.unlock();
  conn.Close();
}

}  // namespace

Result<std::unique_ptr<SyslogSink>> SyslogSink::Create(SyslogOptions opts) {
  if (opts.host.empty()) return Status::Error("syslog: no collector host");
  if (opts.hostname.empty()) {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) == 0) opts.hostname = buf;
  }
  auto st = std::make_shared<State>();
  if (opts.transport == SyslogTransport::kTls) {
    st->ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (!st->ctx) return Status::Error("syslog TLS: " + OpenSslError());
    SSL_CTX_set_min_proto_version(st->ctx.get(), TLS1_2_VERSION);
    if (opts.tls12_only) SSL_CTX_set_max_proto_version(st->ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_verify(st->ctx.get(), SSL_VERIFY_PEER, nullptr);
    int ok = opts.ca_file.empty()
                 ? SSL_CTX_set_default_verify_paths(st->ctx.get())
                 : SSL_CTX_load_verify_locations(st->ctx.get(), opts.ca_file.c_str(), nullptr);
    if (ok != 1)
      return Status::Error(fmt::format("syslog TLS: cannot load CA certificates {}: {}",
                                       opts.ca_file.empty() ? "(system store)" : opts.ca_file,
                                       OpenSslError()));
  }
  st->opts = std::move(opts);
  State* raw = st.get();
  st->thread = std::thread([raw] { SenderLoop(*raw); });
  return std::unique_ptr<SyslogSink>(new SyslogSink(std::move(st)));
}

SyslogSink::SyslogSink(std::shared_ptr<State> state) : state_(std::move(state)) {}

SyslogSink::~SyslogSink() { (void)Close(); }

void SyslogSink::OnFinding(const Finding& f) {
  if (!EveryHit(f)) return;
  State& st = *state_;
  std::uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    seq = st.stats.queued + st.stats.dropped_full + 1;
  }
  Queue(FormatSyslogFinding(f, st.opts, internal::UtcNowIso(), seq));
}

void SyslogSink::OnProblem(const Problem& p) {
  State& st = *state_;
  std::uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    seq = st.stats.queued + st.stats.dropped_full + 1;
  }
  Queue(FormatSyslogProblem(p, st.opts, internal::UtcNowIso(), seq));
}

void SyslogSink::Queue(std::string msg) {
  State& st = *state_;
  bool truncated = false;
  if (st.opts.transport == SyslogTransport::kUdp && msg.size() > st.opts.udp_max_bytes) {
    msg = Truncate(std::move(msg), st.opts.udp_max_bytes);
    truncated = true;
  }
  std::lock_guard<std::mutex> lock(st.mu);
  if (closed_ || st.queue.size() >= st.opts.queue_capacity) {
    st.stats.dropped_full++;  // the newest message goes; the queue keeps its order
    return;
  }
  if (truncated) st.stats.truncated++;
  st.stats.queued++;
  st.queue.push_back({std::move(msg), false});
  st.stats.pending = st.queue.size();
  st.wake.notify_one();
}

void SyslogSink::OnSummary(const Summary& s) {
  State& st = *state_;
  std::uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    seq = st.stats.queued + st.stats.dropped_full + 1;
  }
  std::string msg = FormatSyslogSummary(s, st.opts, internal::UtcNowIso(), seq);
  if (st.opts.transport == SyslogTransport::kUdp && msg.size() > st.opts.udp_max_bytes)
    msg = Truncate(std::move(msg), st.opts.udp_max_bytes);
  std::lock_guard<std::mutex> lock(st.mu);
  if (closed_) return;
  st.summary_queued = true;
  st.queue.push_back({std::move(msg), true});
  st.stats.pending = st.queue.size();
  st.wake.notify_one();
}

bool SyslogSink::Drain(std::chrono::milliseconds timeout) {
  State& st = *state_;
  std::unique_lock<std::mutex> lock(st.mu);
  if (st.idle.wait_for(lock, timeout, [&] { return st.queue.empty(); })) return true;
  st.abandon = true;
  st.wake.notify_all();
  // Bounded: the sender finishes its current attempt (connect/io timeouts).
  st.idle.wait(lock, [&] { return st.queue.empty(); });
  st.abandon = false;
  st.stats.pending = 0;
  st.wake.notify_all();
  return false;
}

Status SyslogSink::Close() {
  if (closed_) return Status::Ok();
  State& st = *state_;
  std::chrono::milliseconds wait = st.opts.drain_timeout;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    // A collector that was unreachable at the last attempt gets a short grace only.
    if (st.collector_down) wait = std::min(wait, std::chrono::milliseconds(1000));
  }
  Drain(wait);
  {
    std::lock_guard<std::mutex> lock(st.mu);
    closed_ = true;
    st.stop = true;
  }
  st.wake.notify_all();
  if (st.thread.joinable()) st.thread.join();
  return Status::Ok();
}

SyslogStats SyslogSink::Stats() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stats;
}

}  // namespace trawl::report
