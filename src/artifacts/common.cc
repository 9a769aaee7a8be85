// Shared machinery of the artifact sweeps: the sweeper front end, hit
// collection, field scanning, excerpts, times, findings and the timeline.
#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <limits>

#include "internal.h"
#include "trawl/core/civil_time.h"
#include "trawl/core/text.h"
#include "trawl/evtx/evtx.h"

namespace trawl::artifacts {

const char* ModuleName(Type type) {
  switch (type) {
    case Type::kEvtx:
      return "evtx";
    case Type::kJournal:
      return "journal";
    case Type::kChromiumHistory:
    case Type::kFirefoxPlaces:
      return "browser";
    case Type::kNone:
      break;
  }
  return "";
}

namespace detail {

Result<ScratchPool::Lease> ScratchPool::Get() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      auto s = std::move(free_.back());
      free_.pop_back();
      return Lease(this, std::move(s));
    }
  }
  auto s = matcher_.MakeScratch();
  if (!s.ok()) return s.status();
  return Lease(this, std::move(s).value());
}

void ScratchPool::Put(std::unique_ptr<netmatch::NetMatcher::Scratch> s) {
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(std::move(s));
}

bool Collector::Count(const ioc::Indicator* ind, std::optional<std::int64_t> time_us) {
  r_.hits_total++;
  logs::Tally& t = r_.tally[ind];
  t.hits++;
  if (time_us) {
    std::int64_t ms = FloorMillis(*time_us);
    if (!t.first_ms || ms < *t.first_ms) t.first_ms = ms;
    if (!t.last_ms || ms > *t.last_ms) t.last_ms = ms;
  }
  return t.hits <= opts_.max_hits_per_file;  // the cap counts per indicator
}

void Collector::Error(std::string message) {
  if (r_.errors.size() < opts_.max_errors_per_file)
    r_.errors.push_back(std::move(message));
  else
    errors_dropped_++;
}

void Collector::Finish() {
  if (errors_dropped_)
    r_.errors.push_back(fmt::format("{} more problems in this file (not listed)", errors_dropped_));
  errors_dropped_ = 0;
}

Status FieldScanner::Scan(const netmatch::NetMatcher& m, netmatch::NetMatcher::Scratch& scratch,
                          const std::vector<std::string_view>& values, std::vector<FieldHit>& out) {
  buf_.clear();
  starts_.clear();
  for (std::string_view v : values) {
    starts_.push_back(buf_.size());
    buf_.append(v);
    buf_.push_back('\n');
  }
  hits_.clear();
  Status st = m.Scan(buf_, scratch, hits_);
  if (!st.ok()) return st;
  for (netmatch::Hit& h : hits_) {
    // The value holding the match: the last start at or before its offset.
    auto it = std::upper_bound(starts_.begin(), starts_.end(), h.offset);
    if (it == starts_.begin()) continue;
    std::size_t field = static_cast<std::size_t>(it - starts_.begin()) - 1;
    std::size_t vbegin = starts_[field];
    std::size_t vsize = values[field].size();
    std::size_t begin = h.offset - vbegin;
    if (begin > vsize) continue;  // on the separator: cannot happen, but never index past
    std::size_t end = std::min(vsize, begin + h.length);
    bool seen = false;
    for (const FieldHit& prev : out)
      if (prev.field == field && prev.indicator == h.indicator) seen = true;
    if (seen) continue;
    out.push_back({field, h.indicator, begin, end, EscapeControl(h.matched)});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const FieldHit& a, const FieldHit& b) { return a.field < b.field; });
  return Status::Ok();
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Times

namespace {

constexpr std::int64_t kMicrosPerDay = 86400LL * 1000000;
// Microseconds from 1601-01-01 to 1970-01-01.
constexpr std::int64_t kWebKitToUnix = 11644473600LL * 1000000;

}  // namespace

std::string FormatIsoUtcMicros(std::int64_t unix_us) {
  std::int64_t days = unix_us / kMicrosPerDay;
  std::int64_t rem = unix_us % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
    days--;
  }
  const CivilDate c = CivilFromDays(days);
  std::int64_t secs = rem / 1000000;
  std::int64_t frac = rem % 1000000;
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month, c.day,
                                secs / 3600, secs / 60 % 60, secs % 60);
  if (frac % 1000 == 0) {
    if (frac) out += fmt::format(".{:03}", frac / 1000);
  } else {
    out += fmt::format(".{:06}", frac);
  }
  out += 'Z';
  return out;
}

std::optional<std::int64_t> WebKitToUnixMicros(std::int64_t webkit_us) {
  if (webkit_us <= 0) return std::nullopt;
  // Year 10000 and later is not a time a browser wrote.
  if (webkit_us > std::numeric_limits<std::int64_t>::max() / 2) return std::nullopt;
  return webkit_us - kWebKitToUnix;
}

std::optional<std::int64_t> PrTimeToUnixMicros(std::int64_t prtime_us) {
  if (prtime_us <= 0) return std::nullopt;
  if (prtime_us > std::numeric_limits<std::int64_t>::max() / 2) return std::nullopt;
  return prtime_us;
}

// ---------------------------------------------------------------------------
// Excerpts

namespace {

// Length of the unit (one UTF-8 sequence, or one byte) starting at s[i].
std::size_t UnitLen(std::string_view s, std::size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  std::size_t n = c >= 0xF0 && c <= 0xF4   ? 4
                  : c >= 0xE0 && c <= 0xEF ? 3
                  : c >= 0xC2 && c <= 0xDF ? 2
                                           : 1;
  if (n == 1 || i + n > s.size()) return 1;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  return n;
}

// Start of the unit that ends right before s[i] (i > 0).
std::size_t PrevUnitStart(std::string_view s, std::size_t i) {
  for (std::size_t back = 2; back <= 4 && back <= i; ++back)
    if (UnitLen(s, i - back) == back) return i - back;
  return i - 1;
}

// Start of the unit holding s[i].
std::size_t UnitStartAt(std::string_view s, std::size_t i) {
  for (std::size_t back = 1; back <= 3 && back <= i; ++back)
    if (UnitLen(s, i - back) > back) return i - back;
  return i;
}

}  // namespace

std::string Excerpt(std::string_view value, std::size_t match_begin, std::size_t match_end,
                    std::size_t max_bytes) {
  std::string all = EscapeControl(value);
  if (all.size() <= max_bytes) return all;
  max_bytes = std::max<std::size_t>(max_bytes, 16);
  const std::size_t budget = max_bytes - 6;  // room for "..." on both sides
  match_begin = std::min(match_begin, value.size());
  match_end = std::clamp(match_end, match_begin, value.size());
  std::size_t l = match_begin < value.size() ? UnitStartAt(value, match_begin) : value.size();
  std::size_t r = l;
  std::string mid;
  // The match itself first (cut when it alone exceeds the budget).
  while (r < match_end) {
    std::size_t n = UnitLen(value, r);
    std::string esc = EscapeControl(value.substr(r, n));
    if (mid.size() + esc.size() > budget) break;
    mid += esc;
    r += n;
  }
  std::vector<std::string> left;  // pieces, nearest first
  std::size_t left_size = 0;
  std::string right;
  bool grow = true;
  while (grow) {
    grow = false;
    if (r < value.size()) {
      std::size_t n = UnitLen(value, r);
      std::string esc = EscapeControl(value.substr(r, n));
      if (mid.size() + left_size + right.size() + esc.size() <= budget) {
        right += esc;
        r += n;
        grow = true;
      }
    }
    if (l > 0) {
      std::size_t p = PrevUnitStart(value, l);
      std::string esc = EscapeControl(value.substr(p, l - p));
      if (mid.size() + left_size + right.size() + esc.size() <= budget) {
        left_size += esc.size();
        left.push_back(std::move(esc));
        l = p;
        grow = true;
      }
    }
  }
  std::string out;
  out.reserve(max_bytes);
  if (l > 0) out += "...";
  for (auto it = left.rbegin(); it != left.rend(); ++it) out += *it;
  out += mid;
  out += right;
  if (r < value.size()) out += "...";
  return out;
}

// ---------------------------------------------------------------------------
// Findings and the timeline

std::vector<Finding> ToFindings(const std::string& path, const SweepResult& result,
                                const Thresholds& t) {
  std::vector<Finding> out;
  auto make = [&](const Hit& hit) {
    Finding f;
    f.module = ModuleName(result.type);
    f.path = path;
    const ioc::Indicator& ind = *hit.indicator;
    f.reasons.push_back(
        {ioc::ReasonKind(ind.kind), ind.value, ind.description, ind.source, ind.score});
    f.extra = hit.fields;
    // `time` goes where the module wants it: after the locator fields
    // (record / url), else first.
    if (!hit.time_text.empty()) {
      auto pos = f.extra.begin();
      if (pos != f.extra.end() && (pos->first == "record" || pos->first == "url")) ++pos;
      f.extra.insert(pos, {"time", hit.time_text});
    }
    ScoreFinding(f, t);
    return f;
  };
  for (const Hit& hit : result.hits) {
    Finding f = make(hit);
    f.audience = Finding::Audience::kMachine;
    out.push_back(std::move(f));
  }
  for (const auto& [ind, tally] : result.tally) {
    const Hit* first = nullptr;
    for (const Hit& hit : result.hits)
      if (hit.indicator == ind) {
        first = &hit;
        break;
      }
    if (!first) continue;
    out.push_back(logs::Aggregate(make(*first), tally));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Summary counts

void SweepStats::Add(const SweepResult& r) {
  std::string m = ModuleName(r.type);
  if (m.empty()) return;
  const char* item = r.type == Type::kEvtx      ? "_records"
                     : r.type == Type::kJournal ? "_entries"
                                                : "_urls";
  std::lock_guard<std::mutex> lock(mu_);
  counts_[m + (r.type == Type::kEvtx || r.type == Type::kJournal ? "_files" : "_databases")]++;
  counts_[m + item] += static_cast<std::int64_t>(r.items);
  counts_[m + "_hits"] += static_cast<std::int64_t>(r.hits_total);
  if (r.type == Type::kEvtx)
    counts_["evtx_slack_unrecoverable"] += static_cast<std::int64_t>(r.slack_unrecoverable);
}

std::vector<std::pair<std::string, FieldValue>> SweepStats::SummaryFields(
    const Options& ran) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, FieldValue>> out;
  auto put = [&](const char* key) {
    auto it = counts_.find(key);
    out.push_back({key, it == counts_.end() ? std::int64_t{0} : it->second});
  };
  if (ran.evtx) {
    put("evtx_files");
    put("evtx_records");
    put("evtx_hits");
    put("evtx_slack_unrecoverable");
  }
  if (ran.journal) {
    put("journal_files");
    put("journal_entries");
    put("journal_hits");
  }
  if (ran.browser) {
    put("browser_databases");
    put("browser_urls");
    put("browser_hits");
  }
  return out;
}

// ---------------------------------------------------------------------------
// Sweeper

struct Sweeper::Impl {
  Impl(const netmatch::NetMatcher& m, Options o) : matcher(m), opts(std::move(o)), pool(m) {
    if (opts.browser) {
      std::string tmpl = detail::TempBase(opts) + "/trawl-XXXXXX";
      if (mkdtemp(tmpl.data())) private_root = tmpl;  // else: per-database dirs in the temp dir
    }
  }
  ~Impl() {
    if (!private_root.empty()) detail::RemovePrivateDir(private_root);
  }
  const netmatch::NetMatcher& matcher;
  Options opts;
  mutable detail::ScratchPool pool;
  std::string private_root;
};

Sweeper::Sweeper(const netmatch::NetMatcher& matcher, Options opts)
    : impl_(std::make_unique<Impl>(matcher, std::move(opts))) {}
Sweeper::~Sweeper() = default;

const Options& Sweeper::options() const { return impl_->opts; }
const std::string& Sweeper::private_root() const { return impl_->private_root; }

Target Sweeper::Detect(const std::string& path, const struct stat& st,
                       const std::string& read_path,
                       const std::function<std::optional<std::string_view>()>& head) const {
  const Options& o = impl_->opts;
  Target t;
  if (!S_ISREG(st.st_mode)) return t;
  if (IsEvtxName(path)) {
    if (o.evtx) t.type = Type::kEvtx;
    return t;
  }
  if (IsJournalName(path)) {
    if (o.journal) t.type = Type::kJournal;
    return t;
  }
  if (o.browser) {
    Target b = BrowserTargetOf(path);
    if (b.type != Type::kNone) return b;
  }
  // An EVTX file under another name: only a file with more than the 4 KiB
  // file header can hold a record.
  if (o.evtx && st.st_size > 4096) {
    std::optional<std::string_view> h = head ? head() : std::nullopt;
    if (h ? evtx::HasFileSignature(*h) : HasEvtxMagic(read_path)) t.type = Type::kEvtx;
  }
  return t;
}

Result<std::unique_ptr<Sweeper::EvtxScan>> Sweeper::BeginEvtx(const std::string& path,
                                                             sweep::HostTally* hosts) const {
  return detail::MakeEvtxScan(path, impl_->matcher, impl_->pool, impl_->opts, hosts);
}

Result<SweepResult> Sweeper::Scan(const std::string& read_path, const Target& target,
                                  sweep::HostTally* hosts) const {
  return Scan(Walked{read_path}, target, hosts);
}

Result<SweepResult> Sweeper::Scan(const Walked& file, const Target& target,
                                  sweep::HostTally* hosts) const {
  switch (target.type) {
    case Type::kEvtx:
      return detail::ScanEvtxFile(file.path, impl_->matcher, impl_->pool, impl_->opts, hosts);
    case Type::kJournal:
      return detail::ScanJournalFile(file, impl_->matcher, impl_->pool, impl_->opts, hosts);
    case Type::kChromiumHistory:
    case Type::kFirefoxPlaces:
      return detail::ScanBrowserFile(file, target, impl_->matcher, impl_->opts,
                                     impl_->private_root, hosts);
    case Type::kNone:
      break;
  }
  return Status::Error(file.path + ": not an artifact this sweep reads");
}

namespace detail {

Result<read::File> OpenWalked(const Walked& file, const std::string& suffix) {
  const std::string path = file.path + suffix;
  if (file.dir_fd < 0) {
    if (!suffix.empty() || !file.walked) return read::File::Open(path);
    return read::File::OpenWalked(path, *file.walked);
  }
  const std::string name = file.name + suffix;
  if (!suffix.empty() || !file.walked) return read::File::OpenAt(file.dir_fd, name, path);
  return read::File::OpenWalkedAt(file.dir_fd, name, path, *file.walked);
}

}  // namespace detail

}  // namespace trawl::artifacts
