// The built-in 3CX pack's files, embedded at build time from packs/3cx/ by
// CMake (see CMakeLists.txt: builtin_3cx_data.cc.in).
#pragma once

#include <cstddef>
#include <string_view>

namespace trawl::ioc::internal {

struct EmbeddedFile {
  std::string_view name;
  std::string_view text;
};

extern const EmbeddedFile kBuiltin3cxFiles[];
extern const size_t kBuiltin3cxFileCount;
extern const std::string_view kBuiltin3cxVersion;

}  // namespace trawl::ioc::internal
