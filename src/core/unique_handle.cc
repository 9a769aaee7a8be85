#include "trawl/core/unique_handle.h"

#include <unistd.h>

namespace trawl {

void FdCloser::operator()(pointer p) const noexcept {
  if (p.fd >= 0) ::close(p.fd);
}

void FileCloser::operator()(std::FILE* f) const noexcept {
  if (f != nullptr) std::fclose(f);
}

}  // namespace trawl
