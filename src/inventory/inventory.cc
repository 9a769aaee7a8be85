#include "trawl/inventory/inventory.h"

#include <plist/plist.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "plist_shape.h"
#include "trawl/core/text.h"
#include "trawl/inventory/asar.h"
#include "trawl/inventory/pe.h"
#include "trawl/read/read.h"
#include "trawl/read/unpack.h"

namespace trawl::inventory {
namespace {

constexpr std::uint64_t kMaxPlist = 1u << 20;

bool EndsWithCi(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  s = s.substr(s.size() - suffix.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char a = s[i], b = suffix[i];
    if (a == '\\') a = '/';
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

// Lower-case components of a path split at '/' and '\'.
std::vector<std::string> Components(std::string_view path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '/' || c == '\\') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The file name and the folder name of a path (original case).
std::string_view BaseName(std::string_view p) {
  size_t s = p.find_last_of("/\\");
  return s == std::string_view::npos ? p : p.substr(s + 1);
}
std::string_view DirName(std::string_view p) {
  size_t s = p.find_last_of("/\\");
  return s == std::string_view::npos ? std::string_view() : p.substr(0, s);
}

struct PlistDeleter {
  void operator()(void* p) const noexcept { plist_free(static_cast<plist_t>(p)); }
};
using UniquePlist = std::unique_ptr<void, PlistDeleter>;

std::string PlistString(plist_t dict, const char* key) {
  plist_t node = plist_dict_get_item(dict, key);
  if (!node || plist_get_node_type(node) != PLIST_STRING) return "";
  std::uint64_t len = 0;
  const char* s = plist_get_string_ptr(node, &len);
  return s ? std::string(s, static_cast<size_t>(len)) : "";
}

ReadAtFn ReadAtOf(const read::File& f) {
  return [&f](std::uint64_t off, std::size_t n, std::vector<std::uint8_t>& out) -> Status {
    out.resize(n);
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(f.fd(), out.data() + got, n - got, static_cast<off_t>(off + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Status::Error(f.path() + ": read error: " + std::strerror(errno));
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return Status::Ok();
  };
}

bool Exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

// "1.02.0" -> {"1", "2"}: leading zeros of numeric parts and trailing zero parts dropped.
std::vector<std::string> VersionParts(std::string_view v) {
  std::vector<std::string> parts;
  for (std::string_view p : Split(TrimAscii(v), '.')) {
    bool numeric =
        !p.empty() && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) {
      while (p.size() > 1 && p.front() == '0') p.remove_prefix(1);
      parts.emplace_back(p);
    } else {
      parts.push_back(ToLowerAscii(p));
    }
  }
  while (parts.size() > 1 && parts.back() == "0") parts.pop_back();
  return parts;
}

}  // namespace

Layout Classify(std::string_view path) {
  if (EndsWithCi(path, ".exe")) {
    std::vector<std::string> c = Components(path);
    if (c.size() < 3) return Layout::kNone;
    const std::string& dir = c[c.size() - 2];
    const std::string& parent = c[c.size() - 3];
    bool programs = (parent == "programs" && c.size() >= 5 && c[c.size() - 4] == "local" &&
                     c[c.size() - 5] == "appdata") ||
                    parent == "program files" || parent == "program files (x86)";
    if (!programs) return Layout::kNone;
    std::string stem = c.back().substr(0, c.back().size() - 4);
    return ProductKey(stem) == ProductKey(dir) && !ProductKey(dir).empty() ? Layout::kWindowsExe
                                                                           : Layout::kNone;
  }
  if (EndsWithCi(path, "/contents/info.plist")) {
    std::vector<std::string> c = Components(path);
    if (c.size() < 3 || !EndsWith(c[c.size() - 3], ".app")) return Layout::kNone;
    for (size_t i = 0; i + 3 < c.size(); ++i)
      if (EndsWith(c[i], ".app")) return Layout::kNone;  // nested in another bundle
    return Layout::kMacBundle;
  }
  if (EndsWithCi(path, "/resources/app.asar")) return Layout::kAsar;
  return Layout::kNone;
}

std::string ProductKey(std::string_view product) {
  std::string k;
  for (char c : product) {
    if (c >= 'A' && c <= 'Z')
      k += static_cast<char>(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             static_cast<unsigned char>(c) >= 0x80)
      k += c;
  }
  return k;
}

bool VersionsEqual(std::string_view a, std::string_view b) {
  if (TrimAscii(a).empty() || TrimAscii(b).empty()) return false;
  return VersionParts(a) == VersionParts(b);
}

namespace {

// Product and version from a PE version resource: ProductVersion, else
// FileVersion, else the fixed versions; ProductName, else FileDescription,
// else `fallback`.
void PeProduct(const PeVersionInfo& v, std::string_view fallback, InstalledProduct& p) {
  auto str = [&](const char* k) {
    auto it = v.strings.find(k);
    return it == v.strings.end() ? std::string() : std::string(TrimAscii(it->second));
  };
  p.source = "pe";
  p.platform = "windows";
  p.version = str("ProductVersion");
  if (p.version.empty()) p.version = str("FileVersion");
  if (p.version.empty()) p.version = v.product_version;
  if (p.version.empty()) p.version = v.file_version;
  p.product = str("ProductName");
  if (p.product.empty()) p.product = str("FileDescription");
  if (p.product.empty()) p.product = std::string(fallback);
}

}  // namespace

Result<InstalledProduct> Examine(const std::string& real_path, Layout layout) {
  auto file = read::File::Open(real_path);
  if (!file.ok()) return file.status();
  std::uint64_t size = static_cast<std::uint64_t>(file->st().st_size);
  ReadAtFn read_at = ReadAtOf(*file);
  InstalledProduct p;
  p.path = real_path;
  switch (layout) {
    case Layout::kWindowsExe: {
      auto v = ReadPeVersion(read_at, size);
      if (!v.ok()) return Status::Error(real_path + ": " + v.status().message());
      PeProduct(*v, BaseName(DirName(real_path)), p);
      break;
    }
    case Layout::kMacBundle: {
      if (size > kMaxPlist) return Status::Error(real_path + ": Info.plist larger than 1 MiB");
      std::vector<std::uint8_t> b;
      if (Status st = read_at(0, static_cast<std::size_t>(size), b); !st.ok()) return st;
      // Depth and size bounded before libplist, which recurses (issue 11).
      if (Status st = detail::CheckPlistShape(b.data(), b.size()); !st.ok())
        return Status::Error(real_path + ": " + st.message());
      plist_t raw = nullptr;
      if (!b.empty())
        plist_from_memory(reinterpret_cast<const char*>(b.data()),
                          static_cast<std::uint32_t>(b.size()), &raw);
      UniquePlist root(raw);
      if (!raw || plist_get_node_type(raw) != PLIST_DICT)
        return Status::Error(real_path + ": not a property list dictionary");
      p.source = "plist";
      p.platform = "macos";
      p.version = PlistString(raw, "CFBundleShortVersionString");
      if (p.version.empty()) p.version = PlistString(raw, "CFBundleVersion");
      p.product = PlistString(raw, "CFBundleName");
      if (p.product.empty()) p.product = PlistString(raw, "CFBundleDisplayName");
      if (p.product.empty()) {
        std::string_view bundle = BaseName(DirName(DirName(real_path)));
        p.product =
            std::string(bundle.substr(0, bundle.size() - std::min<size_t>(4, bundle.size())));
      }
      break;
    }
    case Layout::kAsar: {
      auto pkg = ReadAsarPackage(read_at, size);
      if (!pkg.ok()) return Status::Error(real_path + ": " + pkg.status().message());
      p.source = "asar";
      p.version = pkg->version;
      p.product = pkg->product_name.empty() ? pkg->name : pkg->product_name;
      std::vector<std::string> c = Components(real_path);
      bool in_bundle = false;
      for (const std::string& part : c) in_bundle |= EndsWith(part, ".app");
      std::string_view app_dir = DirName(DirName(real_path));
      std::string sibling_exe =
          std::string(app_dir) + "/" + std::string(BaseName(app_dir)) + ".exe";
      bool windows = false;
      for (size_t i = 0; i + 1 < c.size(); ++i)
        windows |= c[i] == "appdata" || c[i] == "program files" || c[i] == "program files (x86)";
      if (in_bundle)
        p.platform = "macos";
      else if (windows || Exists(sibling_exe))
        p.platform = "windows";
      else
        p.platform = "linux";
      break;
    }
    case Layout::kNone:
      return Status::Error(real_path + ": not installation evidence");
  }
  p.product = std::string(TrimAscii(p.product));
  p.version = std::string(TrimAscii(p.version));
  if (p.version.empty()) return Status::Error(real_path + ": no version found (" + p.source + ")");
  return p;
}

VersionIndex::VersionIndex(const ioc::IndicatorSet& set) {
  for (const ioc::Indicator* ind : set.OfKind(ioc::Kind::kVersion))
    by_product_.emplace_back(ProductKey(ind->product), ind);
}

const ioc::Indicator* VersionIndex::Match(const InstalledProduct& p) const {
  std::string key = ProductKey(p.product);
  for (const auto& [k, ind] : by_product_) {
    if (k != key) continue;
    if (ind->platform != "any" && ind->platform != p.platform) continue;
    if (VersionsEqual(ind->value, p.version)) return ind;
  }
  return nullptr;
}

Finding ToFinding(const InstalledProduct& p, const ioc::Indicator& ind,
                  const Thresholds& thresholds) {
  Finding f;
  f.module = "inventory";
  f.path = p.path;
  f.reasons.push_back({"version", ind.product + " " + ind.value + " (" + ind.platform + ")",
                       ind.description, ind.source, ind.score});
  f.extra.push_back({"product", p.product});
  f.extra.push_back({"version", p.version});
  f.extra.push_back({"platform", p.platform});
  f.extra.push_back({"source", p.source});
  f.extra.push_back({"affected", true});
  ScoreFinding(f, thresholds);
  return f;
}

Sweep::Sweep(const ioc::IndicatorSet& set, Thresholds thresholds, FindingFn on_finding,
             ErrorFn on_error)
    : index_(set),
      thresholds_(thresholds),
      on_finding_(std::move(on_finding)),
      on_error_(std::move(on_error)) {}

bool Sweep::OnFile(const std::string& real_path, const std::string& shown_path) {
  Layout layout = Classify(real_path);
  if (layout == Layout::kNone) return false;
  auto p = Examine(real_path, layout);
  if (!p.ok()) {
    std::string msg = p.status().message();
    // Messages name the real path; report the shown one.
    const std::string prefix = real_path + ": ";
    if (msg.rfind(prefix, 0) == 0) msg.erase(0, prefix.size());
    on_error_(shown_path, msg);
    return true;
  }
  p->path = shown_path;
  // A Windows volume mounted elsewhere: its Electron apps are Windows apps.
  if (p->source == "asar" && shown_path.size() > 2 && shown_path[1] == ':' &&
      (shown_path[2] == '\\' || shown_path[2] == '/'))
    p->platform = "windows";
  const ioc::Indicator* ind = index_.Match(*p);
  p->affected = ind != nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    found_.push_back(*p);
  }
  if (ind) on_finding_(ToFinding(*p, *ind, thresholds_));
  return true;
}

bool IsPackagePath(std::string_view path) {
  if (path.size() < 5) return false;
  std::string ext(path.substr(path.size() - 4));
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return ext == ".msi" || ext == ".msp";
}

namespace {

// The PE members of a package, as packaged products (one per product and
// version in a package: its DLLs usually repeat the main executable's).
class PackageVisitor final : public read::MemberVisitor {
 public:
  PackageVisitor(const std::string& shown, std::size_t outer_len)
      : shown_(shown), outer_len_(outer_len) {}
  void OnMember(const read::Member& m) override {
    if (m.state != read::Member::State::kRead || m.bytes.size() < 64 || m.bytes[0] != 'M' ||
        m.bytes[1] != 'Z')
      return;
    auto v = ReadPeVersion(m.bytes.data(), m.bytes.size());
    if (!v.ok()) return;
    InstalledProduct p;
    PeProduct(*v, "", p);
    if (p.product.empty() || p.version.empty()) return;
    p.source = "msi";
    p.path = shown_ + m.chain.substr(std::min(outer_len_, m.chain.size()));
    for (const auto& [q, chain] : found)
      if (ProductKey(q.product) == ProductKey(p.product) && q.version == p.version) return;
    found.emplace_back(std::move(p), m.chain);
  }
  void OnError(const std::string&, const std::string&) override {}  // the file sweep reports them
  void OnLimit(const std::string&, read::Limit, const std::string&) override {}
  std::vector<std::pair<InstalledProduct, std::string>> found;  // product, member chain

 private:
  const std::string& shown_;
  std::size_t outer_len_;
};

}  // namespace

bool Sweep::OnPackage(const read::File& file, const std::string& shown_path,
                      const read::UnpackLimits& limits) {
  if (read::SniffFile(file) != read::Container::kOle) return false;
  std::string outer(BaseName(file.path()));
  PackageVisitor visitor(shown_path, outer.size());
  (void)read::Unpack(file, outer, limits, visitor);
  for (auto& [p, chain] : visitor.found) {
    const ioc::Indicator* ind = index_.Match(p);
    p.affected = ind != nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      found_.push_back(p);
    }
    if (!ind) continue;
    Finding f = ToFinding(p, *ind, thresholds_);
    f.path = shown_path;  // the file on disk; the chain says where inside
    f.extra.insert(f.extra.begin(), {"member", chain});
    on_finding_(f);
  }
  return true;
}

std::vector<InstalledProduct> Sweep::Installations() const {
  std::vector<InstalledProduct> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out = found_;
  }
  std::sort(out.begin(), out.end(), [](const InstalledProduct& a, const InstalledProduct& b) {
    return std::tie(a.path, a.source) < std::tie(b.path, b.source);
  });
  return out;
}

std::size_t Sweep::affected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<std::size_t>(std::count_if(
      found_.begin(), found_.end(), [](const InstalledProduct& p) { return p.affected; }));
}

}  // namespace trawl::inventory
