#include "trawl/hunt/retro.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include "trawl/content/content.h"
#include "trawl/inventory/inventory.h"
#include "trawl/ioc/indicator.h"
#include "trawl/live/image.h"
#include "trawl/logs/logs.h"
#include "trawl/match/filename.h"
#include "trawl/netmatch/netmatch.h"

namespace trawl::hunt {

namespace {

void AddOrigin(Finding& f, const Reader& db, std::string_view seen_by) {
  f.module = "retro";
  f.extra.push_back({"host", db.Meta("host")});
  f.extra.push_back({"inventory", db.path()});
  f.extra.push_back({"seen_by", std::string(seen_by)});
}

std::string Iso(std::int64_t ms) { return logs::FormatIsoUtc(ms); }

// "C:\..." (how a --map volume's paths are stored).
bool IsWindowsPath(std::string_view p) {
  return p.size() >= 3 && ((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) &&
         p[1] == ':' && p[2] == '\\';
}

}  // namespace

Status Check(const Reader& db, const sweep::Engine& engine, const Thresholds& thresholds,
             const std::function<void(Finding&)>& emit, RetroStats& stats) {
  const std::string scanned = db.Meta("started");
  std::unique_ptr<match::FilenameMatcher::Scratch> scratch;
  if (engine.filenames) scratch = engine.filenames->MakeScratch();
  // Paths a --map volume gave (C:\...) are Windows names: caseless there, as
  // the file sweep matches them on the volume (live::WindowsNames).
  std::unique_ptr<live::WindowsNames::Scratch> win_scratch;
  if (engine.win_names) win_scratch = engine.win_names->MakeScratch();
  std::vector<const ioc::Indicator*> hits;
  bool hashes =
      engine.set && (engine.set->Has(ioc::Kind::kMd5) || engine.set->Has(ioc::Kind::kSha1) ||
                     engine.set->Has(ioc::Kind::kSha256));
  if (hashes || engine.filenames) {
    std::vector<Reason> reasons;  // reused: most rows match nothing
    std::string member_name;
    Status st = db.ForEachFile([&](const FileRow& r) {
      stats.files++;
      reasons.clear();
      // A member's name as the scan matched it: "/share/setup.zip!3CX.msi!ffmpeg.dll"
      // (the chain starts with the archive's own base name).
      const std::string* name = &r.path;
      if (!r.member.empty()) {
        std::size_t bang = r.member.find('!');
        member_name.assign(r.path);
        if (bang != std::string::npos) member_name.append(r.member, bang, std::string::npos);
        name = &member_name;
      }
      if (engine.filenames) {
        hits.clear();
        engine.filenames->Match(*name, *scratch, hits);
        if (win_scratch && IsWindowsPath(*name)) engine.win_names->Match(*name, *win_scratch, hits);
        for (const ioc::Indicator* ind : hits)
          reasons.push_back({std::string(reason::kFilename), ind->value, ind->description,
                             ind->source, ind->score});
      }
      if (hashes && !r.hashes.empty() &&
          !content::HashReasons(*engine.set, r.hashes, r.path, reasons))
        return true;  // a trusted hash: known good, as in the scan
      if (reasons.empty()) return true;
      Finding f;
      f.path = r.path;
      f.size = static_cast<std::uint64_t>(r.size);
      f.reasons = std::move(reasons);
      f.hashes = r.hashes;
      if (!r.member.empty()) f.extra.push_back({"member", r.member});
      AddOrigin(f, db, module::kFile);
      f.extra.push_back({"seen", scanned});
      if (!r.digest.empty()) f.extra.push_back({"digest", r.digest});
      emit(f);
      reasons = {};
      return true;
    });
    if (!st.ok()) return st;
  }

  if (engine.net) {
    Status st = db.ForEachContact([&](const ContactRow& c) {
      stats.contacts++;
      const ioc::Indicator* ind = nullptr;
      if (c.kind == "domain")
        ind = engine.net->MatchHost(c.value);
      else if (c.kind == "ipv4" || c.kind == "ipv6")
        ind = engine.net->MatchIp(c.value);
      else if (c.kind == "url") {
        ind = engine.net->MatchUrl(c.value);
        if (ind && ind->kind != ioc::Kind::kUrl) ind = nullptr;  // the host's own row reports it
      }
      if (!ind) return true;
      Finding f;
      f.path = c.example.empty() ? c.value : c.example;
      f.reasons.push_back(
          {ioc::ReasonKind(ind->kind), ind->value, ind->description, ind->source, ind->score});
      AddOrigin(f, db, c.module);
      f.extra.push_back({"contact", c.value});
      f.extra.push_back({"contact_kind", c.kind});
      f.extra.push_back({"hits", static_cast<std::int64_t>(c.count)});
      if (c.first_ms) f.extra.push_back({"first_seen", Iso(*c.first_ms)});
      if (c.last_ms) f.extra.push_back({"last_seen", Iso(*c.last_ms)});
      emit(f);
      return true;
    });
    if (!st.ok()) return st;
  }

  if (engine.set && engine.set->Has(ioc::Kind::kVersion)) {
    inventory::VersionIndex versions(*engine.set);
    Status st = db.ForEachProduct([&](const InstalledProduct& p) {
      stats.products++;
      const ioc::Indicator* ind = versions.Match(p);
      if (!ind) return true;
      Finding f = inventory::ToFinding(p, *ind, thresholds);
      f.level = Level::kNone;  // scored again by the caller
      f.score = 0;
      AddOrigin(f, db, module::kInventory);
      f.extra.push_back({"seen", scanned});
      emit(f);
      return true;
    });
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

std::map<std::string, std::uint64_t> NotCheckable(const ioc::IndicatorSet& set) {
  std::map<std::string, std::uint64_t> out;
  if (std::size_t n = set.CountOf(ioc::Kind::kKeyword)) out["keyword"] = n;
  if (std::size_t n = set.CountOf(ioc::Kind::kYara)) out["yara"] = n;
  return out;
}

Status Diff(const std::string& old_db, const std::string& new_db,
            const std::function<void(std::string_view, std::string_view, std::string_view)>& fn,
            std::map<std::string, std::uint64_t>& counts) {
  // Both must be inventories of this schema (the Reader says why not).
  auto o = Reader::Open(old_db);
  if (!o.ok()) return Status::Error(old_db + ": " + o.status().message());
  auto n = Reader::Open(new_db);
  if (!n.ok()) return Status::Error(new_db + ": " + n.status().message());
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(new_db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return Status::Error(new_db + ": " + sqlite3_errmsg(raw));
  sqlite3_stmt* att = nullptr;
  if (sqlite3_prepare_v2(raw, "ATTACH DATABASE ?1 AS old", -1, &att, nullptr) != SQLITE_OK)
    return Status::Error(std::string("diff: ") + sqlite3_errmsg(raw));
  StmtPtr attach(att);
  sqlite3_bind_text(att, 1, old_db.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(att) != SQLITE_DONE) return Status::Error(old_db + ": " + sqlite3_errmsg(raw));
  struct Q {
    const char* change;
    const char* sql;
  };
  // A path present several times (hard links walked twice) compares its first row.
  // Walked entries only: archive members (schema 2) share their archive's path.
  const std::string nf = (*n)->schema_version() >= 2 ? "(SELECT * FROM main.files WHERE member IS NULL)"
                                                     : "main.files";
  const std::string of = (*o)->schema_version() >= 2 ? "(SELECT * FROM old.files WHERE member IS NULL)"
                                                     : "old.files";
  const std::string added = fmt::format(
      "SELECT path, type FROM {} WHERE path NOT IN (SELECT path FROM {})", nf, of);
  const std::string removed = fmt::format(
      "SELECT path, type FROM {} WHERE path NOT IN (SELECT path FROM {})", of, nf);
  const std::string changed = fmt::format(
      "SELECT n.path, trim((CASE WHEN n.size IS NOT o.size THEN 'size ' ELSE '' END) || "
      "(CASE WHEN n.mtime_ns IS NOT o.mtime_ns THEN 'mtime ' ELSE '' END) || "
      "(CASE WHEN n.sha256 IS NOT o.sha256 AND n.sha256 IS NOT NULL AND o.sha256 IS NOT NULL "
      "THEN 'sha256 ' ELSE '' END) || (CASE WHEN n.mode IS NOT o.mode THEN 'mode ' ELSE '' END))"
      " AS what FROM {} n JOIN {} o ON n.path = o.path WHERE what != ''",
      nf, of);
  const Q queries[] = {
      {"added", added.c_str()},
      {"removed", removed.c_str()},
      {"changed", changed.c_str()},
      {"new_contact",
       "SELECT kind || ' ' || value, example FROM main.contacts c WHERE NOT EXISTS (SELECT 1 "
       "FROM old.contacts p WHERE p.kind = c.kind AND p.value = c.value)"},
      {"new_product",
       "SELECT product || ' ' || version, path FROM main.products n WHERE NOT EXISTS (SELECT 1 "
       "FROM old.products o WHERE o.product = n.product AND o.version = n.version AND o.path = "
       "n.path)"},
      {"removed_product",
       "SELECT product || ' ' || version, path FROM old.products o WHERE NOT EXISTS (SELECT 1 "
       "FROM main.products n WHERE o.product = n.product AND o.version = n.version AND o.path = "
       "n.path)"},
  };
  for (const Q& q : queries) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(raw, q.sql, -1, &s, nullptr) != SQLITE_OK)
      return Status::Error(std::string("diff: ") + sqlite3_errmsg(raw));
    StmtPtr st(s);
    counts[q.change] += 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      auto col = [&](int i) {
        const unsigned char* p = sqlite3_column_text(s, i);
        return p ? std::string_view(reinterpret_cast<const char*>(p),
                                    static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
                 : std::string_view();
      };
      counts[q.change]++;
      fn(q.change, col(0), col(1));
    }
    if (rc != SQLITE_DONE) return Status::Error(std::string("diff: ") + sqlite3_errmsg(raw));
  }
  return Status::Ok();
}

}  // namespace trawl::hunt
