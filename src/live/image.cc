#include "trawl/live/image.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "trawl/core/text.h"

namespace trawl::live {
namespace {

bool IsDir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string Clean(std::string dir) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(dir, ec);
  if (!ec) dir = abs.lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// The rest of `real` under `dir` ("" for dir itself), or false.
bool Under(std::string_view real, std::string_view dir, std::string_view& rest) {
  if (dir == "/") {
    rest = real.empty() ? real : real.substr(1);
    return !real.empty() && real[0] == '/';
  }
  if (real.size() < dir.size() || real.substr(0, dir.size()) != dir) return false;
  if (real.size() == dir.size()) {
    rest = {};
    return true;
  }
  if (real[dir.size()] != '/') return false;
  rest = real.substr(dir.size() + 1);
  return true;
}

// Case-insensitive lookup of one path component in a folder.
std::string FindCi(const std::string& dir, std::string_view name) {
  std::error_code ec;
  std::string exact = dir + "/" + std::string(name);
  struct stat st;
  if (::lstat(exact.c_str(), &st) == 0) return exact;
  std::string want = ToLowerAscii(name);
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (ToLowerAscii(it->path().filename().string()) == want) return it->path().string();
  return "";
}

}  // namespace

Status PathMap::SetRoot(const std::string& dir) {
  if (!IsDir(dir)) return Status::Error("--root " + dir + ": not a directory");
  root_ = Clean(dir);
  return Status::Ok();
}

Status PathMap::AddMap(const std::string& spec) {
  size_t colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 2 != spec.size())
    return Status::Error("--map " + spec + ": expected DIR:LETTER, e.g. /mnt/win:C");
  char letter = spec.back();
  if (letter >= 'a' && letter <= 'z') letter = static_cast<char>(letter - 'a' + 'A');
  if (letter < 'A' || letter > 'Z') return Status::Error("--map " + spec + ": not a drive letter");
  std::string dir = spec.substr(0, colon);
  if (!IsDir(dir)) return Status::Error("--map " + spec + ": " + dir + " is not a directory");
  maps_.emplace_back(Clean(dir), letter);
  std::stable_sort(maps_.begin(), maps_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  return Status::Ok();
}

std::string PathMap::Shown(std::string_view real, bool* windows) const {
  if (windows) *windows = false;
  std::string_view rest;
  for (const auto& [dir, letter] : maps_) {
    if (!Under(real, dir, rest)) continue;
    if (windows) *windows = true;
    std::string out;
    out += letter;
    out += ":\\";
    for (char c : rest) out += c == '/' ? '\\' : c;
    return out;
  }
  if (!root_.empty() && Under(real, root_, rest)) return "/" + std::string(rest);
  return std::string(real);
}

std::string PathMap::Real(std::string_view system_path) const {
  if (root_.empty() || root_ == "/") return std::string(system_path);
  if (!system_path.empty() && system_path[0] == '/') return root_ + std::string(system_path);
  return root_ + "/" + std::string(system_path);
}

std::vector<std::string> PathMap::DefaultPaths() const {
  std::vector<std::string> out;
  if (!root_.empty()) out.push_back(root_);
  for (const auto& [dir, letter] : maps_) {
    std::string_view rest;
    if (root_.empty() || !Under(dir, root_, rest)) out.push_back(dir);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> PathMap::HostsFiles() const {
  std::vector<std::pair<std::string, std::string>> out;
  struct stat st;
  if (!root_.empty()) {
    std::string p = Real("/etc/hosts");
    if (::lstat(p.c_str(), &st) == 0) out.emplace_back(p, "/etc/hosts");
  }
  for (const auto& [dir, letter] : maps_) {
    std::string cur = dir;
    for (std::string_view part : {"Windows", "System32", "drivers", "etc", "hosts"}) {
      cur = FindCi(cur, part);
      if (cur.empty()) break;
    }
    if (!cur.empty()) out.emplace_back(cur, Shown(cur));
  }
  return out;
}

Result<std::unique_ptr<WindowsNames>> WindowsNames::Build(const ioc::IndicatorSet& set) {
  std::unique_ptr<WindowsNames> w(new WindowsNames());
  for (const ioc::Indicator* ind : set.OfKind(ioc::Kind::kFilename)) {
    if (ind->value.find('\\') == std::string::npos) continue;
    ioc::Indicator copy = *ind;
    if (copy.value.rfind("(?i)", 0) != 0) copy.value = "(?i)" + copy.value;
    if (!copy.fp_regex.empty() && copy.fp_regex.rfind("(?i)", 0) != 0)
      copy.fp_regex = "(?i)" + copy.fp_regex;
    w->copies_.push_back(std::move(copy));
    w->originals_.push_back(ind);
  }
  if (w->copies_.empty()) return w;
  std::vector<const ioc::Indicator*> ptrs;
  for (const ioc::Indicator& c : w->copies_) ptrs.push_back(&c);
  match::BuildStats stats;
  auto m = match::FilenameMatcher::Build(ptrs, stats);
  if (!m.ok()) return m.status();
  w->matcher_ = std::make_unique<match::FilenameMatcher>(std::move(*m));
  return w;
}

WindowsNames::~WindowsNames() = default;

std::unique_ptr<WindowsNames::Scratch> WindowsNames::MakeScratch() const {
  auto s = std::make_unique<Scratch>();
  if (matcher_) s->scratch = matcher_->MakeScratch();
  return s;
}

void WindowsNames::Match(std::string_view path, Scratch& scratch,
                         std::vector<const ioc::Indicator*>& hits) const {
  if (!matcher_) return;
  scratch.hits.clear();
  matcher_->Match(path, *scratch.scratch, scratch.hits);
  for (const ioc::Indicator* h : scratch.hits) {
    const ioc::Indicator* orig = originals_[static_cast<size_t>(h - copies_.data())];
    if (std::find(hits.begin(), hits.end(), orig) == hits.end()) hits.push_back(orig);
  }
}

}  // namespace trawl::live
