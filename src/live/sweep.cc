#include "trawl/live/sweep.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "trawl/content/content.h"
#include "trawl/core/text.h"
#include "trawl/hash/hash.h"
#include "trawl/match/filename.h"
#include "trawl/netmatch/netmatch.h"
#include "trawl/read/read.h"
#include "trawl/yara/yara.h"

namespace trawl::live {
namespace {

constexpr int kDeletedScore = 50;
constexpr int kMemfdScore = 70;
constexpr std::size_t kChunk = 256 << 10;

using FileKey = std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::int64_t>;

// Hashes of files by (dev, inode, size, mtime): each file once per sweep.
class HashCache {
 public:
  explicit HashCache(unsigned algos, std::uint64_t cap) : hasher_(algos), cap_(cap) {}

  Result<const std::map<std::string, std::string>*> Get(const OpenedFile& f, LiveStats& stats) {
    FileKey key{f.dev, f.inode, f.size, f.mtime_ns};
    auto it = cache_.find(key);
    if (it != cache_.end()) return &it->second;
    if (f.size > cap_) return Status::Error("larger than --max-file-size: not hashed");
    // Read through trawl::read (the reader stage owns I/O), over a duplicate
    // of the handle the OS seam opened.
    auto file = read::File::FromFd(f.fd.get().fd, "read");
    if (!file.ok()) return file.status();
    hasher_.Reset();
    auto read =
        read::ReadChunks(*file, cap_, kChunk, buf_,
                         [&](const std::uint8_t* d, std::size_t n) { hasher_.Update(d, n); });
    if (!read.ok()) return read.status();
    std::uint64_t off = read->bytes;
    stats.bytes += off;
    ++stats.modules_hashed;
    return &(cache_[key] = hasher_.Finish());
  }

 private:
  std::map<FileKey, std::map<std::string, std::string>> cache_;
  hash::MultiHasher hasher_;
  std::vector<std::uint8_t> buf_;
  std::uint64_t cap_;
};

void AddReason(Finding& f, Reason r) {
  for (const Reason& have : f.reasons)
    if (have.kind == r.kind && have.indicator == r.indicator) return;
  f.reasons.push_back(std::move(r));
}

Reason ReasonOf(const ioc::Indicator& ind) {
  return {ioc::ReasonKind(ind.kind), ind.value, ind.description, ind.source, ind.score};
}

// Hash reasons (the content stage's one rule: trusted hashes, name-AND-hash
// on `path`'s base name); false when a hash is trusted.
bool HashReasons(const LiveEngine& e, const std::map<std::string, std::string>& hashes,
                 std::string_view path, Finding& f) {
  if (!e.set) return true;
  std::vector<Reason> reasons;
  if (!content::HashReasons(*e.set, hashes, path, reasons)) return false;
  for (Reason& r : reasons) AddReason(f, std::move(r));
  return true;
}

void ProcessFields(const ProcessInfo& p, Finding& f) {
  f.extra.push_back({"pid", std::int64_t{p.pid}});
  f.extra.push_back({"ppid", std::int64_t{p.ppid}});
  f.extra.push_back({"user", p.user});
  f.extra.push_back({"exe", p.exe});
  f.extra.push_back({"cmdline", p.cmdline});
  if (p.exe_deleted) f.extra.push_back({"exe_deleted", true});
}

bool Emit(Finding& f, const LiveEngine& e, const FindingFn& on_finding, LiveStats& stats) {
  if (f.reasons.empty()) return false;
  ScoreFinding(f, e.thresholds);
  if (f.level == Level::kNone) return false;
  ++stats.findings;
  on_finding(f);
  return true;
}

bool IsDeviceMapping(const Mapping& m) {
  if (m.path.rfind("/dev/", 0) == 0 && m.path.rfind("/dev/shm/", 0) != 0) return true;
  return m.path == "[vvar]" || m.path == "[vsyscall]" || m.path == "[vvar_vclock]";
}

class ProcessSweep {
 public:
  ProcessSweep(Os& os, const LiveEngine& e, const LiveOptions& o, const FindingFn& on_finding,
               const ErrorFn& on_error)
      : os_(os),
        e_(e),
        o_(o),
        on_finding_(on_finding),
        on_error_(on_error),
        cache_(e.hash_algos, o.max_file_size) {
    if (e.filenames) scratch_ = e.filenames->MakeScratch();
    if (e.net) {
      auto s = e.net->MakeScratch();
      if (s.ok()) net_scratch_ = std::move(*s);
    }
    if (o.process_memory && e.rules)
      scanner_ = std::make_unique<yara::Scanner>(e.rules, o.yara_timeout);
  }

  Status Run(LiveStats& stats) {
    auto pids = os_.ListPids();
    if (!pids.ok()) return pids.status();
    int self = ::getpid();
    for (int pid : *pids) {
      if (o_.skip_self && pid == self) continue;
      One(pid, stats);
    }
    stats.modules = modules_seen_.size();
    return Status::Ok();
  }

 private:
  void Error(const std::string& path, const Status& st, LiveStats& stats) {
    ++stats.errors;
    on_error_({path, st.message(), "process"});
  }

  void NameReasons(std::string_view text, Finding& f) {
    if (!e_.filenames || text.empty()) return;
    hits_.clear();
    e_.filenames->Match(text, *scratch_, hits_);
    for (const ioc::Indicator* ind : hits_) AddReason(f, ReasonOf(*ind));
  }

  void One(int pid, LiveStats& stats) {
    auto info = os_.Process(pid);
    if (!info.ok()) {
      if (Vanished(info.status()))
        ++stats.vanished;
      else
        Error("pid " + std::to_string(pid), info.status(), stats);
      return;
    }
    ++stats.processes;
    const ProcessInfo& p = *info;
    if (p.exe.empty()) return;  // a kernel thread
    Finding f;
    f.module = "process";
    f.path = p.exe;
    bool trusted = false;
    auto exe = os_.OpenExe(pid);
    if (exe.ok()) {
      f.size = exe->size;
      auto h = cache_.Get(*exe, stats);
      if (h.ok()) {
        f.hashes = **h;
        trusted = !HashReasons(e_, f.hashes, p.exe, f);
      } else {
        Error(p.exe, h.status(), stats);
      }
    } else if (!Vanished(exe.status())) {
      Error(p.exe, exe.status(), stats);
    }
    if (trusted) return;
    NameReasons(p.exe, f);
    NameReasons(p.cmdline, f);
    if (e_.net && net_scratch_ && !p.cmdline.empty()) {
      net_hits_.clear();
      if (e_.net->Scan(p.cmdline, *net_scratch_, net_hits_).ok())
        for (const netmatch::Hit& h : net_hits_) AddReason(f, ReasonOf(*h.indicator));
    }
    if (p.exe_deleted) {
      bool memfd = p.exe.rfind("/memfd:", 0) == 0;
      AddReason(f, {"anomaly", memfd ? "memfd executable" : "deleted executable",
                    memfd ? "the process runs from an anonymous memory file (fileless execution)"
                          : "the process's executable was deleted while it runs",
                    "live", memfd ? kMemfdScore : kDeletedScore});
    }
    auto maps = os_.Maps(pid);
    if (!maps.ok()) {
      if (!Vanished(maps.status())) Error(p.exe, maps.status(), stats);
    } else {
      Modules(p, *maps, stats);
      if (scanner_) Memory(p, *maps, f, stats);
    }
    ProcessFields(p, f);
    Emit(f, e_, on_finding_, stats);
  }

  void Modules(const ProcessInfo& p, const std::vector<Mapping>& maps, LiveStats& stats) {
    std::set<std::pair<std::uint64_t, std::string>> done;  // (inode, path) in this process
    for (const Mapping& m : maps) {
      if (!m.file_backed() || IsDeviceMapping(m)) continue;
      if (!done.insert({m.inode, m.path}).second) continue;
      if (m.path == p.exe) continue;  // the executable itself: checked above
      modules_seen_.insert({m.inode, m.path});
      Finding f;
      f.module = "process";
      f.path = m.path;
      auto file = os_.OpenMapped(p.pid, m);
      if (!file.ok()) {
        if (!Vanished(file.status())) Error(m.path, file.status(), stats);
        continue;
      }
      f.size = file->size;
      auto h = cache_.Get(*file, stats);
      if (!h.ok()) {
        Error(m.path, h.status(), stats);
        continue;
      }
      f.hashes = **h;
      if (!HashReasons(e_, f.hashes, m.path, f)) continue;
      NameReasons(m.path, f);
      if (f.reasons.empty()) continue;
      ProcessFields(p, f);
      f.extra.push_back({"mapped", true});
      if (m.deleted) f.extra.push_back({"mapped_deleted", true});
      Emit(f, e_, on_finding_, stats);
    }
  }

  void Memory(const ProcessInfo& p, const std::vector<Mapping>& maps, Finding& f,
              LiveStats& stats) {
    buffer_.clear();
    // Smallest regions first, so a few huge reservations (sanitizer shadow,
    // JIT arenas) cannot use up the cap before the heap, stacks and modules.
    std::vector<const Mapping*> order;
    for (const Mapping& m : maps) {
      if (!m.readable() || IsDeviceMapping(m)) continue;
      // Private (anonymous, heap, stack) and file-backed mappings; other
      // pseudo mappings such as [vdso] are kernel-provided and skipped.
      if (!m.path.empty() && m.path[0] == '[' && m.path != "[heap]" &&
          m.path.rfind("[stack", 0) != 0 && m.path.rfind("[anon", 0) != 0)
        continue;
      order.push_back(&m);
    }
    std::stable_sort(order.begin(), order.end(), [](const Mapping* a, const Mapping* b) {
      return a->end - a->start < b->end - b->start;
    });
    for (const Mapping* mp : order) {
      const Mapping& m = *mp;
      std::uint64_t left = o_.memory_cap - buffer_.size();
      if (left == 0) break;
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(m.end - m.start, left));
      if (!os_.ReadMemory(p.pid, m.start, n, region_).ok()) continue;
      buffer_.insert(buffer_.end(), region_.begin(), region_.end());
    }
    stats.memory_bytes += buffer_.size();
    yara::Externals ext = yara::ExternalsForPath(p.exe);
    ext.filetype = "MEMORY";
    auto md5 = f.hashes.find("md5");
    if (md5 != f.hashes.end()) ext.md5 = md5->second;
    ext.owner = p.user;
    auto matches = scanner_->Scan(buffer_.data(), buffer_.size(), ext);
    if (!matches.ok()) {
      Error(p.exe + " (memory of pid " + std::to_string(p.pid) + ")", matches.status(), stats);
      return;
    }
    for (const yara::Match& m : *matches)
      AddReason(f, {"yara", m.rule, m.description, m.ns_file, m.score});
    if (buffer_.capacity() > (64u << 20)) std::vector<std::uint8_t>().swap(buffer_);
  }

  Os& os_;
  const LiveEngine& e_;
  const LiveOptions& o_;
  const FindingFn& on_finding_;
  const ErrorFn& on_error_;
  HashCache cache_;
  std::unique_ptr<match::FilenameMatcher::Scratch> scratch_;
  std::unique_ptr<netmatch::NetMatcher::Scratch> net_scratch_;
  std::unique_ptr<yara::Scanner> scanner_;
  std::vector<const ioc::Indicator*> hits_;
  std::vector<netmatch::Hit> net_hits_;
  std::vector<std::uint8_t> buffer_, region_;
  std::set<std::pair<std::uint64_t, std::string>> modules_seen_;
};

bool Unspecified(const std::string& ip) { return ip == "0.0.0.0" || ip == "::"; }

}  // namespace

std::string Endpoint(const std::string& ip, std::uint16_t port) {
  if (ip.find(':') != std::string::npos) return "[" + ip + "]:" + std::to_string(port);
  return ip + ":" + std::to_string(port);
}

std::string ConnectionText(const Socket& s) {
  return s.proto + " " + Endpoint(s.local_ip, s.local_port) + " -> " +
         Endpoint(s.remote_ip, s.remote_port);
}

Result<LiveStats> SweepProcesses(Os& os, const LiveEngine& engine, const LiveOptions& options,
                                 const FindingFn& on_finding, const ErrorFn& on_error) {
  if (!os.supported()) return Status::Error("process sweep: not supported on this OS yet");
  LiveStats stats;
  ProcessSweep sweep(os, engine, options, on_finding, on_error);
  if (Status st = sweep.Run(stats); !st.ok()) return st;
  return stats;
}

Result<LiveStats> SweepNetwork(Os& os, const LiveEngine& engine, const FindingFn& on_finding,
                               const ErrorFn& on_error, const ConnectionFn& on_connection) {
  if (!os.supported()) return Status::Error("network sweep: not supported on this OS yet");
  LiveStats stats;
  auto sockets = os.Sockets();
  if (!sockets.ok()) return sockets.status();
  stats.connections = sockets->size();
  if (on_connection)
    for (const Socket& s : *sockets)
      if (!(Unspecified(s.remote_ip) && s.remote_port == 0)) on_connection(s);
  if (!engine.net) return stats;
  // Match first; look for owners only when something matched.
  std::vector<std::pair<const Socket*, const ioc::Indicator*>> hits;
  for (const Socket& s : *sockets) {
    if (Unspecified(s.remote_ip) && s.remote_port == 0) continue;
    if (const ioc::Indicator* ind = engine.net->MatchIp(s.remote_ip)) hits.emplace_back(&s, ind);
  }
  if (hits.empty()) return stats;
  std::unordered_map<std::uint64_t, int> owner;
  auto pids = os.ListPids();
  if (pids.ok()) {
    for (int pid : *pids) {
      auto inodes = os.SocketInodes(pid);
      if (!inodes.ok()) continue;
      for (std::uint64_t ino : *inodes) owner.emplace(ino, pid);
    }
  }
  for (const auto& [s, ind] : hits) {
    Finding f;
    f.module = "network";
    std::string local = Endpoint(s->local_ip, s->local_port);
    std::string remote = Endpoint(s->remote_ip, s->remote_port);
    f.path = ConnectionText(*s);
    f.reasons.push_back(ReasonOf(*ind));
    f.extra.push_back({"proto", s->proto});
    f.extra.push_back({"local", local});
    f.extra.push_back({"remote", remote});
    f.extra.push_back({"state", s->state});
    auto it = owner.find(s->inode);
    if (it != owner.end()) {
      f.extra.push_back({"pid", std::int64_t{it->second}});
      auto info = os.Process(it->second);
      if (info.ok()) {
        f.extra.push_back({"exe", info->exe});
        f.extra.push_back({"user", info->user});
      }
    } else {
      f.extra.push_back({"uid", std::int64_t{s->uid}});
    }
    Emit(f, engine, on_finding, stats);
  }
  (void)on_error;
  return stats;
}

Result<LiveStats> CheckHostsFile(const std::string& real_path, const std::string& shown_path,
                                 const LiveEngine& engine, const FindingFn& on_finding) {
  LiveStats stats;
  struct stat st;
  if (::lstat(real_path.c_str(), &st) != 0 && errno == ENOENT) return stats;
  auto file = read::File::Open(real_path);
  if (!file.ok()) return file.status();
  if (!engine.net) return stats;
  // Read whole (issue 11: a hosts file over 16 MiB was cut silently), line by
  // line in 1 MiB reads: memory stays bounded however big the file is. A line
  // longer than kMaxLine is checked in pieces (no host name is that long).
  constexpr std::size_t kMaxLine = 1u << 20;
  std::size_t no = 0;
  bool continued = false;  // the piece before was cut from this same over-long line
  auto check_line = [&](std::string_view raw) {
    if (!continued) ++no;
    std::string_view line = StripEol(raw);
    std::string_view content = line.substr(0, line.find('#'));
    std::vector<std::string_view> tokens;
    for (std::string_view t : Split(content, ' '))
      for (std::string_view u : Split(t, '\t'))
        if (!u.empty()) tokens.push_back(u);
    if (tokens.size() < 2) return;
    ++stats.hosts_entries;
    Finding f;
    f.module = "network";
    f.path = shown_path;
    if (const ioc::Indicator* ind = engine.net->MatchIp(tokens[0])) AddReason(f, ReasonOf(*ind));
    std::string host;
    for (size_t i = 1; i < tokens.size(); ++i) {
      if (const ioc::Indicator* ind = engine.net->MatchHost(tokens[i])) {
        AddReason(f, ReasonOf(*ind));
        if (host.empty()) host = std::string(tokens[i]);
      }
    }
    if (f.reasons.empty()) return;
    f.extra.push_back({"line", static_cast<std::int64_t>(no)});
    f.extra.push_back({"entry", std::string(line)});
    f.extra.push_back({"address", std::string(tokens[0])});
    f.extra.push_back({"host", host.empty() ? std::string(tokens[1]) : host});
    Emit(f, engine, on_finding, stats);
  };
  std::string pending;
  std::vector<std::uint8_t> scratch;
  // What the file held when opened; a pseudo file that says 0 is read to EOF.
  std::uint64_t limit = file->st().st_size > 0 ? static_cast<std::uint64_t>(file->st().st_size)
                                               : std::uint64_t{1} << 40;
  auto rs = read::ReadChunks(*file, limit, 1u << 20, scratch,
                             [&](const std::uint8_t* d, std::size_t n) {
                               pending.append(reinterpret_cast<const char*>(d), n);
                               std::size_t at = 0;
                               for (std::size_t nl; (nl = pending.find('\n', at)) != std::string::npos;
                                    at = nl + 1) {
                                 check_line(std::string_view(pending).substr(at, nl - at));
                                 continued = false;
                               }
                               pending.erase(0, at);
                               if (pending.size() > kMaxLine) {
                                 check_line(pending);
                                 continued = true;
                                 pending.clear();
                               }
                             });
  if (!rs.ok()) return rs.status();
  if (!pending.empty()) check_line(pending);
  return stats;
}

LiveRequest PlanLive(const std::vector<std::string>& modules, const std::vector<std::string>& paths,
                     bool image, std::vector<std::pair<std::string, std::string>> image_hosts) {
  auto named = [&](const char* m) {
    return std::find(modules.begin(), modules.end(), m) != modules.end();
  };
  bool live_root = !image && std::find(paths.begin(), paths.end(), "/") != paths.end();
  LiveRequest r;
  r.image = image;
  bool want_process = named("process") || (modules.empty() && live_root);
  bool want_network = named("network") || (modules.empty() && live_root);
  r.processes = want_process && !image;
  r.network = want_network && !image;
  if (image) {
    r.hosts = named("network") || modules.empty();
    if (r.hosts) r.hosts_files = std::move(image_hosts);
  } else if (want_network) {
    r.hosts = true;
    r.hosts_files.emplace_back("/etc/hosts", "/etc/hosts");
  }
  return r;
}

LiveReport RunLive(Os& os, const LiveRequest& req, const LiveEngine& engine,
                   const FindingFn& on_finding, const ErrorFn& on_error) {
  LiveReport rep;
  auto add = [&](const LiveStats& s) {
    rep.stats.processes += s.processes;
    rep.stats.vanished += s.vanished;
    rep.stats.modules += s.modules;
    rep.stats.modules_hashed += s.modules_hashed;
    rep.stats.bytes += s.bytes;
    rep.stats.memory_bytes += s.memory_bytes;
    rep.stats.connections += s.connections;
    rep.stats.hosts_entries += s.hosts_entries;
    rep.stats.errors += s.errors;
    rep.stats.findings += s.findings;
  };
  std::string live = "not requested";
  if (req.image) {
    live = "off (image)";
    rep.notes.push_back(
        "process and network sweeps: off for a mounted image (its processes do not run here)");
  }
  if (req.processes || req.network) {
    if (!os.supported()) {
      live = "unsupported";
      rep.notes.push_back("process and network sweeps: not supported on this OS yet");
    } else {
      live = "on";
    }
  }
  if (req.processes && os.supported()) {
    auto st = SweepProcesses(os, engine, req.options, on_finding, on_error);
    if (st.ok()) {
      add(*st);
    } else {
      ++rep.stats.errors;
      on_error({"process sweep", st.status().message(), "process"});
    }
  }
  if (req.network && os.supported()) {
    auto st = SweepNetwork(os, engine, on_finding, on_error, req.on_connection);
    if (st.ok()) {
      add(*st);
    } else {
      ++rep.stats.errors;
      on_error({"network sweep", st.status().message(), "network"});
    }
  }
  if (req.hosts) {
    for (const auto& [real, shown] : req.hosts_files) {
      auto st = CheckHostsFile(real, shown, engine, on_finding);
      if (st.ok()) {
        add(*st);
      } else {
        ++rep.stats.errors;
        on_error({shown, st.status().message(), "network"});
      }
    }
  }
  // What the OS seam dropped is said, never swallowed: a count and an error record.
  Os::Dropped dropped = os.dropped();
  if (dropped.bad_lines)
    on_error({"/proc",
              std::to_string(dropped.bad_lines) +
                  " lines of process maps or socket tables could not be parsed (skipped)",
              "process"});
  if (dropped.texts_cut)
    on_error({"/proc",
              std::to_string(dropped.texts_cut) +
                  " process maps or socket tables were longer than 16 MiB and cut there",
              "process"});
  rep.stats.errors += (dropped.bad_lines ? 1 : 0) + (dropped.texts_cut ? 1 : 0);
  auto i64 = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  rep.summary.push_back({"live", live});
  if (dropped.bad_lines) rep.summary.push_back({"procfs_bad_lines", i64(dropped.bad_lines)});
  if (dropped.texts_cut) rep.summary.push_back({"procfs_texts_cut", i64(dropped.texts_cut)});
  if (req.processes && os.supported()) {
    rep.summary.push_back({"processes", i64(rep.stats.processes)});
    rep.summary.push_back({"modules", i64(rep.stats.modules)});
    rep.summary.push_back({"modules_hashed", i64(rep.stats.modules_hashed)});
    if (req.options.process_memory)
      rep.summary.push_back({"process_memory_bytes", i64(rep.stats.memory_bytes)});
  }
  if (req.network && os.supported())
    rep.summary.push_back({"connections", i64(rep.stats.connections)});
  if (req.hosts) rep.summary.push_back({"hosts_entries", i64(rep.stats.hosts_entries)});
  return rep;
}

}  // namespace trawl::live
