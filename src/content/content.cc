#include "trawl/content/content.h"

#include <fmt/format.h>
#include <pwd.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "trawl/core/names.h"
#include "trawl/hash/hash.h"
#include "trawl/core/stop.h"
#include "trawl/read/mapped.h"
#include "trawl/read/read.h"
#include "trawl/yara/yara.h"

namespace trawl::content {
namespace {

constexpr std::size_t kChunkSize = 256 << 10;  // fits L2: every hash reads it while hot
// Files from this size on are mapped for YARA rather than read into a buffer
// (yara -r maps every file): no copy out of the page cache, no buffer grown
// and zeroed. Smaller ones are cheaper to read() than to map and unmap.
constexpr std::uint64_t kMapFrom = 1u << 20;

std::string Shrunk(const std::string& path) {
  return path + ": the file shrank while read (SIGBUS): its content is not checked";
}

std::string OwnerName(uid_t uid) {
  struct passwd pw, *result = nullptr;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) == 0 && result) return result->pw_name;
  return std::to_string(uid);
}

}  // namespace

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool HashReasons(const ioc::IndicatorSet& set, const std::map<std::string, std::string>& hashes,
                 std::string_view path, std::vector<Reason>& reasons) {
  for (const auto& [name, hex] : hashes)
    if (set.IsTrustedHash(hex)) return false;
  static const std::pair<const char*, ioc::Kind> kKinds[] = {
      {"md5", ioc::Kind::kMd5}, {"sha1", ioc::Kind::kSha1}, {"sha256", ioc::Kind::kSha256}};
  std::string_view base = BaseName(path);
  for (const auto& [name, kind] : kKinds) {
    auto it = hashes.find(name);
    if (it == hashes.end()) continue;
    for (ioc::Indicator& ind : set.FindHashes(kind, it->second)) {
      // A hash bound to a file name (STIX name AND hash) needs both.
      if (!ind.and_filename.empty() && ind.and_filename != base) continue;
      reasons.push_back({std::string(reason::kHash), std::move(ind.value),
                         std::move(ind.description), std::move(ind.source), ind.score});
    }
  }
  return true;
}

Checker::Checker(const Engine& engine)
    : engine_(engine), hasher_(std::make_unique<hash::MultiHasher>(engine.hash_algos)) {
  if (engine.rules) {
    scanner_ = std::make_unique<yara::Scanner>(engine.rules, engine.yara_timeout);
    report_ = std::make_unique<yara::ScanReport>();
  }
}
Checker::~Checker() = default;
Checker::Checker(Checker&&) noexcept = default;

bool Checker::wants_bytes() const { return engine_.hash_algos != 0 || scanner_ != nullptr; }

const yara::ScanCounters* Checker::yara_counters() const {
  return scanner_ ? &scanner_->counters() : nullptr;
}

std::string Checker::Owner(uid_t uid) {
  auto it = owners_.find(uid);  // one passwd lookup per uid and worker, not per file
  if (it == owners_.end()) it = owners_.emplace(uid, OwnerName(uid)).first;
  return it->second;
}

Result<Outcome> Checker::CheckFile(const read::File& file, std::uint64_t limit,
                                   const Subject& subject) {
  Outcome out;
  bool want_yara = scanner_ != nullptr;
  hasher_->Reset();
  buffer_.clear();
  // Read what the file held when opened (a file that grows while read, such
  // as a busy log, is not chased); pseudo files that report size 0 are read
  // to EOF, up to the cap.
  if (file.st().st_size > 0)
    limit = std::min<std::uint64_t>(limit, static_cast<std::uint64_t>(file.st().st_size));
  // A large file within the cap, for YARA: mapped (a mapping that fails is
  // read as usual).
  if (want_yara && limit >= kMapFrom && limit == static_cast<std::uint64_t>(file.st().st_size) &&
      limit <= std::numeric_limits<std::size_t>::max()) {
    auto map = read::Mapping::Map(file, static_cast<std::size_t>(limit));
    if (map.ok()) return CheckMapped(file, *map, subject);
  }
  const Deadline deadline = Deadline::After(engine_.file_timeout);
  auto stats = read::ReadChunks(
      file, limit, kChunkSize, chunk_,
      [&](const std::uint8_t* d, std::size_t n) {
        if (engine_.hash_algos) hasher_->Update(d, n);
        if (want_yara) buffer_.insert(buffer_.end(), d, d + n);
      },
      &deadline);
  if (!stats.ok()) return stats.status();
  out.bytes = stats->bytes;
  out.changed = stats->changed;
  if (stats->timed_out || stats->stopped) {
    // A digest of part of a file is not the file's: report nothing rather
    // than a hash that matches no indicator (or the wrong one).
    out.timed_out = stats->timed_out;
    out.stopped = stats->stopped;
    if (buffer_.capacity() > (64u << 20)) std::vector<std::uint8_t>().swap(buffer_);
    return out;
  }
  if (engine_.hash_algos) out.hashes = hasher_->Finish();
  Finish(buffer_, subject, out);
  // Keep the buffer's capacity for the next file, but not a huge one.
  if (buffer_.capacity() > (64u << 20)) std::vector<std::uint8_t>().swap(buffer_);
  return out;
}

Result<Outcome> Checker::CheckMapped(const read::File& file, const read::Mapping& map,
                                     const Subject& subject) {
  Outcome out;
  const std::uint8_t* const d = map.data();
  const std::size_t n = map.size();
  const Deadline deadline = Deadline::After(engine_.file_timeout);
  if (engine_.hash_algos) {
    // In chunks, as ReadChunks: the deadline and a stop request are checked
    // between them, and each runs under a SIGBUS guard.
    for (std::size_t off = 0; off < n; off += kChunkSize) {
      if (off > 0 && (StopRequested() || deadline.Passed())) {
        out.stopped = StopRequested();
        out.timed_out = !out.stopped;
        out.bytes = off;
        hasher_->Reset();
        return out;
      }
      const std::size_t k = std::min(kChunkSize, n - off);
      auto step = [&] { hasher_->Update(d + off, k); };
      if (!read::Guarded(step)) {
        hasher_->Reset();
        return Status::Error(Shrunk(file.path()));
      }
    }
    out.hashes = hasher_->Finish();
  }
  out.bytes = n;
  Finish({d, n}, subject, out, /*mapped=*/true);
  out.changed = map.Changed(file);
  return out;
}

Outcome Checker::CheckBytes(std::span<const std::uint8_t> bytes, const Subject& subject) {
  Outcome out;
  out.bytes = bytes.size();
  if (engine_.hash_algos) {
    hasher_->Reset();
    hasher_->Update(bytes.data(), bytes.size());
    out.hashes = hasher_->Finish();
  }
  Finish(bytes, subject, out);
  return out;
}

void Checker::Finish(std::span<const std::uint8_t> bytes, const Subject& subject, Outcome& out,
                     bool mapped) {
  const std::string& named = subject.name.empty() ? subject.path : subject.name;
  if (engine_.set && !HashReasons(*engine_.set, out.hashes, named, out.reasons)) {
    out.trusted = true;
    out.reasons.clear();
    return;
  }
  if (!scanner_) return;
  yara::Externals ext = yara::ExternalsForPath(subject.path);
  if (!subject.name.empty()) {  // a member: its own name, not the chain's last piece
    yara::Externals own = yara::ExternalsForPath("/" + std::string(BaseName(subject.name)));
    ext.filename = std::move(own.filename);
    ext.extension = std::move(own.extension);
  }
  if (mapped) {  // the first bytes copied under a guard, then typed
    std::uint8_t head[yara::kFileTypeBytes];
    const std::size_t hn = std::min(bytes.size(), sizeof(head));
    auto copy = [&] { std::memcpy(head, bytes.data(), hn); };
    if (!read::Guarded(copy)) {
      out.yara_error = "the file shrank while read (SIGBUS): its YARA matches are unknown";
      return;
    }
    ext.filetype = yara::FileType(head, hn);
  } else {
    ext.filetype = yara::FileType(bytes.data(), bytes.size());
  }
  auto md5 = out.hashes.find("md5");
  if (md5 != out.hashes.end()) ext.md5 = md5->second;
  if (subject.owner) ext.owner = Owner(*subject.owner);
  // A timeout names the slow rules; every other rule's matches stand.
  Status st = mapped ? scanner_->ScanMapped(bytes.data(), bytes.size(), ext, *report_)
                     : scanner_->Scan(bytes.data(), bytes.size(), ext, *report_);
  for (const yara::TimedOutRule& t : report_->timed_out)
    out.yara_timeouts.push_back(fmt::format("yara timeout after {}s in rule {}:{}",
                                            engine_.yara_timeout, t.ns_file,
                                            t.rule.empty() ? "(whole file)" : t.rule));
  if (!st.ok()) {
    out.yara_error = st.message();
    return;
  }
  for (const yara::Match& m : report_->matches) {
    std::string desc = m.description;
    if (!m.author.empty()) desc += fmt::format(" (author: {})", m.author);
    if (!m.reference.empty()) desc += fmt::format(" (reference: {})", m.reference);
    out.reasons.push_back({std::string(reason::kYara), m.rule, desc, m.ns_file, m.score});
  }
}

}  // namespace trawl::content
