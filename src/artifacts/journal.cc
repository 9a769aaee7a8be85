// Journal sweep: every field of every entry of one systemd journal file, read
// with libsystemd's sd-journal over a descriptor trawl opened itself (read
// only, O_NOFOLLOW, O_NOATIME where permitted, relative to the walked
// directory and checked against the walk's stat), never the live system
// journal.
#include <fcntl.h>
#include <fmt/format.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "internal.h"
#include "trawl/core/stop.h"
#include "trawl/core/text.h"
#include "trawl/core/unique_handle.h"
#include "trawl/read/mapped.h"
#include "trawl/read/read.h"
#include "trawl/sweep/hosts.h"

namespace trawl::artifacts::detail {

namespace {

struct JournalCloser {
  void operator()(sd_journal* j) const noexcept { sd_journal_close(j); }
};
using JournalPtr = std::unique_ptr<sd_journal, JournalCloser>;

struct FreeDeleter {
  void operator()(char* p) const noexcept { std::free(p); }
};

std::string ErrnoText(int negative_errno) { return std::strerror(-negative_errno); }

// Consecutive failing entries after which a file is given up on.
constexpr int kMaxConsecutiveErrors = 64;

// A SIGBUS while sd-journal read the mapped file: what was read stands, the
// rest of the file is not read, and the handle is leaked (its state is unknown).
void Faulted(JournalPtr& j, Collector& collect, std::uint64_t items) {
  // Abandoned, never closed or used again: kept reachable here so a leak
  // checker does not report the deliberate leak (a few hundred bytes per
  // faulted file).
  static std::mutex abandoned_mu;
  static std::vector<sd_journal*>* abandoned = new std::vector<sd_journal*>;
  {
    std::lock_guard<std::mutex> lock(abandoned_mu);
    abandoned->push_back(j.release());
  }
  collect.Error(fmt::format("journal file changed while read (SIGBUS: it shrank while mapped) "
                            "after {} entries; the rest of the file not read",
                            items));
}

}  // namespace

Result<SweepResult> ScanJournalFile(const Walked& walked, const netmatch::NetMatcher& m,
                                    ScratchPool& pool, const Options& opts,
                                    sweep::HostTally* hosts) {
  const std::string& path = walked.path;
  // The walked entry itself (relative to its directory, same device and
  // inode), through the reader stage; sd-journal only ever sees the fd.
  auto file = OpenWalked(walked);
  if (!file.ok()) return file.status();
  // sd_journal takes ownership of the descriptors it opens successfully and
  // leaves them to the caller on failure: give it a duplicate of ours.
  int fd = fcntl(file->fd(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return Status::Error(path + ": dup: " + std::strerror(errno));
  // Every sd-journal call reads the mapped file: each runs under a SIGBUS
  // guard (trawl/read/mapped.h), since a journal truncated while mapped
  // raises SIGBUS. After a fault the handle's state is unknown: it is leaked,
  // never used or closed again.
  sd_journal* raw = nullptr;
  int r = 0;
  auto open = [&] { r = sd_journal_open_files_fd(&raw, &fd, 1, 0); };
  if (!read::Guarded(open))
    return Status::Error(path + ": journal file changed while it was opened (SIGBUS: it shrank "
                         "while mapped)");
  if (r < 0) {
    close(fd);
    return Status::Error(path + ": not a readable journal file: " + ErrnoText(r));
  }
  JournalPtr j(raw);
  // Whole values: a contact deep in a long MESSAGE must not be cut off.
  sd_journal_set_data_threshold(j.get(), 0);

  auto lease = pool.Get();
  if (!lease.ok()) return lease.status();
  netmatch::NetMatcher::Scratch& scratch = lease->get();

  SweepResult result;
  result.type = Type::kJournal;
  Collector collect(opts, result);
  FieldScanner scanner;
  std::vector<std::string_view> names, values;
  std::vector<FieldHit> field_hits;
  struct FieldSpan {
    std::size_t at, name_len, value_len;  // "NAME=value" at entry[at]
  };
  std::string entry;
  std::vector<FieldSpan> spans;
  int consecutive_errors = 0;

  const Deadline deadline = Deadline::After(opts.max_seconds);
  for (;;) {
    if (StopRequested()) {  // SIGINT/SIGTERM: this file ends here, and says so
      collect.Error(fmt::format("scan interrupted after {} entries of this journal", result.items));
      break;
    }
    if (deadline.Passed()) {  // --file-timeout
      collect.Error(fmt::format("stopped after {} s (--file-timeout), {} entries read; the rest "
                                "of this journal was not read",
                                opts.max_seconds, result.items));
      result.timed_out = true;
      break;
    }
    auto next = [&] { r = sd_journal_next(j.get()); };
    if (!read::Guarded(next)) {
      Faulted(j, collect, result.items);
      break;
    }
    if (r == 0) break;
    if (r < 0) {
      collect.Error(fmt::format("entry after #{}: {}", result.items, ErrnoText(r)));
      if (++consecutive_errors >= kMaxConsecutiveErrors) {
        collect.Error("too many unreadable entries in a row; rest of the file not read");
        break;
      }
      continue;
    }
    result.items++;
    std::optional<std::int64_t> time_us;
    std::uint64_t usec = 0;
    int tr = -1;
    auto get_time = [&] { tr = sd_journal_get_realtime_usec(j.get(), &usec); };
    if (!read::Guarded(get_time)) {
      Faulted(j, collect, result.items);
      break;
    }
    if (tr >= 0 && usec > 0 &&
        usec < static_cast<std::uint64_t>(INT64_MAX / 2))
      time_us = static_cast<std::int64_t>(usec);
    // Copy the fields: the pointers sd-journal returns may be unmapped by
    // its next call (the cursor below).
    entry.clear();
    spans.clear();
    const void* data;
    std::size_t len;
    int dr = 0;
    bool fault = false;
    auto restart = [&] { sd_journal_restart_data(j.get()); };
    auto enumerate = [&] { dr = sd_journal_enumerate_data(j.get(), &data, &len); };
    // The copy out of the mapping is guarded too (it reads mapped pages).
    auto copy = [&] { entry.append(static_cast<const char*>(data), len); };
    if (!read::Guarded(restart)) fault = true;
    while (!fault) {
      if (!read::Guarded(enumerate)) {
        fault = true;
        break;
      }
      if (dr <= 0) break;
      std::size_t at = entry.size();
      if (!read::Guarded(copy)) {
        fault = true;
        break;
      }
      std::string_view kv(entry.data() + at, len);
      std::size_t eq = kv.find('=');
      if (eq == std::string_view::npos) {  // sd-journal checks this; never trust it
        entry.resize(at);
        continue;
      }
      spans.push_back({at, eq, len - eq - 1});
    }
    if (fault) {
      Faulted(j, collect, result.items);
      break;
    }
    if (dr < 0)
      collect.Error(fmt::format("entry #{}: field unreadable ({}); the fields before it were read",
                                result.items, ErrnoText(dr)));
    consecutive_errors = dr < 0 ? consecutive_errors + 1 : 0;
    names.clear();
    values.clear();
    std::string_view unit, user_unit, ident, comm;
    for (const FieldSpan& sp : spans) {
      std::string_view name(entry.data() + sp.at, sp.name_len);
      std::string_view value(entry.data() + sp.at + sp.name_len + 1, sp.value_len);
      names.push_back(name);
      values.push_back(value);
      if (name == "_SYSTEMD_UNIT")
        unit = value;
      else if (name == "_SYSTEMD_USER_UNIT")
        user_unit = value;
      else if (name == "SYSLOG_IDENTIFIER")
        ident = value;
      else if (name == "_COMM")
        comm = value;
    }
    if (hosts) {  // the contact index: every value, locator the entry's number
      std::optional<std::int64_t> ms;
      if (time_us) ms = FloorMillis(*time_us);
      for (std::string_view v : values) hosts->AddText(v, ms, result.items);
    }
    field_hits.clear();
    Status st = scanner.Scan(m, scratch, values, field_hits);
    if (!st.ok()) return Status::Error(path + ": " + st.message());
    if (field_hits.empty()) continue;

    std::string cursor;
    bool cursor_fault = false;
    for (FieldHit& fh : field_hits) {
      if (!collect.Count(fh.indicator, time_us)) continue;
      if (cursor.empty() && !cursor_fault) {
        char* c = nullptr;
        int cr = -1;
        auto get_cursor = [&] { cr = sd_journal_get_cursor(j.get(), &c); };
        if (!read::Guarded(get_cursor)) cursor_fault = true;  // the hit stands, without a cursor
        if (cr >= 0 && c) {
          std::unique_ptr<char, FreeDeleter> owned(c);
          cursor = c;
        }
      }
      std::string_view u = !unit.empty()        ? unit
                           : !user_unit.empty() ? user_unit
                           : !ident.empty()     ? ident
                                                : comm;
      Hit hit;
      hit.indicator = fh.indicator;
      hit.time_unix_us = time_us;
      if (time_us) hit.time_text = FormatIsoUtcMicros(*time_us);
      hit.matched = std::move(fh.matched);
      hit.fields = {
          {"unit", EscapeControl(u)},
          {"field", EscapeControl(names[fh.field])},
          {"value", Excerpt(values[fh.field], fh.begin, fh.end)},
          {"matched", hit.matched},
          {"cursor", EscapeControl(cursor)},
      };
      collect.Keep(std::move(hit));
    }
    if (cursor_fault) {
      Faulted(j, collect, result.items);
      break;
    }
  }
  collect.Finish();
  return result;
}

}  // namespace trawl::artifacts::detail
