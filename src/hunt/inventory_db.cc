#include "trawl/hunt/inventory_db.h"

#include "trawl/sweep/hosts.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace trawl::hunt {

void SqliteCloser::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
void StmtCloser::operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }

std::int64_t MtimeNs(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}
std::int64_t CtimeNs(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
}

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files(path TEXT NOT NULL, type TEXT NOT NULL, size INTEGER, mtime_ns INTEGER,
  ctime_ns INTEGER, inode INTEGER, device INTEGER, mode INTEGER, uid INTEGER, gid INTEGER,
  md5 TEXT, sha1 TEXT, sha256 TEXT, digest TEXT, member TEXT, members INTEGER);
CREATE TABLE products(product TEXT, version TEXT, platform TEXT, path TEXT, source TEXT,
  affected INTEGER);
CREATE TABLE contacts(kind TEXT NOT NULL, value TEXT NOT NULL, count INTEGER NOT NULL,
  first_ms INTEGER, last_ms INTEGER, module TEXT, example TEXT, PRIMARY KEY(kind, value))
  WITHOUT ROWID;
CREATE TABLE contacts_raw(kind TEXT NOT NULL, value TEXT NOT NULL, count INTEGER NOT NULL,
  first_ms INTEGER, last_ms INTEGER, module TEXT, example TEXT);
)sql";

std::string Err(sqlite3* db, std::string_view what) {
  return fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory");
}

Result<StmtPtr> Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK)
    return Status::Error(Err(db, "prepare"));
  return StmtPtr(st);
}

// Not copied: every caller steps the statement while `v` lives, and clears
// the bindings before the strings go (ClearBindings).
void BindText(sqlite3_stmt* st, int i, const std::string& v) {
  if (v.empty())
    sqlite3_bind_null(st, i);
  else
    sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void ClearBindings(sqlite3_stmt* st) {
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}
void BindOpt(sqlite3_stmt* st, int i, const std::optional<std::int64_t>& v) {
  if (v)
    sqlite3_bind_int64(st, i, *v);
  else
    sqlite3_bind_null(st, i);
}
std::string Col(sqlite3_stmt* st, int i) {
  const unsigned char* p = sqlite3_column_text(st, i);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(st, i)))
           : std::string();
}
std::optional<std::int64_t> ColOpt(sqlite3_stmt* st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(st, i);
}
// A reference into `h` (bound without a copy: see BindText).
const std::string& Hash(const std::map<std::string, std::string>& h, const char* k) {
  static const std::string kNone;
  auto it = h.find(k);
  return it == h.end() ? kNone : it->second;
}

}  // namespace

Status Writer::Exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "error";
    sqlite3_free(msg);
    return Status::Error(fmt::format("inventory: {}", m));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Writer>> Writer::Create(const std::string& path, std::size_t batch_rows,
                                               std::size_t merge_budget) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Status::Error(
        fmt::format("inventory {}: cannot replace: {}", path, std::strerror(errno)));
  std::unique_ptr<Writer> w(new Writer);
  w->batch_rows_ = batch_rows ? batch_rows : 1;
  w->merge_budget_ = merge_budget;
  sqlite3* db = nullptr;
  // One thread at a time uses the handle (the writer thread, then Finish):
  // SQLite's own per-call locking is not needed.
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  w->db_.reset(db);
  if (rc != SQLITE_OK) return Status::Error(Err(db, "inventory " + path));
  // Rollback journal, not WAL: the inventory is one file to carry away. Our
  // own output, so no sync per batch (a killed process still leaves a
  // consistent file); Finish syncs once at the end.
  if (Status st = w->Exec("PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; "
                          "PRAGMA cache_size=-32768; PRAGMA temp_store=MEMORY;");
      !st.ok())
    return st;
  if (Status st = w->Exec(kSchema); !st.ok()) return st;
  if (Status st = w->Exec(fmt::format("INSERT INTO meta VALUES('format','{}'),"
                                      "('schema_version','{}'),('complete','0');",
                                      kFormat, kSchemaVersion)
                              .c_str());
      !st.ok())
    return st;
  auto ins = Prepare(db, "INSERT INTO files VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!ins.ok()) return ins.status();
  w->insert_file_ = std::move(*ins);
  // Sightings are appended as they come (one per source and value: cheap,
  // sequential pages) and merged per (kind, value) once, in Finish.
  auto up = Prepare(db, "INSERT INTO contacts_raw VALUES(?1,?2,?3,?4,?5,?6,?7)");
  if (!up.ok()) return up.status();
  w->upsert_contact_ = std::move(*up);
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  return w;
}

Writer::~Writer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  ready_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// The current batch joins the queue; waits while the queue is full (bounded
// memory: the scan never runs more than kMaxQueuedBatches ahead of the disk).
void Writer::QueueLocked(std::unique_lock<std::mutex>& lock) {
  if (current_.files.empty() && current_.contacts.empty()) return;
  space_.wait(lock, [&] { return queue_.size() < kMaxQueuedBatches || stop_; });
  queue_.push_back(std::move(current_));
  current_ = Batch{};
  ready_.notify_one();
}

void Writer::AddFile(FileRow row) {
  std::unique_lock<std::mutex> lock(mu_);
  current_.files.push_back(std::move(row));
  if (current_.files.size() >= batch_rows_) QueueLocked(lock);
}

void Writer::AddContacts(std::string_view module,
                         std::vector<sweep::Context::HostSighting>&& hosts) {
  if (hosts.empty()) return;
  std::unique_lock<std::mutex> lock(mu_);
  auto m = modules_.find(module);
  if (m == modules_.end()) m = modules_.emplace(module).first;
  current_.contact_rows += hosts.size();
  current_.contacts.push_back({&*m, std::move(hosts)});
  if (current_.contact_rows >= batch_rows_) QueueLocked(lock);
}

void Writer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    ready_.wait(lock, [&] { return !queue_.empty() || stop_; });
    if (queue_.empty()) return;  // stopped, and everything written
    Batch b = std::move(queue_.front());
    queue_.pop_front();
    space_.notify_all();
    lock.unlock();
    Status st = Write(b);
    b = Batch{};  // freed off the lock
    lock.lock();
    if (!st.ok() && first_error_.ok()) first_error_ = st;
  }
}

namespace {

Status InsertContact(sqlite3* db, sqlite3_stmt* c, int kind, std::string_view value,
                     const std::uint64_t count, const std::optional<std::int64_t>& first_ms,
                     const std::optional<std::int64_t>& last_ms, const std::string& module,
                     const std::string& example) {
  std::string_view k = sweep::HostTally::KindName(kind);
  sqlite3_reset(c);
  sqlite3_bind_text(c, 1, k.data(), static_cast<int>(k.size()), SQLITE_STATIC);
  sqlite3_bind_text(c, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  sqlite3_bind_int64(c, 3, static_cast<std::int64_t>(count));
  BindOpt(c, 4, first_ms);
  BindOpt(c, 5, last_ms);
  BindText(c, 6, module);
  BindText(c, 7, example);
  if (sqlite3_step(c) != SQLITE_DONE) {
    ClearBindings(c);
    return Status::Error(Err(db, "inventory: contacts"));
  }
  return Status::Ok();
}

}  // namespace

// Every merged row, in (kind, value) order when `sorted` (the contacts
// table's primary key: SQLite's B-tree then only appends).
Status Writer::WriteMerged(sqlite3_stmt* c, bool sorted) {
  static const std::string kNone;
  for (int k = 0; k < sweep::HostTally::kKinds; ++k) {
    const MergedMap& m = merged_[k];
    std::vector<const MergedMap::Entry*> rows;
    rows.reserve(m.size());
    for (const auto& e : m.entries()) rows.push_back(&e);
    if (sorted)
      std::sort(rows.begin(), rows.end(),
                [&](const auto* a, const auto* b) { return m.Key(*a) < m.Key(*b); });
    for (const auto* e : rows) {
      const Merged& r = e->value;
      if (Status st = InsertContact(db_.get(), c, k, m.Key(*e), r.count, r.first_ms, r.last_ms,
                                    r.module ? *r.module : kNone, r.example);
          !st.ok())
        return st;
    }
  }
  ClearBindings(c);
  return Status::Ok();
}

void Writer::ClearMerged() {
  for (MergedMap& m : merged_) m.clear();
  merged_rows_ = 0;
  merged_bytes_ = 0;
}

Status Writer::Spill() {
  if (merged_rows_ == 0) return Status::Ok();
  spilled_ = true;
  Status st = Exec("BEGIN");
  if (st.ok()) st = WriteMerged(upsert_contact_.get(), false);
  Status commit = Exec(st.ok() ? "COMMIT" : "ROLLBACK");
  if (st.ok()) st = commit;
  ClearMerged();
  return st;
}

Status Writer::Write(Batch& b) {
  // Contacts: merged in memory (no transaction needed), spilled past the budget.
  for (ContactGroup& g : b.contacts) {
    for (sweep::Context::HostSighting& h : g.rows) {
      bool fresh = false;
      Merged& into = merged_[sweep::HostTally::KindIndex(h.kind)].FindOrInsert(h.value, fresh);
      if (fresh) {
        merged_bytes_ += h.value.size() + h.example.size() + 96;
        merged_rows_++;
        into = Merged{h.count, h.first_ms, h.last_ms, g.module, std::move(h.example)};
        continue;
      }
      into.count += h.count;
      if (h.first_ms && (!into.first_ms || *h.first_ms < *into.first_ms)) into.first_ms = h.first_ms;
      if (h.last_ms && (!into.last_ms || *h.last_ms > *into.last_ms)) into.last_ms = h.last_ms;
    }
  }
  if (merged_bytes_ > merge_budget_)
    if (Status st = Spill(); !st.ok()) return st;
  if (b.files.empty()) return Status::Ok();
  Status st = Exec("BEGIN");
  sqlite3_stmt* f = insert_file_.get();
  for (const FileRow& r : b.files) {
    if (!st.ok()) break;
    sqlite3_reset(f);
    BindText(f, 1, r.path);
    BindText(f, 2, r.type);
    sqlite3_bind_int64(f, 3, r.size);
    if (r.member.empty()) {
      sqlite3_bind_int64(f, 4, r.mtime_ns);
      sqlite3_bind_int64(f, 5, r.ctime_ns);
      sqlite3_bind_int64(f, 6, static_cast<std::int64_t>(r.inode));
      sqlite3_bind_int64(f, 7, static_cast<std::int64_t>(r.device));
      sqlite3_bind_int64(f, 8, r.mode);
      sqlite3_bind_int64(f, 9, r.uid);
      sqlite3_bind_int64(f, 10, r.gid);
    } else {  // a member has none of its own (and must never match --since's lookup)
      for (int i = 4; i <= 10; ++i) sqlite3_bind_null(f, i);
    }
    BindText(f, 11, Hash(r.hashes, "md5"));
    BindText(f, 12, Hash(r.hashes, "sha1"));
    BindText(f, 13, Hash(r.hashes, "sha256"));
    BindText(f, 14, r.digest);
    BindText(f, 15, r.member);
    if (r.members && r.member.empty())
      sqlite3_bind_int64(f, 16, *r.members);
    else
      sqlite3_bind_null(f, 16);
    if (sqlite3_step(f) != SQLITE_DONE) st = Status::Error(Err(db_.get(), "inventory: files"));
  }
  ClearBindings(f);
  Status commit = Exec(st.ok() ? "COMMIT" : "ROLLBACK");
  if (st.ok()) st = commit;
  return st;
}

Status Writer::Finish(const std::vector<InstalledProduct>& products,
                      const std::map<std::string, std::string>& meta) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    QueueLocked(lock);
    stop_ = true;
  }
  ready_.notify_all();
  if (thread_.joinable()) thread_.join();  // every queued batch written
  if (!first_error_.ok()) return first_error_;
  if (spilled_)  // the rest joins the spilled rows; merged in SQL below
    if (Status st = Spill(); !st.ok()) return st;
  // The end of the scan: this last transaction, and everything before it,
  // reaches the disk before Finish returns.
  if (Status st = Exec("PRAGMA synchronous=FULL"); !st.ok()) return st;
  if (Status st = Exec("BEGIN"); !st.ok()) return st;
  auto p = Prepare(db_.get(), "INSERT INTO products VALUES(?,?,?,?,?,?)");
  if (!p.ok()) return p.status();
  for (const InstalledProduct& ip : products) {
    sqlite3_reset(p->get());
    BindText(p->get(), 1, ip.product);
    BindText(p->get(), 2, ip.version);
    BindText(p->get(), 3, ip.platform);
    BindText(p->get(), 4, ip.path);
    BindText(p->get(), 5, ip.source);
    sqlite3_bind_int(p->get(), 6, ip.affected ? 1 : 0);
    if (sqlite3_step(p->get()) != SQLITE_DONE) return Status::Error(Err(db_.get(), "products"));
  }
  ClearBindings(p->get());
  auto m = Prepare(db_.get(), "INSERT OR REPLACE INTO meta VALUES(?,?)");
  if (!m.ok()) return m.status();
  auto put = [&](const std::string& k, const std::string& v) {
    sqlite3_reset(m->get());
    sqlite3_bind_text(m->get(), 1, k.data(), static_cast<int>(k.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(m->get(), 2, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return sqlite3_step(m->get()) == SQLITE_DONE;
  };
  for (const auto& [k, v] : meta)
    if (k != "format" && k != "schema_version" && !put(k, v))
      return Status::Error(Err(db_.get(), "meta"));
  // The contact index: one row per (kind, value), with the module and example
  // of one of its sightings. Merged in memory (the usual case): written in
  // key order, which keeps SQLite's primary-key B-tree appending.
  if (!spilled_) {
    auto c = Prepare(db_.get(), "INSERT INTO contacts VALUES(?1,?2,?3,?4,?5,?6,?7)");
    if (!c.ok()) return c.status();
    if (Status st = WriteMerged(c->get(), true); !st.ok()) return st;
    ClearMerged();
  }
  if (spilled_)
    if (Status st =
            Exec("INSERT INTO contacts SELECT kind, value, SUM(count), MIN(COALESCE(first_ms, "
                 "9223372036854775807)), MAX(last_ms), module, example FROM contacts_raw GROUP BY "
                 "kind, value; UPDATE contacts SET first_ms = NULL WHERE first_ms = "
                 "9223372036854775807;");
        !st.ok())
      return st;
  if (Status st = Exec("DROP TABLE contacts_raw;"); !st.ok()) return st;
  if (!meta.count("complete") && !put("complete", "1"))
    return Status::Error(Err(db_.get(), "meta"));
  // Indexes once, after the rows (cheaper than maintaining them per insert),
  // in the same last transaction: one synced commit for the whole end.
  if (Status st = Exec("CREATE INDEX files_inode ON files(device, inode);"
                       "CREATE INDEX files_path ON files(path);");
      !st.ok())
    return st;
  return Exec("COMMIT");
}

Result<std::unique_ptr<Reader>> Reader::Open(const std::string& path) {
  std::unique_ptr<Reader> r(new Reader);
  r->path_ = path;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  r->db_.reset(db);
  if (rc != SQLITE_OK) return Status::Error(Err(db, "cannot open"));
  auto st = Prepare(db, "SELECT key, value FROM meta");
  if (!st.ok()) {
    // "file is not a database" (not SQLite) or "no such table: meta" (another SQLite file).
    std::string why = sqlite3_errmsg(db);
    if (why.find("no such table") != std::string::npos)
      return Status::Error("not a trawl inventory (an SQLite file without its meta table)");
    return Status::Error("not a readable trawl inventory: " + why);
  }
  int step;
  while ((step = sqlite3_step(st->get())) == SQLITE_ROW)
    r->meta_[Col(st->get(), 0)] = Col(st->get(), 1);
  if (step != SQLITE_DONE) return Status::Error(Err(db, "meta"));
  if (r->Meta("format") != kFormat)
    return Status::Error("not a trawl inventory (meta.format is not trawl-inventory)");
  r->version_ = 0;
  for (int v = kOldestSchemaRead; v <= kSchemaVersion; ++v)
    if (r->Meta("schema_version") == std::to_string(v)) r->version_ = v;
  if (r->version_ == 0)
    return Status::Error(fmt::format("inventory schema version {} (this trawl reads {} to {})",
                                     r->Meta("schema_version"), kOldestSchemaRead,
                                     kSchemaVersion));
  // Member rows have no device or inode, so they never match (version 1 has none).
  auto prior = Prepare(db,
                       "SELECT md5, sha1, sha256 FROM files WHERE device=?1 AND inode=?2 AND "
                       "size=?3 AND mtime_ns=?4 AND ctime_ns=?5 AND md5 IS NOT NULL AND sha1 IS "
                       "NOT NULL AND sha256 IS NOT NULL LIMIT 1");
  if (!prior.ok()) return Status::Error("files: " + prior.status().message());
  r->prior_ = std::move(*prior);
  if (r->version_ >= 3) {
    auto count = Prepare(db,
                         "SELECT members FROM files WHERE device=?1 AND inode=?2 AND size=?3 AND "
                         "mtime_ns=?4 AND ctime_ns=?5 AND path=?6 AND member IS NULL AND members "
                         "IS NOT NULL LIMIT 1");
    if (!count.ok()) return Status::Error("files: " + count.status().message());
    r->prior_members_count_ = std::move(*count);
    // Rowid order: the order the scan wrote (and reports) them.
    auto rows = Prepare(db,
                        "SELECT member, size, md5, sha1, sha256 FROM files WHERE path=?1 AND "
                        "member IS NOT NULL ORDER BY rowid");
    if (!rows.ok()) return Status::Error("files: " + rows.status().message());
    r->prior_members_ = std::move(*rows);
  }
  return r;
}

std::string Reader::Meta(const std::string& key) const {
  auto it = meta_.find(key);
  return it == meta_.end() ? std::string() : it->second;
}

Status Reader::ForEachFile(const std::function<bool(const FileRow&)>& fn) const {
  // Version 1 has no member column: every row is a walked entry.
  auto st = Prepare(db_.get(), version_ >= 2
                                   ? "SELECT path, type, size, mtime_ns, ctime_ns, inode, device, "
                                     "mode, uid, gid, md5, sha1, sha256, digest, member FROM files"
                                   : "SELECT path, type, size, mtime_ns, ctime_ns, inode, device, "
                                     "mode, uid, gid, md5, sha1, sha256, digest, NULL FROM files");
  if (!st.ok()) return Status::Error(path_ + ": " + st.status().message());
  sqlite3_stmt* s = st->get();
  FileRow r;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    r.path = Col(s, 0);
    r.type = Col(s, 1);
    r.size = sqlite3_column_int64(s, 2);
    r.mtime_ns = sqlite3_column_int64(s, 3);
    r.ctime_ns = sqlite3_column_int64(s, 4);
    r.inode = static_cast<std::uint64_t>(sqlite3_column_int64(s, 5));
    r.device = static_cast<std::uint64_t>(sqlite3_column_int64(s, 6));
    r.mode = static_cast<std::uint32_t>(sqlite3_column_int64(s, 7));
    r.uid = static_cast<std::uint32_t>(sqlite3_column_int64(s, 8));
    r.gid = static_cast<std::uint32_t>(sqlite3_column_int64(s, 9));
    r.hashes.clear();
    const char* names[] = {"md5", "sha1", "sha256"};
    for (int i = 0; i < 3; ++i)
      if (std::string h = Col(s, 10 + i); !h.empty()) r.hashes[names[i]] = std::move(h);
    r.digest = Col(s, 13);
    r.member = Col(s, 14);
    if (!fn(r)) return Status::Ok();
  }
  if (rc != SQLITE_DONE) return Status::Error(Err(db_.get(), path_ + ": files"));
  return Status::Ok();
}

Status Reader::ForEachContact(const std::function<bool(const ContactRow&)>& fn) const {
  auto st = Prepare(db_.get(),
                    "SELECT kind, value, count, first_ms, last_ms, module, example FROM contacts");
  if (!st.ok()) return Status::Error(path_ + ": " + st.status().message());
  sqlite3_stmt* s = st->get();
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    ContactRow r{Col(s, 0),    Col(s, 1),    static_cast<std::uint64_t>(sqlite3_column_int64(s, 2)),
                 ColOpt(s, 3), ColOpt(s, 4), Col(s, 5),
                 Col(s, 6)};
    if (!fn(r)) return Status::Ok();
  }
  if (rc != SQLITE_DONE) return Status::Error(Err(db_.get(), path_ + ": contacts"));
  return Status::Ok();
}

Status Reader::ForEachProduct(const std::function<bool(const InstalledProduct&)>& fn) const {
  auto st =
      Prepare(db_.get(), "SELECT product, version, platform, path, source, affected FROM products");
  if (!st.ok()) return Status::Error(path_ + ": " + st.status().message());
  sqlite3_stmt* s = st->get();
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    InstalledProduct p{Col(s, 0), Col(s, 1), Col(s, 2),
                       Col(s, 3), Col(s, 4), sqlite3_column_int(s, 5) != 0};
    if (!fn(p)) return Status::Ok();
  }
  if (rc != SQLITE_DONE) return Status::Error(Err(db_.get(), path_ + ": products"));
  return Status::Ok();
}

Status Reader::Snapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  char* msg = nullptr;
  if (sqlite3_exec(db_.get(), "BEGIN; SELECT COUNT(*) FROM meta;", nullptr, nullptr, &msg) !=
      SQLITE_OK) {
    std::string m = msg ? msg : "error";
    sqlite3_free(msg);
    return Status::Error(path_ + ": " + m);
  }
  return Status::Ok();
}

namespace {

// Binds a file's version, (device, inode, size, mtime, ctime), to parameters
// 1-5: the key under which --since reuses what an earlier scan read.
void BindVersion(sqlite3_stmt* s, const struct stat& st) {
  sqlite3_bind_int64(s, 1, static_cast<std::int64_t>(st.st_dev));
  sqlite3_bind_int64(s, 2, static_cast<std::int64_t>(st.st_ino));
  sqlite3_bind_int64(s, 3, static_cast<std::int64_t>(st.st_size));
  sqlite3_bind_int64(s, 4, MtimeNs(st));
  sqlite3_bind_int64(s, 5, CtimeNs(st));
}

}  // namespace

std::optional<std::map<std::string, std::string>> Reader::Prior(const struct stat& st) const {
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_stmt* s = prior_.get();
  sqlite3_reset(s);
  BindVersion(s, st);
  if (sqlite3_step(s) != SQLITE_ROW) return std::nullopt;
  std::map<std::string, std::string> h{
      {"md5", Col(s, 0)}, {"sha1", Col(s, 1)}, {"sha256", Col(s, 2)}};
  sqlite3_reset(s);
  return h;
}

std::optional<std::vector<sweep::Context::PriorMember>> Reader::PriorMembers(
    const std::string& path, const struct stat& st) const {
  if (!prior_members_count_) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_stmt* c = prior_members_count_.get();
  sqlite3_reset(c);
  BindVersion(c, st);
  BindText(c, 6, path);
  if (sqlite3_step(c) != SQLITE_ROW) {
    sqlite3_reset(c);
    return std::nullopt;
  }
  const std::int64_t want = sqlite3_column_int64(c, 0);
  sqlite3_reset(c);
  std::vector<sweep::Context::PriorMember> out;
  if (want == 0) return out;
  sqlite3_stmt* s = prior_members_.get();
  sqlite3_reset(s);
  BindText(s, 1, path);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    sweep::Context::PriorMember m;
    m.chain = Col(s, 0);
    m.size = static_cast<std::uint64_t>(sqlite3_column_int64(s, 1));
    const char* names[] = {"md5", "sha1", "sha256"};
    for (int i = 0; i < 3; ++i) {
      std::string h = Col(s, 2 + i);
      if (h.empty()) {  // not read: the rows do not stand for the content
        sqlite3_reset(s);
        return std::nullopt;
      }
      m.hashes[names[i]] = std::move(h);
    }
    out.push_back(std::move(m));
  }
  sqlite3_reset(s);
  // A path walked twice (two roots) or a partial write: not these rows.
  if (rc != SQLITE_DONE || static_cast<std::int64_t>(out.size()) != want) return std::nullopt;
  return out;
}

Result<std::map<std::string, std::int64_t>> Reader::Counts() const {
  std::map<std::string, std::int64_t> out;
  struct Q {
    const char* sql;
    const char* prefix;
  };
  // Walked entries and archive members are counted apart (version 1: no members).
  const bool v2 = version_ >= 2;
  const Q queries[] = {
      {v2 ? "SELECT 'files', COUNT(*) FROM files WHERE member IS NULL"
          : "SELECT 'files', COUNT(*) FROM files",
       ""},
      {v2 ? "SELECT 'files_hashed', COUNT(*) FROM files WHERE sha256 IS NOT NULL AND member IS NULL"
          : "SELECT 'files_hashed', COUNT(*) FROM files WHERE sha256 IS NOT NULL",
       ""},
      {v2 ? "SELECT 'bytes_hashed', COALESCE(SUM(size), 0) FROM files WHERE sha256 IS NOT NULL "
            "AND member IS NULL"
          : "SELECT 'bytes_hashed', COALESCE(SUM(size), 0) FROM files WHERE sha256 IS NOT NULL",
       ""},
      {v2 ? "SELECT 'members', COUNT(*) FROM files WHERE member IS NOT NULL"
          : "SELECT 'members', 0",
       ""},
      {"SELECT 'contacts', COUNT(*) FROM contacts", ""},
      {"SELECT 'products', COUNT(*) FROM products", ""},
      {"SELECT type, COUNT(*) FROM files GROUP BY type", "type:"},
      {"SELECT kind, COUNT(*) FROM contacts GROUP BY kind", "kind:"},
      {"SELECT digest, COUNT(*) FROM files WHERE digest IS NOT NULL GROUP BY digest", "digest:"},
  };
  for (const Q& q : queries) {
    auto st = Prepare(db_.get(), q.sql);
    if (!st.ok()) return Status::Error(path_ + ": " + st.status().message());
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW)
      out[q.prefix + Col(st->get(), 0)] = sqlite3_column_int64(st->get(), 1);
    if (rc != SQLITE_DONE) return Status::Error(Err(db_.get(), path_));
  }
  return out;
}

}  // namespace trawl::hunt
