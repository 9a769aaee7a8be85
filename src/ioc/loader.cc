#include "trawl/ioc/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

#include "interchange_internal.h"
#include "internal.h"
#include "trawl/core/text.h"
#include "trawl/core/unique_handle.h"

namespace trawl::ioc {
namespace {

namespace fs = std::filesystem;

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void Dispatch(std::string_view text, Format format, internal::Sink& sink) {
  switch (format) {
    case Format::kSigBaseHash:
      internal::LoadSigBaseHash(text, false, sink);
      break;
    case Format::kSigBaseTrustedHash:
      internal::LoadSigBaseHash(text, true, sink);
      break;
    case Format::kSigBaseFilename:
      internal::LoadSigBaseFilename(text, sink);
      break;
    case Format::kSigBaseC2:
      internal::LoadSigBaseC2(text, sink);
      break;
    case Format::kSigBaseKeyword:
      internal::LoadSigBaseKeyword(text, sink);
      break;
    case Format::kCsv:
      internal::LoadCsv(text, sink);
      break;
    case Format::kVersion:
      internal::LoadSigBaseVersion(text, sink);
      break;
    case Format::kPlain:
    case Format::kAuto:
      internal::LoadPlain(text, sink);
      break;
    case Format::kStix:
    case Format::kMisp:
    case Format::kJson:
      break;  // JSON formats: LoadTextAs calls internal::LoadJson directly
  }
}

constexpr off_t kMaxSize = off_t{1} << 30;  // 1 GiB: no indicator file is larger

// Opens without blocking (a FIFO must not hang the load) and, where the
// kernel allows, without touching the access time. Regular files up to 1 GiB.
Result<UniqueFd> OpenRegularFile(const fs::path& file, off_t* size) {
  int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  int raw = ::open(file.c_str(), flags | O_NOATIME);
  if (raw < 0 && errno == EPERM) raw = ::open(file.c_str(), flags);
  if (raw < 0) return Status::Error(file.string() + ": cannot open: " + std::strerror(errno));
  UniqueFd fd = AdoptFd(raw);
  struct stat st;
  if (::fstat(raw, &st) != 0)
    return Status::Error(file.string() + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::Error(file.string() + ": not a regular file");
  if (st.st_size > kMaxSize) return Status::Error(file.string() + ": larger than 1 GiB");
  *size = st.st_size;
  return fd;
}

// Reads `fd` to its end, appending to `data` and calling `consume` (which may
// take a prefix off `data`) after each read; the 1 GiB cap counts every byte.
template <typename Fn>
Status ReadAll(const fs::path& file, int fd, std::string& data, Fn consume) {
  char buf[65536];
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(file.string() + ": read error: " + std::strerror(errno));
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    total += static_cast<std::uint64_t>(n);
    if (total > static_cast<std::uint64_t>(kMaxSize))
      return Status::Error(file.string() + ": larger than 1 GiB");
    consume(data);
  }
  return Status::Ok();
}

Result<std::string> ReadRegularFile(const fs::path& file) {
  off_t size = 0;
  Result<UniqueFd> fd = OpenRegularFile(file, &size);
  if (!fd.ok()) return fd.status();
  std::string data;
  data.reserve(static_cast<size_t>(size));
  if (Status st = ReadAll(file, fd->get().fd, data, [](std::string&) {}); !st.ok()) return st;
  return data;
}

// A signature-base hash list, read 8 MiB at a time and parsed as it comes:
// ten million hashes never sit in memory as text beside their store.
Result<LoadStats> LoadHashFile(const fs::path& file, bool trusted, IndicatorSet& set) {
  constexpr size_t kChunk = size_t{8} << 20;
  off_t size = 0;
  Result<UniqueFd> fd = OpenRegularFile(file, &size);
  if (!fd.ok()) return fd.status();
  LoadStats stats;
  stats.name = file.string();
  internal::Sink sink(set, stats, stats.name, {});
  internal::HashLines lines(trusted, sink);
  std::string data;
  data.reserve(kChunk + 65536);
  Status st = ReadAll(file, fd->get().fd, data, [&](std::string& d) {
    if (d.size() < kChunk) return;
    size_t nl = d.rfind('\n');
    if (nl == std::string::npos) return;  // one long line: keep reading it
    lines.Feed(std::string_view(d).substr(0, nl + 1));
    d.erase(0, nl + 1);
  });
  if (!st.ok()) return st;
  lines.Feed(data);
  set.stats().push_back(stats);
  return stats;
}

}  // namespace

Format DetectFormat(const fs::path& file) {
  std::string name = ToLowerAscii(file.filename().string());
  if (EndsWith(name, ".json")) return Format::kJson;
  if (EndsWith(name, ".csv")) return Format::kCsv;
  if (Contains(name, "hash")) {
    if (Contains(name, "falsepositive") || Contains(name, "trusted"))
      return Format::kSigBaseTrustedHash;
    return Format::kSigBaseHash;
  }
  if (Contains(name, "filename")) return Format::kSigBaseFilename;
  if (Contains(name, "c2")) return Format::kSigBaseC2;
  if (Contains(name, "keyword")) return Format::kSigBaseKeyword;
  if (Contains(name, "version") && name != "version") return Format::kVersion;
  return Format::kPlain;
}

const char* FormatName(Format format) {
  switch (format) {
    case Format::kAuto:
      return "auto";
    case Format::kSigBaseHash:
      return "hash";
    case Format::kSigBaseFilename:
      return "filename";
    case Format::kSigBaseC2:
      return "c2";
    case Format::kSigBaseKeyword:
      return "keyword";
    case Format::kSigBaseTrustedHash:
      return "trusted-hash";
    case Format::kPlain:
      return "plain";
    case Format::kCsv:
      return "csv";
    case Format::kVersion:
      return "version";
    case Format::kStix:
      return "stix";
    case Format::kMisp:
      return "misp";
    case Format::kJson:
      return "json";
  }
  return "auto";
}

bool ParseFormat(std::string_view name, Format& out) {
  for (Format f :
       {Format::kAuto, Format::kSigBaseHash, Format::kSigBaseFilename, Format::kSigBaseC2,
        Format::kSigBaseKeyword, Format::kSigBaseTrustedHash, Format::kPlain, Format::kCsv,
        Format::kVersion, Format::kStix, Format::kMisp, Format::kJson}) {
    if (name == FormatName(f)) {
      out = f;
      return true;
    }
  }
  return false;
}

LoadStats LoadTextAs(std::string_view text, Format format, const std::string& display_name,
                     const std::string& indicator_source, IndicatorSet& set,
                     const LoadOptions& options) {
  if (format == Format::kAuto) format = DetectFormat(display_name);
  LoadStats stats;
  stats.name = display_name;
  if (format == Format::kStix || format == Format::kMisp || format == Format::kJson) {
    internal::LoadJson(text, format, display_name, indicator_source, options, set, stats);
    return stats;
  }
  internal::Sink sink(set, stats, display_name, indicator_source);
  sink.set_allow_broad_ranges(options.allow_broad_ranges);
  Dispatch(text, format, sink);
  return stats;
}

LoadStats LoadTextAs(std::string_view text, Format format, const std::string& display_name,
                     const std::string& indicator_source, IndicatorSet& set) {
  return LoadTextAs(text, format, display_name, indicator_source, set, LoadOptions{});
}

LoadStats LoadText(std::string_view text, Format format, const std::string& source_name,
                   IndicatorSet& set, const LoadOptions& options) {
  LoadStats stats = LoadTextAs(text, format, source_name, {}, set, options);
  set.stats().push_back(stats);
  return stats;
}

LoadStats LoadText(std::string_view text, Format format, const std::string& source_name,
                   IndicatorSet& set) {
  return LoadText(text, format, source_name, set, LoadOptions{});
}

Result<LoadStats> LoadFile(const fs::path& file, Format format, IndicatorSet& set,
                           const LoadOptions& options) {
  if (format == Format::kAuto) format = DetectFormat(file);
  if (format == Format::kSigBaseHash || format == Format::kSigBaseTrustedHash)
    return LoadHashFile(file, format == Format::kSigBaseTrustedHash, set);
  Result<std::string> data = ReadRegularFile(file);
  if (!data.ok()) return data.status();
  return LoadText(*data, format, file.string(), set, options);
}

Result<LoadStats> LoadFile(const fs::path& file, Format format, IndicatorSet& set) {
  return LoadFile(file, format, set, LoadOptions{});
}

bool IsIndicatorFileName(std::string_view file_name) {
  std::string name = ToLowerAscii(file_name);
  if (name.empty() || name.front() == '.' || name.back() == '~') return false;
  if (name == "version") return false;  // a pack's date stamp
  for (std::string_view prefix : {"readme", "license", "licence", "copying"})
    if (name.rfind(prefix, 0) == 0) return false;
  for (std::string_view ext : {".yar", ".yara", ".yml", ".yaml", ".md"})
    if (EndsWith(name, ext)) return false;
  return true;
}

Result<std::vector<LoadStats>> LoadDirectory(const fs::path& dir, IndicatorSet& set) {
  return LoadDirectory(dir, set, LoadOptions{});
}

Result<std::vector<LoadStats>> LoadDirectory(const fs::path& dir, IndicatorSet& set,
                                             const LoadOptions& options) {
  std::error_code ec;
  fs::path root = dir;
  if (fs::is_directory(dir / "iocs", ec)) root = dir / "iocs";
  if (!fs::is_directory(root, ec)) return Status::Error(dir.string() + ": not a directory");
  std::vector<fs::path> files;
  fs::directory_iterator it(root, ec);
  if (ec) return Status::Error(root.string() + ": cannot list: " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Status::Error(root.string() + ": cannot list: " + ec.message());
    std::error_code sec;
    // Regular files (or links to them) only: a FIFO or device is never opened.
    if (!it->is_regular_file(sec)) continue;
    if (!IsIndicatorFileName(it->path().filename().string())) continue;
    files.push_back(it->path());
  }
  if (ec) return Status::Error(root.string() + ": cannot list: " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<LoadStats> out;
  for (const fs::path& f : files) {
    Result<LoadStats> r = LoadFile(f, Format::kAuto, set, options);
    if (!r.ok()) return r.status();
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace trawl::ioc
