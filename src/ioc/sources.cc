#include "trawl/ioc/sources.h"

#include "trawl/core/text.h"

namespace trawl::ioc {

namespace fs = std::filesystem;

bool IsRuleFile(const fs::path& p) {
  std::string ext = ToLowerAscii(p.extension().string());
  return ext == ".yar" || ext == ".yara";
}

Result<LoadedSource> LoadSource(const std::string& p, IndicatorSet& set,
                                const LoadOptions& options) {
  LoadedSource out;
  std::error_code ec;
  fs::file_status status = fs::status(p, ec);
  if (ec) return Status::Error(p + ": " + ec.message());
  if (fs::is_directory(status)) {
    auto loaded = LoadDirectory(p, set, options);
    if (!loaded.ok()) return loaded.status();
    out.stats = std::move(*loaded);
    // A signature-base root brings its YARA rules along. A `yara` that is a
    // symlink loop is no directory (error_code overloads never throw).
    std::error_code yec;
    if (fs::is_directory(fs::path(p) / "yara", yec)) {
      out.rule_paths.push_back((fs::path(p) / "yara").string());
    } else if (!fs::is_directory(fs::path(p) / "iocs", yec)) {
      // A plain folder: rule files in it are rules.
      fs::directory_iterator it(p, ec), end;
      for (; !ec && it != end; it.increment(ec))
        if (IsRuleFile(it->path())) out.rule_paths.push_back(it->path().string());
      if (ec) return Status::Error(p + ": cannot list: " + ec.message());
    }
  } else if (IsRuleFile(p)) {
    out.rule_paths.push_back(p);
  } else {
    auto loaded = LoadFile(p, DetectFormat(p), set, options);
    if (!loaded.ok()) return loaded.status();
    out.stats.push_back(std::move(*loaded));
  }
  return out;
}

}  // namespace trawl::ioc
