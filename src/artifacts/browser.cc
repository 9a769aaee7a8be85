// Browser history sweep: Chromium-family `History` (urls, visits) and Firefox
// `places.sqlite` (moz_places, moz_historyvisits), read from a private copy.
//
// Why a copy: opening the evidence with SQLite would create a `-shm` (and take
// locks) beside it, could roll back or checkpoint into it, and a running
// Chrome holds its History locked. So the database and its `-wal` and
// `-journal` are copied, byte for byte, into a fresh 0700 directory and
// SQLite opens the copy read-only: visits still only in the WAL are read, the
// evidence is never written, and the copies are removed afterwards.
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "internal.h"
#include "trawl/core/stop.h"
#include "trawl/core/text.h"
#include "trawl/core/unique_handle.h"
#include "trawl/read/read.h"
#include "trawl/sweep/hosts.h"

namespace trawl::artifacts::detail {

std::string TempBase(const Options& opts) {
  if (!opts.temp_dir.empty()) return opts.temp_dir;
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

void RemovePrivateDir(const std::string& dir) noexcept {
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

namespace {

// --- The private directory ---------------------------------------------------

// Removes the directory and every file in it (all of them ours: the copies and
// what SQLite made beside them).
struct PrivateDirRemover {
  void operator()(std::string* dir) const noexcept {
    RemovePrivateDir(*dir);
    delete dir;
  }
};
using PrivateDir = std::unique_ptr<std::string, PrivateDirRemover>;

Result<PrivateDir> MakePrivateDir(const Options& opts, const std::string& private_root) {
  std::string base = private_root.empty() ? TempBase(opts) : private_root;
  std::string tmpl = base + "/trawl-history-XXXXXX";
  if (!mkdtemp(tmpl.data()))  // mode 0700
    return Status::Error("cannot create a private directory in " + base + ": " +
                         std::strerror(errno));
  return PrivateDir(new std::string(tmpl));
}

// Copies `file` (opened evidence-safely) to the new file `dst`, at most the
// size it had when opened. Sparse-aware: only the data extents
// (SEEK_DATA/SEEK_HOLE) are read and written, holes stay holes, so a sparse
// database with a huge apparent size costs its real bytes only. `budget` is
// how many bytes of data may still be copied (the cap counts data, not the
// apparent size: no apparent-size limit).
Status CopyFile(const read::File& file, const std::string& dst, std::uint64_t& budget) {
  const std::string& src = file.path();
  const auto size = static_cast<std::uint64_t>(file.st().st_size);
  const auto allocated = static_cast<std::uint64_t>(file.st().st_blocks) * 512;
  auto over = [&](std::uint64_t n) {
    return Status::Error(fmt::format("{}: {} bytes of data: larger than the copy limit ({} left)",
                                     src, n, budget));
  };
  if (std::min(size, allocated) > budget) return over(std::min(size, allocated));
  int raw = open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (raw < 0) return Status::Error(dst + ": " + std::strerror(errno));
  UniqueFd out = AdoptFd(raw);
  const int fd = file.fd();
  std::vector<char> buf(1u << 20);
  std::uint64_t copied = 0;
  std::uint64_t pos = 0;
  while (pos < size) {
    off_t data = lseek(fd, static_cast<off_t>(pos), SEEK_DATA);
    if (data < 0 && errno == ENXIO) break;  // only a hole is left
    if (data < 0) data = static_cast<off_t>(pos);  // no SEEK_DATA here: all of it is data
    off_t hole = lseek(fd, data, SEEK_HOLE);
    std::uint64_t end = hole < 0 ? size : std::min<std::uint64_t>(size, static_cast<std::uint64_t>(hole));
    for (std::uint64_t at = static_cast<std::uint64_t>(data); at < end;) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), end - at));
      ssize_t r = pread(fd, buf.data(), want, static_cast<off_t>(at));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Status::Error(fmt::format("{}: read error at offset {}: {}", src, at,
                                                  std::strerror(errno)));
      if (r == 0) {  // shrank while copied: what is there is copied
        end = at;
        break;
      }
      if (copied + static_cast<std::uint64_t>(r) > budget) return over(copied + r);
      for (ssize_t done = 0; done < r;) {
        ssize_t w = pwrite(out.get().fd, buf.data() + done, static_cast<std::size_t>(r - done),
                           static_cast<off_t>(at) + done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return Status::Error(dst + ": write: " + std::strerror(errno));
        done += w;
      }
      copied += static_cast<std::uint64_t>(r);
      at += static_cast<std::uint64_t>(r);
    }
    if (end <= pos) break;
    pos = end;
  }
  if (ftruncate(out.get().fd, static_cast<off_t>(size)) != 0)  // trailing hole, same apparent size
    return Status::Error(dst + ": " + std::strerror(errno));
  budget -= copied;
  return Status::Ok();
}

// --- SQLite ------------------------------------------------------------------

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Result<Db> OpenCopy(const std::string& path, bool writable) {
  sqlite3* raw = nullptr;
  int flags = (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX |
              SQLITE_OPEN_NOFOLLOW;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return Status::Error(raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  // A hostile database: no schema-defined functions with side effects, no
  // writes to the schema, no extensions.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  return db;
}

Result<Stmt> Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  Stmt s(raw);
  if (rc != SQLITE_OK) return Status::Error(sqlite3_errmsg(db));
  return s;
}

std::string_view ColumnText(sqlite3_stmt* s, int col) {
  const unsigned char* p = sqlite3_column_text(s, col);
  int n = sqlite3_column_bytes(s, col);
  if (!p || n <= 0) return {};
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

// Tables a history database must have, checked before any query so a
// lookalike (a view or a missing table) is refused with a clear reason.
Status CheckTables(sqlite3* db, std::initializer_list<const char*> tables) {
  auto stmt = Prepare(db, "SELECT type FROM sqlite_master WHERE name = ?1");
  if (!stmt.ok()) return stmt.status();
  for (const char* t : tables) {
    sqlite3_reset(stmt->get());
    sqlite3_bind_text(stmt->get(), 1, t, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt->get());
    if (rc == SQLITE_ROW) {
      if (ColumnText(stmt->get(), 0) != "table")
        return Status::Error(fmt::format("'{}' is not a table", t));
    } else if (rc == SQLITE_DONE) {
      return Status::Error(fmt::format("no table '{}'", t));
    } else {
      return Status::Error(sqlite3_errmsg(db));
    }
  }
  return Status::Ok();
}

// The two layouts, as SQL.
struct Schema {
  const char* urls_table;
  const char* visits_table;
  const char* urls_sql;    // id, url, title, last visit time
  const char* visits_sql;  // id, time, for ?1 = url id
  std::optional<std::int64_t> (*to_unix_us)(std::int64_t);
};

const Schema kChromium = {
    "urls", "visits", "SELECT id, url, title, last_visit_time FROM urls ORDER BY id",
    "SELECT id, visit_time FROM visits WHERE url = ?1 ORDER BY visit_time, id",
    &WebKitToUnixMicros};
const Schema kFirefox = {
    "moz_places", "moz_historyvisits",
    "SELECT id, url, title, last_visit_date FROM moz_places ORDER BY id",
    "SELECT id, visit_date FROM moz_historyvisits WHERE place_id = ?1 ORDER BY visit_date, id",
    &PrTimeToUnixMicros};

struct MatchedUrl {
  std::int64_t id = 0;
  std::string url, title;
  std::int64_t last_visit = 0;
  const ioc::Indicator* indicator = nullptr;
};

bool IsReadonlyRollback(int rc) {
  return rc == SQLITE_READONLY_ROLLBACK || rc == SQLITE_READONLY_RECOVERY;
}

}  // namespace

Result<SweepResult> ScanBrowserFile(const Walked& walked, const Target& target,
                                    const netmatch::NetMatcher& m, const Options& opts,
                                    const std::string& private_root,
                                    sweep::HostTally* hosts) {
  const std::string& path = walked.path;
  const Schema& schema = target.type == Type::kFirefoxPlaces ? kFirefox : kChromium;
  SweepResult result;
  result.type = target.type;
  Collector collect(opts, result);

  // 1. The private copy: database, then -wal and -journal when present. The
  // database is the walked entry itself (relative to the walked directory,
  // same device and inode); its neighbours are opened in that same directory.
  auto db_file = OpenWalked(walked);
  if (!db_file.ok()) return db_file.status();
  auto dir = MakePrivateDir(opts, private_root);
  if (!dir.ok()) return dir.status();
  const std::string copy = **dir + "/copy";
  std::uint64_t budget = opts.max_copy_bytes;
  if (Status st = CopyFile(*db_file, copy, budget); !st.ok()) return st;
  for (const char* suffix : {"-wal", "-journal"}) {
    std::string side = path + suffix;
    struct stat sst;
    const bool at = walked.dir_fd >= 0;
    if (fstatat(at ? walked.dir_fd : AT_FDCWD, (at ? walked.name + suffix : side).c_str(), &sst,
                AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT)
        collect.Error(fmt::format("{}: {} (database read without it)", side, std::strerror(errno)));
      continue;
    }
    auto side_file = OpenWalked(walked, suffix);
    Status st = side_file.ok() ? CopyFile(*side_file, copy + suffix, budget) : side_file.status();
    if (!st.ok()) collect.Error(st.message() + " (database read without it)");
  }

  // 2. Open the copy read-only. A hot rollback journal can only be rolled
  // back through a writable connection: that writes to our copy, never to
  // the evidence.
  auto db = OpenCopy(copy, false);
  if (!db.ok()) return Status::Error(path + ": " + db.status().message());
  Status tables = CheckTables(db->get(), {schema.urls_table, schema.visits_table});
  if (!tables.ok() && IsReadonlyRollback(sqlite3_extended_errcode(db->get()))) {
    db = OpenCopy(copy, true);
    if (!db.ok()) return Status::Error(path + ": " + db.status().message());
    tables = CheckTables(db->get(), {schema.urls_table, schema.visits_table});
  }
  if (!tables.ok()) return Status::Error(path + ": not a browser history: " + tables.message());

  // 3. Every URL through the matcher; then the visits of those that match.
  const Deadline deadline = Deadline::After(opts.max_seconds);
  std::vector<MatchedUrl> matched;
  {
    auto stmt = Prepare(db->get(), schema.urls_sql);
    if (!stmt.ok()) return Status::Error(path + ": " + stmt.status().message());
    int rc;
    while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
      if (StopRequested()) {  // SIGINT/SIGTERM: the rest of the table is not read, and said so
        collect.Error(fmt::format("scan interrupted after {} rows of {}", result.items,
                                  schema.urls_table));
        rc = SQLITE_DONE;
        break;
      }
      if ((result.items & 1023) == 0 && deadline.Passed()) {  // --file-timeout
        collect.Error(fmt::format("stopped after {} s (--file-timeout), {} rows of {} read; the "
                                  "rest not read",
                                  opts.max_seconds, result.items, schema.urls_table));
        result.timed_out = true;
        rc = SQLITE_DONE;
        break;
      }
      if (result.items >= opts.max_rows) {  // bounded work per database (issue 11)
        collect.Error(fmt::format("stopped after {} rows of {} (--max-artifact-rows); the rest "
                                  "not read",
                                  result.items, schema.urls_table));
        result.rows_capped = true;
        rc = SQLITE_DONE;
        break;
      }
      result.items++;
      std::string_view url = ColumnText(stmt->get(), 1);
      if (url.empty()) continue;
      if (hosts) {  // the contact index: the URL, its host, at its last visit; locator the row id
        std::optional<std::int64_t> us = schema.to_unix_us(sqlite3_column_int64(stmt->get(), 3));
        std::optional<std::int64_t> ms;
        if (us) ms = FloorMillis(*us);
        hosts->AddText(url, ms, static_cast<std::uint64_t>(sqlite3_column_int64(stmt->get(), 0)));
      }
      const ioc::Indicator* ind = m.MatchUrl(url);
      if (!ind) continue;
      matched.push_back({sqlite3_column_int64(stmt->get(), 0), std::string(url),
                         std::string(ColumnText(stmt->get(), 2)),
                         sqlite3_column_int64(stmt->get(), 3), ind});
    }
    if (rc != SQLITE_DONE)
      collect.Error(fmt::format("table {}: {} after {} rows (the rest not read)", schema.urls_table,
                                sqlite3_errmsg(db->get()), result.items));
  }
  if (matched.empty()) {
    collect.Finish();
    return result;
  }

  auto visits = Prepare(db->get(), schema.visits_sql);
  if (!visits.ok()) return Status::Error(path + ": " + visits.status().message());
  for (const MatchedUrl& u : matched) {
    auto add = [&](std::optional<std::int64_t> visit_id, std::int64_t raw_time) {
      std::optional<std::int64_t> time_us = schema.to_unix_us(raw_time);
      if (!collect.Count(u.indicator, time_us)) return;
      Hit hit;
      hit.indicator = u.indicator;
      hit.time_unix_us = time_us;
      if (time_us) hit.time_text = FormatIsoUtcMicros(*time_us);
      hit.matched = EscapeControl(u.url.substr(0, 2048));
      hit.fields.push_back({"url", Excerpt(u.url, 0, 0, 2048)});
      hit.fields.push_back({"browser", target.browser});
      hit.fields.push_back({"profile", EscapeControl(target.profile)});
      if (!target.user.empty()) hit.fields.push_back({"user", EscapeControl(target.user)});
      if (!u.title.empty()) hit.fields.push_back({"title", Excerpt(u.title, 0, 0, 512)});
      if (visit_id) hit.fields.push_back({"visit", *visit_id});
      hit.fields.push_back({"matched", hit.matched});
      collect.Keep(std::move(hit));
    };
    sqlite3_reset(visits->get());
    sqlite3_bind_int64(visits->get(), 1, u.id);
    int rc;
    std::uint64_t n = 0;
    while ((rc = sqlite3_step(visits->get())) == SQLITE_ROW) {
      n++;
      add(sqlite3_column_int64(visits->get(), 0), sqlite3_column_int64(visits->get(), 1));
    }
    if (rc != SQLITE_DONE) {
      collect.Error(fmt::format("table {}: {} (visits of URL id {} not all read)",
                                schema.visits_table, sqlite3_errmsg(db->get()), u.id));
    }
    // A URL whose visits expired (or were deleted) still says it was visited,
    // and when last.
    if (n == 0) add(std::nullopt, u.last_visit);
  }
  collect.Finish();
  return result;
}

}  // namespace trawl::artifacts::detail
