#include "builtin_3cx_data.h"
#include "internal.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc {

std::vector<PackFile> Builtin3cxFiles() {
  std::vector<PackFile> out;
  for (size_t i = 0; i < internal::kBuiltin3cxFileCount; ++i)
    out.push_back({internal::kBuiltin3cxFiles[i].name, internal::kBuiltin3cxFiles[i].text});
  return out;
}

LoadStats LoadBuiltin3cx(IndicatorSet& set) {
  LoadStats total;
  total.name = kBuiltin3cxSource;
  total.version = internal::kBuiltin3cxVersion;
  for (const PackFile& f : Builtin3cxFiles()) {
    std::string display = std::string(kBuiltin3cxSource) + "/" + std::string(f.name);
    total.Merge(
        LoadTextAs(f.text, DetectFormat(std::string(f.name)), display, kBuiltin3cxSource, set));
  }
  set.stats().push_back(total);
  return total;
}

}  // namespace trawl::ioc
