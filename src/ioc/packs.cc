#include "trawl/ioc/packs.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "trawl/core/text.h"
#include "trawl/core/unique_handle.h"
#include "trawl/ioc/loader.h"
#include "trawl/ioc/sources.h"

namespace trawl::ioc {
namespace fs = std::filesystem;

namespace {

using Json = nlohmann::json;

struct ArchiveDeleter {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// First line of a small text file, trimmed; empty if absent or not clean.
std::string FirstLine(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec) || fs::file_size(p, ec) > 4096) return {};
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  std::string out(TrimAscii(line));
  for (char c : out)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) return {};
  return out.size() <= 100 ? out : std::string();
}

// The commit .git/HEAD points at (loose ref or packed-refs).
std::string GitCommit(const fs::path& root) {
  fs::path git = root / ".git";
  std::string head = FirstLine(git / "HEAD");
  if (head.rfind("ref: ", 0) != 0) return IsHex(head) && head.size() >= 7 ? head : "";
  std::string ref = head.substr(5);
  if (ref.find("..") != std::string::npos) return {};
  std::string commit = FirstLine(git / ref);
  if (IsHex(commit) && commit.size() >= 7) return commit;
  std::ifstream packed(git / "packed-refs");
  for (std::string line; std::getline(packed, line);) {
    size_t sp = line.find(' ');
    if (sp != std::string::npos && line.substr(sp + 1) == ref && IsHex(line.substr(0, sp)))
      return line.substr(0, sp);
  }
  return {};
}

std::string VersionOf(const fs::path& root) {
  for (const char* name : {"VERSION", "version", "VERSION.txt"}) {
    std::string v = FirstLine(root / name);
    if (!v.empty()) return v;
  }
  std::string commit = GitCommit(root);
  if (!commit.empty()) return "git " + commit;
  return "unknown";
}

struct CopyState {
  const InstallLimits& limits;
  std::uint64_t total = 0, entries = 0;
  std::map<std::string, std::uint64_t> skipped;
};

Status CountEntry(CopyState& st) {
  if (++st.entries > st.limits.max_entries)
    return Status::Error("more than " + std::to_string(st.limits.max_entries) + " entries");
  return Status::Ok();
}

Status CopyFolder(const fs::path& src, const fs::path& dst, CopyState& st) {
  std::error_code ec;
  fs::create_directories(dst, ec);
  if (ec) return Status::Error(dst.string() + ": " + ec.message());
  fs::recursive_directory_iterator it(src, fs::directory_options::none, ec), end;
  if (ec) return Status::Error(src.string() + ": cannot list: " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::Error(src.string() + ": cannot list: " + ec.message());
    const fs::path& p = it->path();
    fs::path rel = fs::relative(p, src, ec);
    if (ec) return Status::Error(p.string() + ": " + ec.message());
    fs::file_status s = it->symlink_status(ec);
    if (ec) return Status::Error(p.string() + ": " + ec.message());
    if (fs::is_directory(s) && p.filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (Status c = CountEntry(st); !c.ok()) return c;
    if (fs::is_directory(s)) {
      fs::create_directories(dst / rel, ec);
      if (ec) return Status::Error((dst / rel).string() + ": " + ec.message());
    } else if (fs::is_regular_file(s)) {
      std::uint64_t size = fs::file_size(p, ec);
      if (ec) return Status::Error(p.string() + ": " + ec.message());
      if (size > st.limits.max_file)
        return Status::Error(p.string() + ": larger than the per-file limit");
      st.total += size;
      if (st.total > st.limits.max_total) return Status::Error("pack larger than the size limit");
      fs::copy_file(p, dst / rel, fs::copy_options::none, ec);
      if (ec) return Status::Error(p.string() + ": cannot copy: " + ec.message());
    } else if (fs::is_symlink(s)) {
      ++st.skipped["symlink not copied"];
    } else {
      ++st.skipped["not a regular file"];
    }
  }
  return Status::Ok();
}

// A tarball member's path, made relative and checked: no absolute path, no
// "..", no empty result. Returns false for a path to refuse.
bool SafeRelative(std::string_view path, fs::path& out) {
  if (path.empty() || path.front() == '/') return false;
  out.clear();
  for (std::string_view part : Split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return false;
    out /= std::string(part);
  }
  return !out.empty();
}

Status Extract(const fs::path& tarball, const fs::path& dst, CopyState& st) {
  ArchivePtr a(archive_read_new());
  if (!a) return Status::Error("libarchive: out of memory");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_all(a.get());
  if (archive_read_open_filename(a.get(), tarball.c_str(), 1 << 16) != ARCHIVE_OK)
    return Status::Error(tarball.string() + ": " + archive_error_string(a.get()));
  std::error_code ec;
  fs::create_directories(dst, ec);
  archive_entry* e = nullptr;
  std::vector<char> buf(1 << 16);
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return Status::Error(tarball.string() + ": " + archive_error_string(a.get()));
    if (Status c = CountEntry(st); !c.ok()) return c;
    const char* name = archive_entry_pathname(e);
    fs::path rel;
    if (name == nullptr || !SafeRelative(name, rel)) {
      ++st.skipped["unsafe path in archive"];
      continue;
    }
    if (rel.filename() == ".git" || rel.begin()->string() == ".git") {
      ++st.skipped["git metadata"];
      continue;
    }
    mode_t type = archive_entry_filetype(e);
    if (archive_entry_hardlink(e) != nullptr || type == AE_IFLNK) {
      ++st.skipped["link not extracted"];
      continue;
    }
    fs::path target = dst / rel;
    if (type == AE_IFDIR) {
      fs::create_directories(target, ec);
      if (ec) return Status::Error(target.string() + ": " + ec.message());
      continue;
    }
    if (type != AE_IFREG) {
      ++st.skipped["not a regular file"];
      continue;
    }
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Status::Error(target.parent_path().string() + ": " + ec.message());
    int raw = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (raw < 0) {
      if (errno == EEXIST) {
        ++st.skipped["duplicate entry in archive"];
        continue;
      }
      return Status::Error(target.string() + ": " + std::strerror(errno));
    }
    UniqueFd fd = AdoptFd(raw);
    std::uint64_t size = 0;
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) return Status::Error(tarball.string() + ": " + archive_error_string(a.get()));
      size += static_cast<std::uint64_t>(n);
      st.total += static_cast<std::uint64_t>(n);
      if (size > st.limits.max_file)
        return Status::Error(std::string(name) + ": larger than the per-file limit");
      if (st.total > st.limits.max_total) return Status::Error("pack larger than the size limit");
      for (la_ssize_t off = 0; off < n;) {
        ssize_t w = ::write(raw, buf.data() + off, static_cast<size_t>(n - off));
        if (w < 0) {
          if (errno == EINTR) continue;
          return Status::Error(target.string() + ": " + std::strerror(errno));
        }
        off += w;
      }
    }
  }
  // One top-level folder (GitHub tarballs): its content is the pack.
  std::vector<fs::path> top;
  for (fs::directory_iterator it(dst, ec), end; !ec && it != end; it.increment(ec))
    top.push_back(it->path());
  std::error_code tec;
  if (top.size() == 1 && fs::is_directory(fs::symlink_status(top[0], tec))) {
    fs::path tmp = dst.parent_path() / "content.strip";
    fs::rename(top[0], tmp, ec);
    if (!ec) fs::remove(dst, ec);
    if (!ec) fs::rename(tmp, dst, ec);
    if (ec) return Status::Error(dst.string() + ": " + ec.message());
  }
  return Status::Ok();
}

// Counts indicators per kind (loading them as a scan would) and rule files.
void CountContent(const fs::path& content, PackManifest& m) {
  ioc::IndicatorSet set;
  auto loaded = ioc::LoadDirectory(content, set);
  if (loaded.ok()) {
    for (const ioc::LoadStats& s : *loaded) {
      for (const auto& [k, n] : s.loaded) m.counts[k] += n;
      for (const auto& [k, n] : s.skipped) m.skipped[k] += n;
    }
  }
  std::uint64_t rules = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(content, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && ioc::IsRuleFile(it->path())) ++rules;
  if (rules) m.counts["yara_files"] = rules;
}

// A manifest field as text, never throwing: a string as is, a number (a
// hand-edited `"version": 5`) as its JSON text, anything else `def`.
std::string TextField(const Json& j, const char* key, const char* def) {
  auto it = j.find(key);
  if (it == j.end()) return def;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return def;
}

// manifest.json is written by InstallPack and small (a few hundred bytes);
// anything past this is not one of ours.
constexpr std::uintmax_t kMaxManifestBytes = 1u << 20;

Result<PackManifest> ReadManifest(const fs::path& dir) {
  const fs::path file = dir / "manifest.json";
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) return Status::Error(file.string() + ": cannot read: " + ec.message());
  if (size > kMaxManifestBytes)
    return Status::Error(file.string() + ": not a trawl pack manifest (" + std::to_string(size) +
                         " bytes, over 1 MiB)");
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::Error(file.string() + ": cannot read");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto m = ParsePackManifest(text, file.string());
  if (!m.ok()) return m.status();
  m->content = dir / "content";
  return m;
}

}  // namespace

std::string PackManifestJson(const PackManifest& m) {
  const Json j{{"name", m.name},           {"version", m.version}, {"source", m.source},
               {"installed", m.installed}, {"counts", m.counts},   {"skipped", m.skipped}};
  // A source path is bytes, not always UTF-8: replace rather than throw.
  return j.dump(1, ' ', false, Json::error_handler_t::replace);
}

Result<PackManifest> ParsePackManifest(std::string_view text, const std::string& where) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j["name"].is_string())
    return Status::Error(where + ": not a trawl pack manifest");
  PackManifest m;
  m.name = TextField(j, "name", "");
  m.version = TextField(j, "version", "unknown");
  m.source = TextField(j, "source", "");
  m.installed = TextField(j, "installed", "");
  auto counts = [](const Json& o, std::map<std::string, std::uint64_t>& out) {
    if (!o.is_object()) return;
    for (const auto& [k, v] : o.items())
      if (v.is_number_unsigned()) out[k] = v.get<std::uint64_t>();
  };
  if (auto it = j.find("counts"); it != j.end()) counts(*it, m.counts);
  if (auto it = j.find("skipped"); it != j.end()) counts(*it, m.skipped);
  return m;
}

fs::path PacksDir() {
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x == '/')
    return fs::path(x) / "trawl/packs";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".local/share/trawl/packs";
  return {};
}

bool ValidPackName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

std::string PackNameFor(const fs::path& source) {
  fs::path p = source;
  if (p.filename().empty()) p = p.parent_path();  // "dir/"
  std::string name = p.filename().string();
  for (const char* ext : {".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tgz", ".tar", ".zip"}) {
    std::string e = ext;
    if (name.size() > e.size() && ToLowerAscii(name.substr(name.size() - e.size())) == e) {
      name.resize(name.size() - e.size());
      break;
    }
  }
  return name;
}

Result<PackManifest> InstallPack(const fs::path& source, const std::string& name,
                                 const fs::path& packs_dir, const InstallLimits& limits) {
  if (!ValidPackName(name))
    return Status::Error("bad pack name '" + EscapeControl(name) +
                         "' (1-64 of letters, digits, '.', '_', '-'; not starting with '.')");
  if (packs_dir.empty()) return Status::Error("no pack folder: set XDG_DATA_HOME or HOME");
  std::error_code ec;
  fs::file_status s = fs::status(source, ec);
  if (ec) return Status::Error(source.string() + ": " + ec.message());
  fs::create_directories(packs_dir, ec);
  if (ec) return Status::Error(packs_dir.string() + ": " + ec.message());

  std::string tmpl = (packs_dir / ("." + name + ".new-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) return Status::Error(packs_dir.string() + ": " + std::strerror(errno));
  fs::path staging = tmpl;
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      if (!p.empty()) fs::remove_all(p, e);
    }
  } cleanup{staging};

  fs::path content = staging / "content";
  CopyState st{limits};
  PackManifest m;
  m.name = name;
  m.source = fs::absolute(source, ec).string();
  if (fs::is_directory(s)) {
    if (Status c = CopyFolder(source, content, st); !c.ok()) return c;
    m.version = VersionOf(source);
  } else if (fs::is_regular_file(s)) {
    if (Status c = Extract(source, content, st); !c.ok()) return c;
    m.version = VersionOf(content);
  } else {
    return Status::Error(source.string() + ": not a folder or a tarball");
  }
  m.installed = UtcNow();
  CountContent(content, m);
  for (const auto& [k, n] : st.skipped) m.skipped[k] += n;
  if (m.counts.empty())
    return Status::Error(source.string() + ": no indicator or rule files in it");
  {
    std::ofstream out(staging / "manifest.json");
    out << PackManifestJson(m) << "\n";
    if (!out) return Status::Error((staging / "manifest.json").string() + ": cannot write");
  }
  fs::path final_dir = packs_dir / name;
  fs::path old;
  if (fs::exists(fs::symlink_status(final_dir, ec))) {
    std::string otmpl = (packs_dir / ("." + name + ".old-XXXXXX")).string();
    if (!mkdtemp(otmpl.data())) return Status::Error(std::strerror(errno));
    old = fs::path(otmpl) / "pack";
    fs::rename(final_dir, old, ec);
    if (ec) return Status::Error(final_dir.string() + ": cannot replace: " + ec.message());
  }
  fs::rename(staging, final_dir, ec);
  if (ec) {
    std::error_code e2;
    if (!old.empty()) fs::rename(old, final_dir, e2);  // put the old pack back
    return Status::Error(final_dir.string() + ": " + ec.message());
  }
  cleanup.p.clear();
  if (!old.empty()) fs::remove_all(old.parent_path(), ec);
  m.content = final_dir / "content";
  return m;
}

Result<std::vector<PackManifest>> ListPacks(const fs::path& packs_dir) {
  std::vector<PackManifest> out;
  std::error_code ec;
  if (packs_dir.empty() || !fs::is_directory(packs_dir, ec)) return out;
  std::vector<fs::path> dirs;
  // Non-throwing iteration: an unreadable entry is an error value, not an abort.
  fs::directory_iterator it(packs_dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string n = it->path().filename().string();
    if (n.empty() || n.front() == '.') continue;  // staging and replaced packs
    std::error_code dec;
    if (it->is_directory(dec)) dirs.push_back(it->path());
  }
  if (ec) return Status::Error(packs_dir.string() + ": cannot list: " + ec.message());
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& d : dirs) {
    auto m = ReadManifest(d);
    if (!m.ok()) return m.status();
    out.push_back(std::move(*m));
  }
  return out;
}

Status RemovePack(const std::string& name, const fs::path& packs_dir) {
  if (!ValidPackName(name)) return Status::Error("bad pack name '" + EscapeControl(name) + "'");
  fs::path d = packs_dir / name;
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(d, ec)) || !fs::exists(d / "manifest.json", ec))
    return Status::Error("no installed pack named '" + name + "'");
  fs::remove_all(d, ec);
  if (ec) return Status::Error(d.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace trawl::ioc
