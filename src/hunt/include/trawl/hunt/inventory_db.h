// The host inventory: one SQLite file per scan of a host (`trawl scan
// --inventory FILE.db`), so indicators that arrive later are checked against
// it (`trawl retro`) without touching the host again.
//
// Schema (version kSchemaVersion; README "Host inventory and retro-hunt"):
//   meta(key PRIMARY KEY, value)  format = "trawl-inventory", schema_version,
//        host, os, started, finished, trawl_version, paths (one a line),
//        indicator_sets (one a line), image_root, complete ("1" once the scan
//        finished), files, files_hashed, digests_reused, digests_read
//   files(path, type, size, mtime_ns, ctime_ns, inode, device, mode, uid, gid,
//         md5, sha1, sha256, digest, member)   one row per walked entry and
//         per archive member; digests are NULL when not computed (over
//         --max-file-size, not regular, not readable); digest = "read",
//         "reused" (from --since) or NULL; member = the chain (schema 2);
//         members = on a walked entry, the number of member rows when the
//         look inside was complete (every member read and hashed, no error
//         or limit; 0: not a container), NULL otherwise (schema 3: what
//         --since needs to reuse the member rows, with meta.unpack_limits)
//   products(product, version, platform, path, source, affected)
//   contacts(kind, value, count, first_ms, last_ms, module, example)
//         one row per distinct (kind, value) (WITHOUT ROWID): kind "domain",
//         "ipv4", "ipv6", "url"; times in Unix milliseconds (NULL: no source
//         gave a time); module "log", "evtx", "journal", "browser", "network";
//         example FILE:LINE, FILE:RECORD, FILE:ENTRY, FILE:ROW or a connection
//
// Writer: rows are queued and written in batches, one transaction per batch,
// by the writer's own thread (the scan's workers only append to a batch; at
// most kMaxQueuedBatches full batches wait, so memory stays bounded), with a
// rollback journal (not WAL: one file to carry away). The file is our output,
// not evidence: during the scan commits are not synced (synchronous=OFF: a
// dying process still leaves a consistent file, the rollback journal sees to
// that), and the last transaction in Finish syncs everything (FULL).
// Contact sightings are merged per (kind, value) in the writer thread's
// memory and written to `contacts` in Finish, sorted; past kMergeBudget bytes
// the merged rows are spilled to `contacts_raw` and Finish merges that table
// in SQL instead (memory stays bounded on a host that names millions).
// Thread-safe. Reader: opens read-only and refuses a file that is not SQLite,
// not a trawl inventory, or of another schema version, with the reason.
#pragma once

#include <sys/stat.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/core/status.h"
#include "trawl/core/string_map.h"
#include "trawl/sweep/sweep.h"

struct sqlite3;
struct sqlite3_stmt;

namespace trawl::hunt {

// 2: files.member (archive members, issue 15). 3: files.members and
// meta.unpack_limits (--since reuses member rows). Versions 1 and 2 are still
// read (1: no member rows; 1 and 2: no member rows reused from them);
// nothing older exists.
inline constexpr int kSchemaVersion = 3;
inline constexpr int kOldestSchemaRead = 1;
inline constexpr std::string_view kFormat = "trawl-inventory";

struct FileRow {
  std::string path;  // as the scanned system names it
  std::string type;  // read::FileTypeName
  std::int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
  std::uint64_t inode = 0, device = 0;
  std::uint32_t mode = 0, uid = 0, gid = 0;
  std::map<std::string, std::string> hashes;  // "md5", "sha1", "sha256"
  std::string digest;                         // "read", "reused", "" (none)
  // An archive member's chain from the file on disk ("setup.zip!x.msi!a.dll",
  // read::Member::chain); empty for a walked entry. A member row has path =
  // the file on disk, type "member", its own size and digests, and no
  // times, inode, device, mode or owner (NULL).
  std::string member;
  // A walked entry's complete look inside: its member rows (schema 3).
  std::optional<std::int64_t> members;
};

struct ContactRow {
  std::string kind, value;
  std::uint64_t count = 0;
  std::optional<std::int64_t> first_ms, last_ms;
  std::string module, example;
};

struct SqliteCloser {
  void operator()(sqlite3* db) const noexcept;
};
struct StmtCloser {
  void operator()(sqlite3_stmt* st) const noexcept;
};
using DbPtr = std::unique_ptr<sqlite3, SqliteCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtCloser>;

class Writer {
 public:
  // Creates `path` afresh (an existing file is replaced) with the schema.
  // `merge_budget`: bytes of merged contacts kept in memory before spilling.
  static Result<std::unique_ptr<Writer>> Create(const std::string& path,
                                                std::size_t batch_rows = 4096,
                                                std::size_t merge_budget = kMergeBudget);
  ~Writer();

  void AddFile(FileRow row);  // queued; thread-safe
  // One source's sightings (taken whole: no row is copied). Thread-safe.
  void AddContacts(std::string_view module, std::vector<sweep::Context::HostSighting>&& h);
  // Flushes, writes products and meta, builds the indexes. Returns the first
  // write error of the whole run, if any.
  Status Finish(const std::vector<InstalledProduct>& products,
                const std::map<std::string, std::string>& meta);

  static constexpr std::size_t kMaxQueuedBatches = 8;
  static constexpr std::size_t kMergeBudget = 256u << 20;

 private:
  struct ContactGroup {
    const std::string* module;  // interned in modules_
    std::vector<sweep::Context::HostSighting> rows;
  };
  struct Batch {
    std::vector<FileRow> files;
    std::vector<ContactGroup> contacts;
    std::size_t contact_rows = 0;
  };
  // A merged contact; its kind and value are the key of merged_[kind].
  struct Merged {
    std::uint64_t count = 0;
    std::optional<std::int64_t> first_ms, last_ms;
    const std::string* module = nullptr;
    std::string example;
  };
  using MergedMap = StringMap<Merged>;  // values in one arena: no allocation per value
  Writer() = default;
  void QueueLocked(std::unique_lock<std::mutex>& lock);  // the current batch
  void Run();                                            // the writer thread
  Status Write(Batch& b);                                // one transaction
  Status Spill();                                        // merged_ -> contacts_raw
  Status WriteMerged(sqlite3_stmt* insert, bool sorted);
  void ClearMerged();
  Status Exec(const char* sql);

  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<Batch> queue_;
  bool stop_ = false;
  std::thread thread_;
  DbPtr db_;  // used by the writer thread until it is joined, then by Finish
  StmtPtr insert_file_, upsert_contact_;
  Batch current_;
  // The writer thread's (then Finish's): contacts merged per kind
  // (sweep::HostTally::KindIndex) by value.
  MergedMap merged_[4];
  std::size_t merged_rows_ = 0;
  // Module names sightings came with (a handful), so a merged row points at one.
  std::set<std::string, std::less<>> modules_;
  std::size_t merged_bytes_ = 0, merge_budget_ = kMergeBudget;
  bool spilled_ = false;
  std::size_t batch_rows_ = 4096;
  Status first_error_;
};

class Reader {
 public:
  // Opens read-only. Errors: not SQLite ("file is not a database"), not a
  // trawl inventory (no meta.format), another schema version.
  static Result<std::unique_ptr<Reader>> Open(const std::string& path);

  const std::map<std::string, std::string>& meta() const { return meta_; }
  std::string Meta(const std::string& key) const;

  // Each row in turn; stops early when fn returns false. Error on a read
  // error part way (a corrupt page).
  Status ForEachFile(const std::function<bool(const FileRow&)>& fn) const;
  Status ForEachContact(const std::function<bool(const ContactRow&)>& fn) const;
  Status ForEachProduct(const std::function<bool(const InstalledProduct&)>& fn) const;

  // Holds one read transaction open until the Reader is closed: every query
  // after it reads the same snapshot without taking and checking SQLite's
  // file locks again (--since asks once per walked file).
  Status Snapshot();

  // --since: the digests held for (device, inode) when size, mtime and ctime
  // are also unchanged and all three digests were computed. Thread-safe.
  std::optional<std::map<std::string, std::string>> Prior(const struct stat& st) const;
  // --since: the member rows of the walked entry `path` when (device, inode,
  // size, mtime, ctime) and path are unchanged, its look inside was complete
  // (files.members) and every row has all three digests (schema 3; nullopt
  // for older files). The caller compares meta.unpack_limits. Thread-safe.
  std::optional<std::vector<sweep::Context::PriorMember>> PriorMembers(
      const std::string& path, const struct stat& st) const;

  // Row counts per table ("files", "files_hashed", "contacts", "products")
  // and per file type / contact kind ("type:regular", "kind:domain").
  Result<std::map<std::string, std::int64_t>> Counts() const;

  const std::string& path() const { return path_; }
  // The file's schema version (kOldestSchemaRead..kSchemaVersion).
  int schema_version() const { return version_; }

 private:
  Reader() = default;
  int version_ = kSchemaVersion;
  std::string path_;
  DbPtr db_;
  std::map<std::string, std::string> meta_;
  mutable std::mutex mu_;
  StmtPtr prior_, prior_members_count_, prior_members_;
};

// The file's mtime / ctime in nanoseconds, as the inventory stores them.
std::int64_t MtimeNs(const struct stat& st);
std::int64_t CtimeNs(const struct stat& st);

}  // namespace trawl::hunt
