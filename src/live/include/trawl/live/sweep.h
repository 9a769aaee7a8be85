// Live sweeps: running processes (executables, command lines, mapped
// modules, optionally memory) and network connections, matched against the
// engine's indicators; and hosts files (of a live or mounted system).
//
// The engine's pieces are borrowed (LiveEngine), built once by the caller;
// the OS is reached only through an Os (os.h). Findings and per-object errors
// go to callbacks; the sweep itself is sequential (one thread).
//
// Modules and fields (JSON Lines, via Finding::extra):
//  - "process": one finding per process with a reason, path = its executable.
//    Reasons: hash (the running executable, read through /proc/PID/exe, so a
//    deleted one too), filename (regexes over the executable path and over
//    the command line), c2/keyword (network indicators and keywords in the
//    command line), anomaly (a deleted executable: 50; a memfd executable:
//    70), yara (process memory, only with process_memory). Fields pid, ppid,
//    user, exe, cmdline (and exe_deleted when true).
//  - "process" module findings for mapped files: one per process and mapped
//    file whose hash (or path) matches, path = the mapped file; fields as
//    above plus "mapped" (true). Each mapped file is hashed once per sweep
//    (cache by device, inode, size and mtime).
//  - "network": one finding per connection whose remote address matches an
//    IP or CIDR indicator; path "PROTO LOCAL -> REMOTE"; fields proto, local,
//    remote, state, pid and exe (when the owner is known), user.
//  - "network" hosts-file findings: path the hosts file, fields line, entry
//    (the line), address, host.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/core/scoring.h"
#include "trawl/ioc/indicator.h"
#include "trawl/live/os.h"

namespace trawl::match {
class FilenameMatcher;
}
namespace trawl::netmatch {
class NetMatcher;
}
namespace trawl::yara {
class Rules;
}

namespace trawl::live {

// The engine's compiled pieces; any pointer may be null (that check is skipped).
struct LiveEngine {
  const ioc::IndicatorSet* set = nullptr;
  const match::FilenameMatcher* filenames = nullptr;
  const netmatch::NetMatcher* net = nullptr;
  std::shared_ptr<const yara::Rules> rules;  // used only with process_memory
  unsigned hash_algos = 0;                   // trawl::hash::Algo bits
  Thresholds thresholds;
};

struct LiveOptions {
  bool process_memory = false;  // YARA over process memory
  // Bytes read per process: readable private and file-backed mappings (never
  // device mappings), smallest first, concatenated into one YARA scan.
  std::uint64_t memory_cap = 256ull << 20;
  std::uint64_t max_file_size = 100ull << 20;  // executables and modules hashed up to this
  int yara_timeout = 30;
  bool skip_self = true;  // never sweep trawl's own process
};

struct LiveStats {
  std::uint64_t processes = 0, vanished = 0;
  std::uint64_t modules = 0;         // distinct mapped files
  std::uint64_t modules_hashed = 0;  // hashes computed (cache misses)
  std::uint64_t bytes = 0;           // file bytes hashed
  std::uint64_t memory_bytes = 0;    // process memory scanned
  std::uint64_t connections = 0;
  std::uint64_t hosts_entries = 0;
  std::uint64_t errors = 0;
  std::uint64_t findings = 0;
};

using FindingFn = std::function<void(const Finding&)>;
using ErrorFn = std::function<void(const ErrorRecord&)>;

// Every process of `os`. Error only when the process list cannot be read at
// all (or the OS is unsupported); a process that exits meanwhile is counted
// in `vanished`, other per-process problems are error records.
Result<LiveStats> SweepProcesses(Os& os, const LiveEngine& engine, const LiveOptions& options,
                                 const FindingFn& on_finding, const ErrorFn& on_error);

// Every socket of trawl's network namespace, owners found through each
// process's fd table. Error only when the socket tables cannot be read.
// `on_connection` (may be empty) sees every socket with a remote address (the
// host inventory's contact index), matched or not.
using ConnectionFn = std::function<void(const Socket&)>;
// "1.2.3.4:443", "[2001:db8::1]:443"; and a connection as findings name it,
// "tcp 10.0.0.5:50000 -> 203.0.113.7:443".
std::string Endpoint(const std::string& ip, std::uint16_t port);
std::string ConnectionText(const Socket& s);
Result<LiveStats> SweepNetwork(Os& os, const LiveEngine& engine, const FindingFn& on_finding,
                               const ErrorFn& on_error, const ConnectionFn& on_connection = {});

// A hosts file ("ADDRESS NAME [ALIAS...]", '#' comments): an entry naming a
// C2 domain (to any address), or mapping a name to a C2 address. `real_path`
// is read (regular files only, O_NOATIME, at most 16 MiB); `shown_path` is
// reported. A missing file is no error (returns zero entries).
Result<LiveStats> CheckHostsFile(const std::string& real_path, const std::string& shown_path,
                                 const LiveEngine& engine, const FindingFn& on_finding);

// What a scan asks of the live sweeps, decided by PlanLive.
struct LiveRequest {
  bool processes = false;  // module "process"
  bool network = false;    // module "network": connections
  bool hosts = false;      // module "network": hosts files (also on images)
  bool image = false;      // scanning a mounted image: no process or connection sweep
  std::vector<std::pair<std::string, std::string>> hosts_files;  // (real, shown)
  LiveOptions options;
  ConnectionFn on_connection;  // see SweepNetwork
};

// `modules` as --modules gave them (empty = the default set), `paths` the
// scan roots, `image` whether --root/--map made this an image scan, and
// `image_hosts` the image's hosts files (PathMap::HostsFiles). Process and
// network sweeps run when named, or by default when a root is "/" (the live
// system); never on an image. Hosts files: the live /etc/hosts, or the
// image's, when "network" runs or by default.
LiveRequest PlanLive(const std::vector<std::string>& modules, const std::vector<std::string>& paths,
                     bool image, std::vector<std::pair<std::string, std::string>> image_hosts);

struct LiveReport {
  LiveStats stats;
  std::vector<std::string> notes;  // e.g. "process sweep: off for a mounted image"
  // Summary fields: processes, modules, modules_hashed, connections, hosts_entries,
  // process_memory_bytes, live ("on", "off (image)", "not requested", "unsupported").
  std::vector<std::pair<std::string, FieldValue>> summary;
};

// Runs what `request` asks, in order: processes, connections, hosts files.
// Never fails as a whole: a sweep that cannot run becomes a note and an error record.
LiveReport RunLive(Os& os, const LiveRequest& request, const LiveEngine& engine,
                   const FindingFn& on_finding, const ErrorFn& on_error);

}  // namespace trawl::live
