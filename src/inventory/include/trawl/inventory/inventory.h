// Inventory: which products are installed under the scanned paths, in which
// version, and whether that version is one a version indicator names.
//
// It recognises installation evidence by path while the file sweep walks
// (no second walk), then reads just that evidence:
//  - Windows per-user and machine installs: the main executable of
//    .../AppData/Local/Programs/DIR/ or .../Program Files[ (x86)]/DIR/ (an
//    .exe whose name, ignoring case, blanks and punctuation, equals DIR's),
//    version from its PE version resource (pe.h): ProductVersion, else
//    FileVersion, else the fixed file version; product from ProductName,
//    else FileDescription, else DIR.
//  - macOS bundles: NAME.app/Contents/Info.plist (XML or binary, libplist),
//    outermost bundles only (helpers nested in another .app are parts of it):
//    CFBundleShortVersionString (else CFBundleVersion), product from
//    CFBundleName, else CFBundleDisplayName, else NAME.
//  - Electron apps generally: .../resources/app.asar (asar.h), the embedded
//    package.json's version and productName (else name); platform macos
//    inside a .app bundle, windows when an .exe sits beside resources/, else
//    linux.
// Paths are compared case-insensitively with either separator. The evidence
// is read through trawl::read (regular files only, O_NOATIME, never written).
//
// Affected: a version indicator (ioc Kind::kVersion) whose product equals
// the installation's (case, blanks and punctuation ignored), whose platform
// is "any" or the installation's, and whose version equals it component by
// component (numeric components compare as numbers; trailing ".0"s are
// ignored, so a PE's 18.12.416.0 is 18.12.416).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/core/scoring.h"
#include "trawl/core/status.h"
#include "trawl/ioc/indicator.h"

namespace trawl::read {
class File;
struct UnpackLimits;
}  // namespace trawl::read

namespace trawl::inventory {

enum class Layout { kNone, kWindowsExe, kMacBundle, kAsar };

// What kind of installation evidence `path` is, from the path alone (no I/O).
Layout Classify(std::string_view path);

struct Installation {
  InstalledProduct product;
  const ioc::Indicator* affected_by = nullptr;  // the matching version indicator
};

// Reads the evidence at `real_path` (as Classify said). Error when it cannot
// be read or holds no version; the message names the path.
Result<InstalledProduct> Examine(const std::string& real_path, Layout layout);

// Whether a name is worth opening as an installer package (.msi, .msp, any
// case); what it is is then decided by its magic.
bool IsPackagePath(std::string_view path);

// "3CX Desktop App", "3CXDesktopApp", "3cx-desktop-app" -> "3cxdesktopapp".
std::string ProductKey(std::string_view product);
// Component-wise equality as described above ("18.12.416.0" == "18.12.416").
bool VersionsEqual(std::string_view a, std::string_view b);

// The version indicators of a set, indexed by product. Immutable; the set
// must outlive it.
class VersionIndex {
 public:
  explicit VersionIndex(const ioc::IndicatorSet& set);
  // The first indicator (in load order) naming this product, platform and version.
  const ioc::Indicator* Match(const InstalledProduct& p) const;
  bool empty() const { return by_product_.empty(); }

 private:
  std::vector<std::pair<std::string, const ioc::Indicator*>> by_product_;  // key, indicator
};

// The finding for an affected installation (module "inventory", path the
// evidence, fields product, version, platform, source, affected), scored.
Finding ToFinding(const InstalledProduct& p, const ioc::Indicator& indicator,
                  const Thresholds& thresholds);

// The sweep: call OnFile for every regular file the walk meets (thread-safe;
// returns at once for paths that are no evidence), then Installations() once
// the walk is done. `real_path` is where to read, `shown_path` what to report
// (a mounted image's own path). Findings go to `on_finding`, unreadable or
// malformed evidence to `on_error` (path, message); both may be called from
// several threads at once.
class Sweep {
 public:
  using FindingFn = std::function<void(const Finding&)>;
  using ErrorFn = std::function<void(const std::string& path, const std::string& message)>;

  Sweep(const ioc::IndicatorSet& set, Thresholds thresholds, FindingFn on_finding,
        ErrorFn on_error);

  // Returns true when the path was installation evidence (examined).
  bool OnFile(const std::string& real_path, const std::string& shown_path);
  // An installer package (IsPackagePath, and an OLE compound file by magic:
  // MSI, MSP): the version resource of every PE member (the files in its
  // cabinets, through read::Unpack within `limits`) is a packaged product,
  // source "msi", path `shown_path!CHAIN` ("C:\\dl\\3CX.msi!Binary.cab!3CXDesktopApp.exe";
  // one per product and version in a package). An affected one is a finding
  // whose path is the package and whose `member` is the chain. Read errors
  // are the file sweep's to report. Returns false when it is no package.
  bool OnPackage(const read::File& file, const std::string& shown_path,
                 const read::UnpackLimits& limits);

  // Everything found so far, sorted by path then source.
  std::vector<InstalledProduct> Installations() const;
  std::size_t affected() const;

 private:
  VersionIndex index_;
  Thresholds thresholds_;
  FindingFn on_finding_;
  ErrorFn on_error_;
  mutable std::mutex mu_;
  std::vector<InstalledProduct> found_;
};

}  // namespace trawl::inventory
