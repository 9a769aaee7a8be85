// File and chunk walking: header checks, chunk CRCs, record framing, slack
// carving, worker threads, statistics and problems.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "internal.h"
#include "trawl/read/read.h"
#include "trawl/core/json.h"
#include "trawl/core/stop.h"


namespace trawl::evtx {
namespace detail {
namespace {

constexpr std::uint8_t kFileSig[8] = {'E', 'l', 'f', 'F', 'i', 'l', 'e', 0};
constexpr std::uint8_t kChunkSig[8] = {'E', 'l', 'f', 'C', 'h', 'n', 'k', 0};
constexpr std::uint32_t kRecordSig = 0x00002a2a;

std::string HexOff(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Where chunk bytes come from: a caller's buffer (zero-copy) or a file (pread
// into a per-worker buffer).
class Source {
 public:
  virtual ~Source() = default;
  virtual std::uint64_t size() const = 0;
  // Returns a view of [off, off + n) (n already clipped to size()), using
  // `buf` (n bytes) if it has to copy. False with `err` on an I/O error.
  virtual bool Read(std::uint64_t off, std::size_t n, std::uint8_t* buf, const std::uint8_t** out,
                    std::string& err) = 0;
};

class BufferSource : public Source {
 public:
  explicit BufferSource(std::span<const std::uint8_t> d) : d_(d) {}
  std::uint64_t size() const override { return d_.size(); }
  bool Read(std::uint64_t off, std::size_t, std::uint8_t*, const std::uint8_t** out,
            std::string&) override {
    *out = d_.data() + off;
    return true;
  }

 private:
  std::span<const std::uint8_t> d_;
};

class FileSource : public Source {
 public:
  FileSource(read::File file, std::uint64_t size) : file_(std::move(file)), size_(size) {}
  std::uint64_t size() const override { return size_; }
  bool Read(std::uint64_t off, std::size_t n, std::uint8_t* buf, const std::uint8_t** out,
            std::string& err) override {
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(file_.fd(), buf + got, n - got, static_cast<off_t>(off + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        err = std::string("read error: ") + std::strerror(errno);
        return false;
      }
      if (r == 0) {  // File shrank under us: treat the rest as missing.
        err = "file shrank while reading";
        return false;
      }
      got += static_cast<std::size_t>(r);
    }
    *out = buf;
    return true;
  }

 private:
  read::File file_;
  std::uint64_t size_;
};

// Per-worker state and tallies.
struct Worker {
  ChunkDecoder decoder;
  Record record;
  std::vector<std::uint8_t> buf;
  ReadStats stats;
  std::size_t max_problems = 0;
  std::string err;
  bool chunk_checksum_bad = false;  // the chunk being read failed a CRC (best effort)

  void Report(std::uint64_t off, std::string msg) {
    if (stats.problems.size() < max_problems) {
      stats.problems.push_back(Problem{off, std::move(msg)});
    } else {
      ++stats.problems_dropped;
    }
  }
};

bool AllZero(const std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

// A plausible record header at chunk offset `pos` within [pos, limit)?
bool RecordFrame(const std::uint8_t* c, std::uint32_t pos, std::uint32_t limit,
                 std::uint32_t* size) {
  if (limit - pos < 28 || Le32(c + pos) != kRecordSig) return false;
  std::uint32_t s = Le32(c + pos + 4);
  if (s < 28 || s > limit - pos || Le32(c + pos + s - 4) != s) return false;
  *size = s;
  return true;
}

class Reader {
 public:
  Reader(Source& src, const RecordFn& fn, const Options& opts) : src_(src), fn_(fn), opts_(opts) {}

  Result<ReadStats> Run() {
    const std::uint64_t size = src_.size();
    ReadStats total;
    total.bytes = size;
    std::vector<Problem> header_problems;
    {
      std::vector<std::uint8_t> hbuf(kFileHeaderSize);
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, kFileHeaderSize));
      const std::uint8_t* h = nullptr;
      std::string err;
      if (n > 0 && !src_.Read(0, n, hbuf.data(), &h, err)) return Status::Error(err);
      bool sig = n >= 8 && std::memcmp(h, kFileSig, 8) == 0;
      if (!sig) {
        // Damaged header but chunks present? Read them; otherwise not EVTX.
        std::uint8_t cbuf[8];
        const std::uint8_t* cs = nullptr;
        bool chunk_follows = size >= kFileHeaderSize + 8 &&
                             src_.Read(kFileHeaderSize, 8, cbuf, &cs, err) &&
                             std::memcmp(cs, kChunkSig, 8) == 0;
        if (!chunk_follows) {
          return Status::Error("not an EVTX file (no \"ElfFile\" signature at offset 0)");
        }
        header_problems.push_back({0, "file header signature missing; reading chunks anyway"});
      } else if (n < 128) {
        header_problems.push_back({0, "file header truncated (" + std::to_string(n) + " bytes)"});
      } else {
        std::uint32_t crc = Crc32(h, 120);
        if (crc != Le32(h + 124)) {
          header_problems.push_back({124, "file header checksum mismatch (stored " +
                                              HexOff(Le32(h + 124)) + ", computed " + HexOff(crc) +
                                              ")"});
        }
        std::uint16_t major = Le16(h + 38);
        if (major != 3) {
          header_problems.push_back({38, "unexpected format version " + std::to_string(major)});
        }
        if (Le16(h + 40) != kFileHeaderSize) {
          header_problems.push_back({40, "unexpected header block size " +
                                             std::to_string(Le16(h + 40)) +
                                             "; chunks read from offset 4096"});
        }
      }
    }
    std::uint64_t slots =
        size <= kFileHeaderSize ? 0 : (size - kFileHeaderSize + kChunkSize - 1) / kChunkSize;
    unsigned threads = std::max(1u, opts_.threads);
    if (slots < threads) threads = static_cast<unsigned>(std::max<std::uint64_t>(1, slots));
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned i = 0; i < threads; ++i) {
      auto w = std::make_unique<Worker>();
      w->record.worker = i;
      w->record.context = w->decoder.context();
      w->max_problems = opts_.max_problems;
      if (dynamic_cast<BufferSource*>(&src_) == nullptr) w->buf.resize(kChunkSize);
      workers.push_back(std::move(w));
    }
    std::atomic<std::uint64_t> next{0};
    std::atomic<bool> stopped{false}, timed_out{false};
    const Deadline deadline = Deadline::After(opts_.max_seconds);
    auto work = [&](Worker& w) {
      for (;;) {
        // SIGINT/SIGTERM: no further chunk is read (a 4 GiB log would
        // otherwise keep a stopped scan busy), and the file says so below.
        if (StopRequested()) {
          stopped.store(true, std::memory_order_relaxed);
          break;
        }
        if (deadline.Passed()) {  // --file-timeout
          timed_out.store(true, std::memory_order_relaxed);
          break;
        }
        std::uint64_t slot = next.fetch_add(1, std::memory_order_relaxed);
        if (slot >= slots) break;
        DoChunk(w, slot);
      }
    };
    if (threads == 1) {
      work(*workers[0]);
    } else {
      std::vector<std::thread> pool;
      for (unsigned i = 0; i < threads; ++i) pool.emplace_back(work, std::ref(*workers[i]));
      for (std::thread& t : pool) t.join();
    }
    for (Problem& p : header_problems) total.problems.push_back(std::move(p));
    if (stopped.load() || timed_out.load()) {
      std::uint64_t at = std::min(next.load(), slots);
      std::string why = stopped.load() ? "the scan was stopped"
                                       : "the file took longer than --file-timeout (" +
                                             std::to_string(static_cast<long long>(opts_.max_seconds)) +
                                             " s)";
      total.problems.push_back({kFileHeaderSize + at * kChunkSize,
                                why + ": chunks from " + std::to_string(at) + " of " +
                                    std::to_string(slots) + " on were not read"});
      total.timed_out = !stopped.load();
    }
    for (auto& w : workers) {
      ReadStats& s = w->stats;
      total.chunks += s.chunks;
      total.chunks_bad += s.chunks_bad;
      total.chunks_truncated += s.chunks_truncated;
      total.chunk_slots_unused += s.chunk_slots_unused;
      total.records += s.records;
      total.records_bad += s.records_bad;
      total.records_recovered += s.records_recovered;
      total.slack_unrecoverable += s.slack_unrecoverable;
      total.problems_dropped += s.problems_dropped;
      for (Problem& p : s.problems) total.problems.push_back(std::move(p));
    }
    std::stable_sort(total.problems.begin(), total.problems.end(),
                     [](const Problem& a, const Problem& b) { return a.offset < b.offset; });
    if (total.problems.size() > opts_.max_problems) {
      total.problems_dropped += total.problems.size() - opts_.max_problems;
      total.problems.resize(opts_.max_problems);
    }
    return total;
  }

 private:
  void DoChunk(Worker& w, std::uint64_t slot) {
    const std::uint64_t off = kFileHeaderSize + slot * kChunkSize;
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(kChunkSize, src_.size() - off));
    const std::uint8_t* c = nullptr;
    if (!src_.Read(off, n, w.buf.data(), &c, w.err)) {
      w.Report(off, "chunk " + std::to_string(slot) + ": " + w.err);
      ++w.stats.chunks_bad;
      return;
    }
    if (n < 8 || std::memcmp(c, kChunkSig, 8) != 0) {
      ++w.stats.chunk_slots_unused;
      if (!AllZero(c, n)) {
        w.Report(off, "chunk slot " + std::to_string(slot) +
                          ": no chunk signature (unused space or overwritten); skipped");
      }
      return;
    }
    ++w.stats.chunks;
    const std::string where = "chunk " + std::to_string(slot) + ": ";
    if (n < kChunkSize) {
      ++w.stats.chunks_truncated;
      w.Report(off, where + "truncated by end of input (" + std::to_string(n) +
                        " of 65536 bytes); reading what is present");
    }
    std::string bad;
    bool checksum_only = false;  // a CRC failed, the structure is usable
    std::uint32_t free_space = 0;
    w.chunk_checksum_bad = false;
    if (n < kChunkHeaderSize) {
      bad = "chunk header truncated";
    } else {
      std::uint32_t crc = Crc32(c + 128, kChunkHeaderSize - 128, Crc32(c, 120));
      free_space = Le32(c + 48);
      const bool free_ok = free_space >= kChunkHeaderSize && free_space <= kChunkSize;
      if (crc != Le32(c + 124)) {
        bad = "chunk header checksum mismatch (stored " + HexOff(Le32(c + 124)) + ", computed " +
              HexOff(crc) + ")";
        checksum_only = free_ok;
      } else if (!free_ok) {
        bad = "free space offset " + HexOff(free_space) + " out of range";
      } else if (free_space <= n) {
        std::uint32_t dcrc = Crc32(c + kChunkHeaderSize, free_space - kChunkHeaderSize);
        if (dcrc != Le32(c + 52)) {
          bad = "event records checksum mismatch (stored " + HexOff(Le32(c + 52)) + ", computed " +
                HexOff(dcrc) + ")";
          checksum_only = true;
        }
      }
    }
    w.decoder.BeginChunk(std::span<const std::uint8_t>(c, n));
    const std::uint32_t size = static_cast<std::uint32_t>(n);
    if (!bad.empty() && checksum_only && opts_.checksum_best_effort) {
      // One flipped byte must not hide a chunk's records: read them as usual
      // (every record is still framed and decoded strictly) and flag them.
      ++w.stats.chunks_bad;
      w.Report(off, where + bad + "; records read best-effort, flagged checksum_mismatch");
      w.chunk_checksum_bad = true;
    } else if (!bad.empty()) {
      ++w.stats.chunks_bad;
      if (opts_.salvage_bad_chunks && size > kChunkHeaderSize) {
        w.Report(off, where + bad + "; skipped, records salvaged as recovered");
        Carve(w, c, off, kChunkHeaderSize, size, /*slack=*/false);
      } else {
        w.Report(off, where + bad + "; skipped");
      }
      return;
    }
    // Live records: [512, free space), clipped to what is present.
    const std::uint32_t limit = std::min(free_space, size);
    std::uint32_t pos = kChunkHeaderSize;
    while (pos < limit) {
      std::uint32_t rsize = 0;
      if (!RecordFrame(c, pos, limit, &rsize)) {
        ++w.stats.records_bad;
        std::string why = limit - pos < 28              ? "record header truncated"
                          : Le32(c + pos) != kRecordSig ? "bad record signature"
                                                        : "bad record size";
        // Resynchronise on the next plausible record header (8-byte aligned).
        std::uint32_t p = (pos + 8) & ~7u;
        std::uint32_t s = 0;
        while (p < limit && !RecordFrame(c, p, limit, &s)) p += 8;
        w.Report(off + pos, where + why + " at record offset " + HexOff(pos) +
                                (p < limit ? "; resuming at " + HexOff(p)
                                           : "; rest of the chunk's records skipped"));
        pos = p;
        continue;
      }
      Deliver(w, c, off, pos, rsize, /*recovered=*/false);
      pos += rsize;
    }
    if (opts_.recover_slack && free_space < size) {
      Carve(w, c, off, std::max(pos, free_space), size, /*slack=*/true);
    }
  }

  // Decodes and delivers one record. False when it did not decode.
  bool Deliver(Worker& w, const std::uint8_t* c, std::uint64_t chunk_off, std::uint32_t pos,
               std::uint32_t rsize, bool recovered) {
    Record& r = w.record;
    r.header_id = Le64(c + pos + 8);
    r.written_filetime = Le64(c + pos + 16);
    r.file_offset = chunk_off + pos;
    r.recovered = recovered;
    r.checksum_mismatch = w.chunk_checksum_bad;
    if (!w.decoder.DecodeRecord(pos, rsize, recovered, opts_.extract_fields, r, w.err)) {
      if (!recovered) {
        ++w.stats.records_bad;
        w.Report(r.file_offset, "record " + std::to_string(r.id) + ": " + w.err + "; skipped");
      }
      return false;
    }
    ++w.stats.records;
    if (recovered) ++w.stats.records_recovered;
    fn_(r);
    return true;
  }

  // Carves records from [from, to) of a chunk: slack after the free-space
  // offset, or a whole chunk that failed its checks.
  void Carve(Worker& w, const std::uint8_t* c, std::uint64_t chunk_off, std::uint32_t from,
             std::uint32_t to, bool slack) {
    std::uint32_t p = (from + 7) & ~7u;
    while (p < to && to - p >= 28) {
      std::uint32_t rsize = 0;
      if (!RecordFrame(c, p, to, &rsize)) {
        p += 8;
        continue;
      }
      if (Deliver(w, c, chunk_off, p, rsize, /*recovered=*/true)) {
        p += (rsize + 7) & ~7u;
        continue;
      }
      if (slack) {
        // Free space after the chunk's last record routinely holds records
        // half overwritten by later ones: counted, not a problem to report.
        ++w.stats.slack_unrecoverable;
      } else {
        w.Report(chunk_off + p, "salvaged record (id " + std::to_string(Le64(c + p + 8)) +
                                    ") not recoverable: " + w.err);
      }
      p += 8;
    }
  }

  Source& src_;
  const RecordFn& fn_;
  const Options& opts_;
};

}  // namespace
}  // namespace detail

Result<ReadStats> ReadBuffer(std::span<const std::uint8_t> data, const RecordFn& fn,
                             const Options& opts) {
  detail::BufferSource src(data);
  return detail::Reader(src, fn, opts).Run();
}

Result<ReadStats> ReadFile(const std::string& path, const RecordFn& fn, const Options& opts) {
  // The reader stage opens evidence (trawl::read): no symlink followed, a
  // FIFO or device refused before it is opened, O_NOATIME where allowed.
  auto file = read::File::Open(path);
  if (!file.ok()) return file.status();
  return ReadFile(std::move(*file), fn, opts);
}

Result<ReadStats> ReadFile(read::File file, const RecordFn& fn, const Options& opts) {
  const std::string path = file.path();
  auto size = static_cast<std::uint64_t>(file.st().st_size);
  detail::FileSource src(std::move(file), size);
  Result<ReadStats> r = detail::Reader(src, fn, opts).Run();
  if (!r.ok()) return Status::Error(path + ": " + r.status().message());
  return r;
}

Status AppendXml(const Record& r, std::string& out) {
  if (r.context == nullptr || r.context->decoder == nullptr) {
    return Status::Error("record cannot be rendered outside its callback");
  }
  std::string err;
  if (!r.context->decoder->RenderXml(out, err)) {
    return Status::Error("record " + std::to_string(r.id) + ": " + err);
  }
  return Status::Ok();
}

Result<std::string> RenderXml(const Record& r) {
  std::string out;
  Status st = AppendXml(r, out);
  if (!st.ok()) return st;
  return out;
}

Result<std::string> RenderJson(const Record& r) {
  std::string out = "{\"record_id\":" + std::to_string(r.id) + ",\"time\":";
  AppendJsonString(out, r.time_text);
  out += ",\"recovered\":";
  out += r.recovered ? "true" : "false";
  out += ",\"provider\":";
  AppendJsonString(out, r.provider);
  out += ",\"channel\":";
  AppendJsonString(out, r.channel);
  out += ",\"computer\":";
  AppendJsonString(out, r.computer);
  out += ",\"event_id\":" + std::to_string(r.event_id);
  if (r.has_qualifiers) out += ",\"qualifiers\":" + std::to_string(r.qualifiers);
  out += ",\"level\":" + std::to_string(r.level);
  out += ",\"fields\":{";
  for (std::size_t i = 0; i < r.fields.size(); ++i) {
    if (i != 0) out.push_back(',');
    int dup = 1;
    for (std::size_t k = 0; k < i; ++k) dup += r.fields[k].name == r.fields[i].name;
    if (dup == 1) {
      AppendJsonString(out, r.fields[i].name);
    } else {
      AppendJsonString(out, r.fields[i].name + "#" + std::to_string(dup));
    }
    out.push_back(':');
    AppendJsonString(out, r.fields[i].value);
  }
  out += "}}";
  return out;
}

bool HasFileSignature(std::string_view head) {
  return head.size() >= 8 && std::memcmp(head.data(), detail::kFileSig, 8) == 0;
}

}  // namespace trawl::evtx
