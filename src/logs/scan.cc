// Reading logs (plain or compressed) in line-aligned chunks, scanning chunks
// in parallel, and turning matcher hits into LogHits with lines and times.
#include <errno.h>
#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_pipeline.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>

#include "trawl/core/stop.h"
#include "trawl/core/text.h"
#include "trawl/logs/logs.h"
#include "trawl/netmatch/addr.h"
#include "trawl/sweep/hosts.h"
#include "trawl/read/read.h"
#include "trawl/read/unpack.h"

namespace trawl::logs {
namespace {

constexpr std::size_t kExcerptBytes = 512;

// --- Sources: where the bytes of one file come from -----------------------

class Source {
 public:
  virtual ~Source() = default;
  // Up to n bytes into buf; 0 at the end. On error, returns 0 and sets error.
  virtual std::size_t Read(char* buf, std::size_t n) = 0;
  std::optional<std::string> error;
};

// A regular file, read up to the size it had when opened: data appended later
// is not part of this scan; a file that shrinks ends early and says so.
class PlainSource : public Source {
 public:
  PlainSource(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  std::size_t Read(char* buf, std::size_t n) override {
    if (done_ >= size_) return 0;
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - done_));
    while (true) {
      ssize_t r = ::read(fd_, buf, n);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        error = std::string("read error: ") + std::strerror(errno);
        return 0;
      }
      if (r == 0) {
        error = "file shrank while read (" + std::to_string(done_) + " of " +
                std::to_string(size_) + " bytes)";
        return 0;
      }
      done_ += static_cast<std::uint64_t>(r);
      return static_cast<std::size_t>(r);
    }
  }

 private:
  int fd_;
  std::uint64_t size_;
  std::uint64_t done_ = 0;
};

// A compressed stream, decompressed by the reader stage within its limits.
class DecoderSource : public Source {
 public:
  explicit DecoderSource(read::Decoder& d) : d_(d) {}
  std::size_t Read(char* buf, std::size_t n) override {
    std::size_t got = d_.Read(buf, n);
    if (got == 0 && d_.error() && !error) error = *d_.error();
    return got;
  }

 private:
  read::Decoder& d_;
};

// A byte no host name, address or URL path contains: a safe place to cut a
// line too long to keep whole.
bool IsHardBoundary(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\0' || c == '"'; }

// --- Chunks ---------------------------------------------------------------

struct Chunk {
  std::string data;
  std::uint64_t offset = 0;  // of data[0] in the stream
  // data[0, overlap) repeats the end of the previous chunk, which had to be
  // cut inside a token-sized run without a safe byte: a token across the cut
  // is found whole here; hits lying wholly inside the overlap were the
  // previous chunk's and are dropped. No line break is in it.
  std::size_t overlap = 0;
};

// Bytes repeated after a forced cut: longer than any host name (253),
// address, or URL the matcher reports (2 KiB).
constexpr std::size_t kCutOverlap = 8 << 10;

// Cuts a source into chunks that end at a line break.
class Chunker {
 public:
  Chunker(Source& src, const LogOptions& opts)
      : deadline_(Deadline::After(opts.max_seconds)), src_(src), opts_(opts) {}

  // False at the end of the stream.
  bool Next(Chunk& c) {
    c.data = std::move(carry_);
    carry_.clear();
    c.overlap = carry_overlap_;
    carry_overlap_ = 0;
    c.offset = offset_ - c.overlap;
    std::size_t want = c.overlap + std::max<std::size_t>(opts_.chunk_bytes, 1);
    while (true) {
      while (!eof_ && c.data.size() < want) Fill(c.data, want);
      if (eof_) break;
      auto nl = c.data.rfind('\n');
      if (nl != std::string::npos) {
        carry_.assign(c.data, nl + 1, std::string::npos);
        c.data.resize(nl + 1);
        break;
      }
      if (c.data.size() - c.overlap >= std::max<std::size_t>(opts_.max_line_bytes, 1)) {
        // A huge line: cut at the last hard boundary in its last 64 KiB;
        // without one, cut anyway and repeat the last kCutOverlap bytes at
        // the start of the next chunk, so no token is split (issue 11).
        std::size_t cut = c.data.size();
        std::size_t floor = std::max(cut > 65536 ? cut - 65536 : 0, c.overlap);
        bool boundary = false;
        for (std::size_t p = cut; p > floor; --p) {
          if (IsHardBoundary(c.data[p - 1])) {
            cut = p;
            boundary = true;
            break;
          }
        }
        std::size_t keep = boundary ? 0 : std::min(kCutOverlap, cut - c.overlap);
        carry_.assign(c.data, cut - keep, std::string::npos);
        carry_overlap_ = keep;
        c.data.resize(cut);
        break;
      }
      want = c.data.size() + std::max<std::size_t>(opts_.chunk_bytes, 1);
    }
    offset_ += c.data.size() - c.overlap;
    return c.data.size() > c.overlap;
  }
  bool eof() const { return eof_ && carry_.empty(); }

 private:
  void Fill(std::string& buf, std::size_t want) {
    if (StopRequested()) {  // the scan was stopped: the file ends here, and says so
      eof_ = true;
      stopped_ = true;
      return;
    }
    if (opts_.max_bytes && read_ >= opts_.max_bytes) {
      eof_ = true;
      capped_ = true;
      return;
    }
    if (deadline_.Passed()) {  // --file-timeout: the rest of this file is not read
      eof_ = true;
      timed_out_ = true;
      return;
    }
    std::size_t n = want - buf.size();
    if (opts_.max_bytes)
      n = static_cast<std::size_t>(std::min<std::uint64_t>(n, opts_.max_bytes - read_));
    // Decompressors hand out small pieces: fill the whole request before
    // shrinking, so the buffer is resized once per request, not per piece.
    std::size_t old = buf.size();
    buf.resize(old + n);
    std::size_t got = 0;
    while (got < n) {
      std::size_t r = src_.Read(buf.data() + old + got, n - got);
      if (r == 0) {
        eof_ = true;
        break;
      }
      got += r;
    }
    buf.resize(old + got);
    read_ += got;
  }

 public:
  bool capped_ = false;
  bool stopped_ = false;
  bool timed_out_ = false;
  Deadline deadline_;

 private:
  Source& src_;
  const LogOptions& opts_;
  std::string carry_;
  std::size_t carry_overlap_ = 0;  // of carry_, bytes the chunk before already held
  std::uint64_t offset_ = 0;
  std::uint64_t read_ = 0;
  bool eof_ = false;
};

// What one chunk contributes; lines are relative to the chunk (0-based).
struct ChunkResult {
  std::uint64_t bytes = 0;
  std::uint64_t newlines = 0;
  bool ends_with_newline = false;
  std::vector<LogHit> hits;
  std::map<const ioc::Indicator*, Tally> tally;
  std::uint64_t hits_total = 0;
  sweep::HostTally hosts;  // with a HostsFn only; locators are chunk lines (0-based)
  std::optional<std::string> error;
};

// Every host name, address and URL of every line of a chunk, with the line's
// time (parsed only for lines that name one). A token ending inside the
// overlap was the previous chunk's.
void CollectHosts(const Chunk& c, const TimeContext& ctx, sweep::HostTally& out) {
  std::string_view d = c.data;
  std::uint64_t line = 0;
  for (std::size_t start = 0; start < d.size(); ++line) {
    std::size_t nl = d.find('\n', start);
    std::size_t end = nl == std::string_view::npos ? d.size() : nl;
    std::string_view text = d.substr(start, end - start);
    std::size_t skip = start < c.overlap ? c.overlap - start : 0;
    out.AddText(text, [&] { return ParseTimestamp(text, ctx); }, line, skip);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
}

std::uint64_t CountNewlines(const char* p, const char* e) {
  std::uint64_t n = 0;
  while (p < e) {
    const void* q = std::memchr(p, '\n', static_cast<std::size_t>(e - p));
    if (!q) break;
    ++n;
    p = static_cast<const char*>(q) + 1;
  }
  return n;
}

std::string Excerpt(std::string_view line, std::size_t match_at, std::size_t match_len) {
  line = StripEol(line);
  if (line.size() <= kExcerptBytes) return EscapeControl(line);
  std::size_t len = std::min(match_len, kExcerptBytes);
  std::size_t start =
      match_at > (kExcerptBytes - len) / 2 ? match_at - (kExcerptBytes - len) / 2 : 0;
  start = std::min(start, line.size() - kExcerptBytes);
  std::string out = start > 0 ? "..." : "";
  out += EscapeControl(line.substr(start, kExcerptBytes));
  if (start + kExcerptBytes < line.size()) out += "...";
  return out;
}

void Merge(Tally& into, const Tally& t) {
  into.hits += t.hits;
  if (t.first_ms && (!into.first_ms || *t.first_ms < *into.first_ms)) into.first_ms = t.first_ms;
  if (t.last_ms && (!into.last_ms || *t.last_ms > *into.last_ms)) into.last_ms = t.last_ms;
}

}  // namespace

struct LogScanner::Impl {
  const netmatch::NetMatcher& matcher;
  LogOptions opts;
  mutable tbb::enumerable_thread_specific<std::unique_ptr<netmatch::NetMatcher::Scratch>> scratch;

  Impl(const netmatch::NetMatcher& m, LogOptions o) : matcher(m), opts(std::move(o)) {}

  netmatch::NetMatcher::Scratch* LocalScratch(std::optional<std::string>& err) const {
    auto& s = scratch.local();
    if (!s) {
      auto made = matcher.MakeScratch();
      if (!made.ok()) {
        err = made.status().message();
        return nullptr;
      }
      s = std::move(made).value();
    }
    return s.get();
  }

  ChunkResult Process(const Chunk& c, const TimeContext& ctx, bool hosts) const;
  LogFileResult Run(Chunker& chunker, Source& src, const std::string& name, std::int64_t mtime,
                    const HostsFn& hosts) const;
  void Ended(const Chunker& chunker, LogFileResult& out) const;
};

ChunkResult LogScanner::Impl::Process(const Chunk& c, const TimeContext& ctx, bool hosts) const {
  ChunkResult r;
  const std::string& d = c.data;
  r.bytes = d.size() - c.overlap;
  r.ends_with_newline = !d.empty() && d.back() == '\n';
  if (hosts) CollectHosts(c, ctx, r.hosts);
  std::vector<netmatch::Hit> hits;
  if (!matcher.empty()) {
    netmatch::NetMatcher::Scratch* s = LocalScratch(r.error);
    if (!s) return r;
    Status st = matcher.Scan(d, *s, hits);
    if (!st.ok()) r.error = st.message();
  }
  const char* base = d.data();
  std::uint64_t line = 0;
  std::size_t pos = 0;
  std::size_t cached_line_begin = std::string::npos;
  std::optional<std::int64_t> cached_time;
  for (const netmatch::Hit& h : hits) {
    if (h.offset + h.length <= c.overlap) continue;  // the previous chunk's hit
    line += CountNewlines(base + pos, base + h.offset);
    pos = h.offset;
    const void* lb = h.offset ? memrchr(base, '\n', h.offset) : nullptr;
    std::size_t line_begin =
        lb ? static_cast<std::size_t>(static_cast<const char*>(lb) - base) + 1 : 0;
    const void* le = std::memchr(base + h.offset, '\n', d.size() - h.offset);
    std::size_t line_end =
        le ? static_cast<std::size_t>(static_cast<const char*>(le) - base) : d.size();
    std::string_view line_text(base + line_begin, line_end - line_begin);
    if (line_begin != cached_line_begin) {
      cached_line_begin = line_begin;
      cached_time = ParseTimestamp(line_text, ctx);
    }
    Tally& t = r.tally[h.indicator];
    Merge(t, Tally{1, cached_time, cached_time});
    ++r.hits_total;
    if (t.hits <= opts.max_hits_per_file) {  // the cap counts per indicator
      LogHit lh;
      lh.indicator = h.indicator;
      lh.line = line;
      lh.offset = c.offset + h.offset;
      lh.time_unix_ms = cached_time;
      if (cached_time) lh.time_text = FormatIsoUtc(*cached_time);
      lh.excerpt = Excerpt(line_text, h.offset - line_begin, h.length);
      lh.matched = EscapeControl(h.matched);
      r.hits.push_back(std::move(lh));
    }
  }
  r.newlines = line + CountNewlines(base + pos, base + d.size());
  return r;
}

LogFileResult LogScanner::Impl::Run(Chunker& chunker, Source& src, const std::string& name,
                                    std::int64_t mtime, const HostsFn& hosts) const {
  LogFileResult out;

  std::map<const ioc::Indicator*, std::uint64_t> kept;  // hits kept per indicator
  std::uint64_t line_base = 0;
  bool last_nl = true;
  auto absorb = [&](ChunkResult&& r) {
    for (LogHit& h : r.hits) {
      // Per indicator: one planted contact is not hidden behind 1,000 hits of another.
      if (++kept[h.indicator] > opts.max_hits_per_file) continue;
      h.line += line_base + 1;
      out.hits.push_back(std::move(h));
    }
    for (const auto& [ind, t] : r.tally) Merge(out.tally[ind], t);
    out.hits_total += r.hits_total;
    out.bytes += r.bytes;
    std::uint64_t line_base_before = line_base;
    line_base += r.newlines;
    if (r.bytes) last_nl = r.ends_with_newline;
    if (r.error && !out.error) out.error = r.error;
    // Each chunk's distinct values, in file order (the receiver merges
    // across chunks and files).
    if (hosts && !r.hosts.empty()) {
      std::vector<HostSeen> batch;
      batch.reserve(r.hosts.size());
      r.hosts.Drain([&](std::string_view kind, std::string&& value, sweep::HostTally::Agg& h) {
        batch.push_back({std::string(kind), std::move(value), h.count, h.first_ms, h.last_ms,
                         line_base_before + h.where + 1});
      });
      hosts(std::move(batch));
    }
  };

  Chunk first;
  if (!chunker.Next(first)) {
    out.error = src.error;
    Ended(chunker, out);
    return out;
  }
  const bool want_hosts = static_cast<bool>(hosts);
  TimeContext ctx = DetectFormat(name, first.data, mtime);
  out.format = ctx.format;
  if (chunker.eof()) {
    absorb(Process(first, ctx, want_hosts));
  } else {
    bool have_first = true;
    const std::size_t tokens = 4;
    tbb::parallel_pipeline(
        tokens,
        tbb::make_filter<void, Chunk*>(tbb::filter_mode::serial_in_order,
                                       [&](tbb::flow_control& fc) -> Chunk* {
                                         if (have_first) {
                                           have_first = false;
                                           return new Chunk(std::move(first));
                                         }
                                         auto c = std::make_unique<Chunk>();
                                         if (!chunker.Next(*c)) {
                                           fc.stop();
                                           return nullptr;
                                         }
                                         return c.release();
                                       }) &
            tbb::make_filter<Chunk*, ChunkResult*>(tbb::filter_mode::parallel,
                                                   [&](Chunk* c) -> ChunkResult* {
                                                     std::unique_ptr<Chunk> own(c);
                                                     return new ChunkResult(
                                                         Process(*own, ctx, want_hosts));
                                                   }) &
            tbb::make_filter<ChunkResult*, void>(tbb::filter_mode::serial_in_order,
                                                 [&](ChunkResult* r) {
                                                   std::unique_ptr<ChunkResult> own(r);
                                                   absorb(std::move(*own));
                                                 }));
  }
  out.lines = line_base + (out.bytes > 0 && !last_nl ? 1 : 0);
  if (src.error && !out.error) out.error = src.error;
  Ended(chunker, out);
  return out;
}

// Why the chunker stopped early (a cap, the time budget, a stop request), in
// the result; also when it stopped before the first chunk.
void LogScanner::Impl::Ended(const Chunker& chunker, LogFileResult& out) const {
  if (chunker.capped_) {
    out.capped = true;
    if (!out.error)
      out.error = "stopped after " + std::to_string(opts.max_bytes) +
                  " bytes (--max-log-bytes); the rest of the log was not read";
  }
  if (chunker.timed_out_) {
    out.timed_out = true;
    if (!out.error)
      out.error = fmt::format("stopped after {} s (--file-timeout), {} bytes read; the rest of the "
                              "log was not read",
                              opts.max_seconds, out.bytes);
  }
  if (chunker.stopped_ && !out.error)
    out.error = "scan interrupted after " + std::to_string(out.bytes) + " bytes of this log";
}

LogScanner::LogScanner(const netmatch::NetMatcher& matcher, LogOptions opts)
    : impl_(std::make_unique<Impl>(matcher, std::move(opts))) {}
LogScanner::~LogScanner() = default;

Result<LogFileResult> LogScanner::Scan(const std::string& path, const HostsFn& hosts) const {
  auto file = read::File::Open(path);
  if (!file.ok()) return file.status();
  return Scan(*file, hosts);
}

LogFileResult LogScanner::Scan(const read::File& f, const HostsFn& hosts) const {
  const std::string& path = f.path();
  std::int64_t mtime = static_cast<std::int64_t>(f.st().st_mtime);
  LogFileResult out;
  // Compressed or not by magic bytes, never by name (read::Sniff).
  if (read::SniffFile(f) == read::Container::kCompressed) {
    read::UnpackBudget budget(impl_->opts.unpack, static_cast<std::uint64_t>(f.st().st_size));
    auto dec = read::Decoder::Open(f, budget);
    if (!dec.ok()) {
      out.compression = "compressed";
      out.error = dec.status().message();
      return out;
    }
    DecoderSource src(**dec);
    Chunker chunker(src, impl_->opts);
    out = impl_->Run(chunker, src, path, mtime, hosts);
    out.compression = (*dec)->filter();
    if ((*dec)->limit() != read::Limit::kNone) {
      out.limit = read::LimitName((*dec)->limit());
      out.error = (*dec)->error();
    }
  } else {
    PlainSource src(f.fd(), static_cast<std::uint64_t>(f.st().st_size));
    Chunker chunker(src, impl_->opts);
    out = impl_->Run(chunker, src, path, mtime, hosts);
  }
  return out;
}

LogFileResult LogScanner::ScanBuffer(std::string_view data, std::string_view name,
                                     std::int64_t mtime_unix, const HostsFn& hosts) const {
  class BufferSource : public Source {
   public:
    explicit BufferSource(std::string_view d) : d_(d) {}
    std::size_t Read(char* buf, std::size_t n) override {
      n = std::min(n, d_.size());
      std::memcpy(buf, d_.data(), n);
      d_.remove_prefix(n);
      return n;
    }

   private:
    std::string_view d_;
  };
  BufferSource src(data);
  Chunker chunker(src, impl_->opts);
  return impl_->Run(chunker, src, std::string(name), mtime_unix, hosts);
}

Result<LogFileResult> ScanLog(const std::string& path, const netmatch::NetMatcher& m,
                              const LogOptions& opts) {
  LogScanner scanner(m, opts);
  return scanner.Scan(path);
}

Finding Aggregate(Finding agg, const Tally& tally) {
  agg.audience = Finding::Audience::kHuman;
  agg.extra.insert(agg.extra.begin(), {"hits", static_cast<std::int64_t>(tally.hits)});
  if (tally.first_ms) agg.extra.push_back({"first_seen", FormatIsoUtc(*tally.first_ms)});
  if (tally.last_ms) agg.extra.push_back({"last_seen", FormatIsoUtc(*tally.last_ms)});
  return agg;
}

Finding ToFinding(const std::string& path, const LogHit& hit, const Thresholds& t) {
  Finding f;
  f.module = "log";
  f.path = path;
  const ioc::Indicator& ind = *hit.indicator;
  f.reasons.push_back(
      {ioc::ReasonKind(ind.kind), ind.value, ind.description, ind.source, ind.score});
  f.extra.emplace_back("line", static_cast<std::int64_t>(hit.line));
  f.extra.emplace_back("offset", static_cast<std::int64_t>(hit.offset));
  if (!hit.time_text.empty()) f.extra.emplace_back("time", hit.time_text);
  f.extra.emplace_back("excerpt", hit.excerpt);
  f.extra.emplace_back("matched", hit.matched);
  ScoreFinding(f, t);
  return f;
}

}  // namespace trawl::logs
