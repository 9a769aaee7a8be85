// Journal sweep: every field of every entry of one systemd journal file, read
// with libsystemd's sd-journal over a descriptor trawl opened itself (read
// only, O_NOFOLLOW, O_NOATIME where permitted), never the live system journal.
#include <fcntl.h>
#include <fmt/format.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "internal.h"
#include "trawl/core/text.h"
#include "trawl/core/unique_handle.h"
#include "trawl/read/read.h"

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

}  // namespace

Result<SweepResult> ScanJournalFile(const std::string& path, const netmatch::NetMatcher& m,
                                    ScratchPool& pool, const Options& opts) {
  auto file = read::File::Open(path);
  if (!file.ok()) return file.status();
  // sd_journal takes ownership of the descriptors it opens successfully and
  // leaves them to the caller on failure: give it a duplicate of ours.
  UniqueFd dup = AdoptFd(fcntl(file->fd(), F_DUPFD_CLOEXEC, 0));
  if (!dup) return Status::Error(path + ": dup: " + std::strerror(errno));
  int fd = dup.get().fd;
  sd_journal* raw = nullptr;
  int r = sd_journal_open_files_fd(&raw, &fd, 1, 0);
  if (r < 0) return Status::Error(path + ": not a readable journal file: " + ErrnoText(r));
  (void)dup.release();  // the journal owns the descriptor now
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

  for (;;) {
    r = sd_journal_next(j.get());
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
    if (sd_journal_get_realtime_usec(j.get(), &usec) >= 0 && usec > 0 &&
        usec < static_cast<std::uint64_t>(INT64_MAX / 2))
      time_us = static_cast<std::int64_t>(usec);
    // Copy the fields: the pointers sd-journal returns may be unmapped by
    // its next call (the cursor below).
    entry.clear();
    spans.clear();
    const void* data;
    std::size_t len;
    sd_journal_restart_data(j.get());
    int dr;
    while ((dr = sd_journal_enumerate_data(j.get(), &data, &len)) > 0) {
      std::string_view kv(static_cast<const char*>(data), len);
      std::size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;  // sd-journal checks this; never trust it
      spans.push_back({entry.size(), eq, len - eq - 1});
      entry.append(kv);
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
    field_hits.clear();
    Status st = scanner.Scan(m, scratch, values, field_hits);
    if (!st.ok()) return Status::Error(path + ": " + st.message());
    if (field_hits.empty()) continue;

    std::string cursor;
    for (FieldHit& fh : field_hits) {
      if (!collect.Count(fh.indicator, time_us)) continue;
      if (cursor.empty()) {
        char* c = nullptr;
        if (sd_journal_get_cursor(j.get(), &c) >= 0 && c) {
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
  }
  collect.Finish();
  return result;
}

}  // namespace trawl::artifacts::detail
