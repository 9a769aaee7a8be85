// Mounted images: scanning a system mounted elsewhere as that system.
//
// --root DIR: DIR is the root of a mounted system (a Linux or macOS disk
// image, a container's file system); every path under DIR is reported as
// that system names it ("/mnt/img/var/log/syslog" -> "/var/log/syslog").
// --map DIR:C: DIR is a mounted Windows volume; paths under it are reported
// as "C:\..." with backslashes, and filename indicators written for Windows
// (regexes holding a backslash) also match there case-insensitively
// (WindowsNames), as Windows file names are. Maps are checked before the
// root, longest DIR first. Live sweeps (process, network) never run on an
// image: the image's processes are not running here.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/ioc/indicator.h"
#include "trawl/match/filename.h"

namespace trawl::live {

class PathMap {
 public:
  // DIR must be an existing directory; stored without a trailing '/'.
  Status SetRoot(const std::string& dir);
  // "DIR:C" (the last ':' splits; C one letter). DIR must be a directory.
  Status AddMap(const std::string& spec);

  bool image() const { return !root_.empty() || !maps_.empty(); }
  const std::string& root() const { return root_; }
  // The mapped folders, with their drive letters (upper case).
  const std::vector<std::pair<std::string, char>>& maps() const { return maps_; }

  // The path as the scanned system names it. *windows (if given) tells
  // whether it lies on a mapped Windows volume. Paths outside every image
  // come back unchanged.
  std::string Shown(std::string_view real, bool* windows = nullptr) const;
  // Where a path of the scanned system lies here: "/etc/hosts" -> ROOT/etc/hosts
  // (unchanged without a root).
  std::string Real(std::string_view system_path) const;
  // The folders to scan when no path is given: the root and each map.
  std::vector<std::string> DefaultPaths() const;
  // Hosts files of the images: ROOT/etc/hosts and each map's
  // Windows/System32/drivers/etc/hosts (any case), as (real, shown) pairs
  // of those that exist.
  std::vector<std::pair<std::string, std::string>> HostsFiles() const;

 private:
  std::string root_;
  std::vector<std::pair<std::string, char>> maps_;
};

// Filename indicators written for Windows (holding a backslash), compiled
// case-insensitively, for paths on mapped Windows volumes. Hits point at the
// original indicators. The set must outlive it.
class WindowsNames {
 public:
  // Per-thread matching state.
  struct Scratch {
    std::unique_ptr<match::FilenameMatcher::Scratch> scratch;
    std::vector<const ioc::Indicator*> hits;
  };
  static Result<std::unique_ptr<WindowsNames>> Build(const ioc::IndicatorSet& set);
  ~WindowsNames();
  std::unique_ptr<Scratch> MakeScratch() const;
  // Appends the original indicators whose caseless regex matches `path`
  // (and which are not in `hits` already).
  void Match(std::string_view path, Scratch& scratch,
             std::vector<const ioc::Indicator*>& hits) const;
  std::size_t size() const { return originals_.size(); }

 private:
  WindowsNames() = default;
  std::vector<ioc::Indicator> copies_;
  std::vector<const ioc::Indicator*> originals_;
  std::unique_ptr<match::FilenameMatcher> matcher_;
};

}  // namespace trawl::live
