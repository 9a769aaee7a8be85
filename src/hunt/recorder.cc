#include "trawl/hunt/recorder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "trawl/core/paths.h"
#include "trawl/core/stop.h"
#include "trawl/logs/logs.h"
#include "trawl/read/read.h"
#include "trawl/sweep/hosts.h"

namespace trawl::hunt {

namespace fs = std::filesystem;


Result<std::unique_ptr<Recorder>> Recorder::Open(const Options& opts) {
  std::unique_ptr<Recorder> r(new Recorder);
  r->opts_ = opts;
  fs::path db = CanonicalPath(opts.path);
  r->abs_path_ = db.string();
  if (!opts.force)
    for (const std::string& root : opts.roots)
      if (PathInside(db, CanonicalPath(root)))
        return Status::Error(fmt::format(
            "--inventory {} is inside the scan root {}: it would be written on the scanned "
            "host (use --force to allow it; it is then not walked)",
            opts.path, root));
  if (!opts.since.empty()) {
    if (CanonicalPath(opts.since) == db)
      return Status::Error("--since names the same file as --inventory");
    auto since = Reader::Open(opts.since);
    if (!since.ok())
      return Status::Error("--since " + opts.since + ": " + since.status().message());
    // An interrupted scan's inventory has no (device, inode) index yet.
    if ((*since)->Meta("complete") != "1")
      return Status::Error("--since " + opts.since +
                           ": the inventory is incomplete (its scan did not finish)");
    if (Status st = (*since)->Snapshot(); !st.ok()) return Status::Error("--since " + st.message());
    r->since_ = std::move(*since);
  }
  auto w = Writer::Create(opts.path, opts.batch_rows);
  if (!w.ok()) return w.status();
  r->writer_ = std::move(*w);
  return r;
}

std::vector<std::string> Recorder::ExcludePaths() const {
  return {abs_path_, abs_path_ + "-journal"};
}

void Recorder::OnEntry(const std::string& shown, const struct stat& st,
                       const std::map<std::string, std::string>* hashes, bool reused,
                       std::optional<std::uint64_t> members) {
  FileRow row;
  row.path = shown;
  row.type = read::FileTypeName(st.st_mode);
  row.size = st.st_size;
  row.mtime_ns = MtimeNs(st);
  row.ctime_ns = CtimeNs(st);
  row.inode = st.st_ino;
  row.device = st.st_dev;
  row.mode = st.st_mode;
  row.uid = st.st_uid;
  row.gid = st.st_gid;
  if (hashes && !hashes->empty()) {
    row.hashes = *hashes;
    row.digest = reused ? "reused" : "read";
    (reused ? reused_ : read_)++;
  }
  if (members) row.members = static_cast<std::int64_t>(*members);
  files_++;
  writer_->AddFile(std::move(row));
}

void Recorder::OnMember(const std::string& shown, std::string_view chain,
                        std::optional<std::uint64_t> size,
                        const std::map<std::string, std::string>& hashes, bool reused) {
  FileRow row;
  row.path = shown;
  row.member = std::string(chain);
  row.type = "member";
  if (size) row.size = static_cast<std::int64_t>(*size);
  if (!hashes.empty()) {
    row.hashes = hashes;
    row.digest = reused ? "reused" : "read";
  }
  members_++;
  if (reused) members_reused_++;
  writer_->AddFile(std::move(row));
}

void Recorder::UnpackLimits(std::string_view limits) {
  std::lock_guard<std::mutex> lock(limits_mu_);
  if (limits_.empty()) limits_ = std::string(limits);
}

std::optional<std::vector<sweep::Context::PriorMember>> Recorder::PriorMembers(
    const std::string& shown, const struct stat& st, std::string_view limits) const {
  if (!since_ || !S_ISREG(st.st_mode) || since_->Meta("unpack_limits") != limits)
    return std::nullopt;
  return since_->PriorMembers(shown, st);
}

std::optional<std::map<std::string, std::string>> Recorder::Prior(const struct stat& st) const {
  if (!since_ || !S_ISREG(st.st_mode)) return std::nullopt;
  return since_->Prior(st);
}

void Recorder::SawHosts(std::string_view module,
                        std::vector<sweep::Context::HostSighting>&& hosts) {
  writer_->AddContacts(module, std::move(hosts));
}

Status Recorder::Finish(Summary& s, std::string_view version, std::string_view image_root) {
  std::map<std::string, std::string> meta;
  meta["host"] = s.host;
  meta["os"] = s.os;
  meta["started"] = s.started;
  meta["finished"] = s.finished;
  meta["trawl_version"] = std::string(version);
  std::string paths, sets;
  for (const std::string& p : s.paths) paths += (paths.empty() ? "" : "\n") + p;
  for (const IndicatorSetInfo& i : s.indicator_sets)
    sets += (sets.empty() ? "" : "\n") + i.name + (i.version.empty() ? "" : " " + i.version);
  meta["paths"] = paths;
  meta["indicator_sets"] = sets;
  meta["image_root"] = std::string(image_root);
  meta["files"] = std::to_string(files_.load());
  meta["digests_read"] = std::to_string(read_.load());
  meta["digests_reused"] = std::to_string(reused_.load());
  meta["members"] = std::to_string(members_.load());
  meta["members_reused"] = std::to_string(members_reused_.load());
  {
    std::lock_guard<std::mutex> lock(limits_mu_);
    if (!limits_.empty()) meta["unpack_limits"] = limits_;
  }
  if (since_) meta["since"] = since_->path();
  meta["complete"] = s.interrupted ? "0" : "1";  // an interrupted scan did not see everything
  Status st = writer_->Finish(s.inventory, meta);
  s.extra.push_back({"inventory_db", opts_.path});
  s.extra.push_back({"inventory_files", static_cast<std::int64_t>(files_.load())});
  s.extra.push_back({"inventory_members", static_cast<std::int64_t>(members_.load())});
  s.extra.push_back({"digests_read", static_cast<std::int64_t>(read_.load())});
  s.extra.push_back({"digests_reused", static_cast<std::int64_t>(reused_.load())});
  s.extra.push_back({"members_reused", static_cast<std::int64_t>(members_reused_.load())});
  return st;
}

// --- contacts ---------------------------------------------------------------

namespace {

constexpr std::uint64_t kMaxContactBytes = 1ull << 30;  // per hosts file

bool IsHostsFile(std::string_view walked) {
  auto ends = [&](std::string_view tail) {
    if (walked.size() < tail.size()) return false;
    std::string_view t = walked.substr(walked.size() - tail.size());
    for (std::size_t k = 0; k < t.size(); ++k)
      if (std::tolower(static_cast<unsigned char>(t[k])) != tail[k]) return false;
    return true;
  };
  return ends("/etc/hosts");  // also .../drivers/etc/hosts on a Windows volume
}

bool Compressed(const std::uint8_t* p, std::size_t n) {
  auto is = [&](std::initializer_list<int> m) {
    if (n < m.size()) return false;
    std::size_t k = 0;
    for (int b : m)
      if (p[k++] != b) return false;
    return true;
  };
  return is({0x1f, 0x8b}) || is({0x1f, 0x9d}) || is({'B', 'Z', 'h'}) ||
         is({0xfd, '7', 'z', 'X', 'Z', 0}) || is({0x28, 0xb5, 0x2f, 0xfd}) ||
         is({0x04, 0x22, 0x4d, 0x18});
}

// Hosts files (logs come from the log sweep's own pass, logs::HostsFn).
class ContactSweep final : public sweep::Sweep {
 public:
  explicit ContactSweep(const sweep::Settings& s) : settings_(s) {}
  bool walks() const override { return true; }
  bool Claims(const sweep::Item& item) const override {
    return item.regular && settings_.Runs(sweep::module::kNetwork) && IsHostsFile(item.walked);
  }

  sweep::Verdict Scan(const sweep::Item& item, sweep::Worker*, sweep::Context& ctx) override {
    if (!ctx.wants_hosts()) return sweep::Verdict::kContinue;
    std::string_view module = sweep::module::kNetwork;
    auto file = read::File::OpenWalked(item.read_path, item.st);
    if (!file.ok()) return sweep::Verdict::kContinue;  // the network sweep reports it
    // Bounded per file: the tally hands its values on every 65,536.
    sweep::HostTally seen(item.shown, [&](std::vector<sweep::Context::HostSighting>&& v) {
      ctx.SawHosts(module, std::move(v));
    });
    logs::TimeContext tctx;
    bool first = true, skip = false;
    std::string carry;
    std::uint64_t line_no = 0;
    auto on_line = [&](std::string_view line) {
      ++line_no;
      seen.AddText(line, [&] { return logs::ParseTimestamp(line, tctx); }, line_no);
    };
    // Bounded: a planted sparse "log" of a terabyte must not hold the scan;
    // a stopped scan (SIGINT/SIGTERM) stops tokenizing at the next chunk.
    bool stopped = false;
    auto read = read::ReadChunks(*file, kMaxContactBytes, 1u << 20, [&](const std::uint8_t* p,
                                                                        std::size_t n) {
      if (skip || stopped) return;
      if (StopRequested()) {
        stopped = true;
        return;
      }
      if (first) {
        first = false;
        if (Compressed(p, n)) {
          skip = true;
          return;
        }
        tctx = logs::DetectFormat(
            item.walked,
            std::string_view(reinterpret_cast<const char*>(p), std::min<std::size_t>(n, 64 * 1024)),
            item.st.st_mtime);
      }
      std::string_view chunk(reinterpret_cast<const char*>(p), n);
      std::size_t start = 0;
      for (std::size_t nl = chunk.find('\n'); nl != std::string_view::npos;
           nl = chunk.find('\n', start)) {
        if (!carry.empty()) {
          carry.append(chunk.substr(start, nl - start));
          on_line(carry);
          carry.clear();
        } else {
          on_line(chunk.substr(start, nl - start));
        }
        start = nl + 1;
      }
      carry.append(chunk.substr(start));
      if (carry.size() > (1u << 20)) {  // an endless line: cut it
        on_line(carry);
        carry.clear();
      }
    });
    if (skip) {
      ctx.Skip("inventory_contacts_compressed");
      return sweep::Verdict::kContinue;
    }
    if (!carry.empty() && !stopped) on_line(carry);
    if (!read.ok())
      ctx.Error(item.walked, "contact index: " + read.status().message(), module);
    else if (read->truncated)
      ctx.Error(item.walked, "contact index: only the first 1 GiB of this file was read", module);
    seen.Flush();
    return sweep::Verdict::kContinue;
  }

 private:
  const sweep::Settings& settings_;
};

}  // namespace

std::unique_ptr<sweep::Sweep> MakeContactSweep(const sweep::Settings& settings) {
  return std::make_unique<ContactSweep>(settings);
}

}  // namespace trawl::hunt
