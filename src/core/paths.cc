#include "trawl/core/paths.h"

namespace trawl {

namespace fs = std::filesystem;

fs::path CanonicalPath(const std::string& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  fs::path c = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal() : c;
}

bool PathInside(const fs::path& p, const fs::path& root) {
  auto r = root.begin(), e = root.end();
  auto q = p.begin();
  for (; r != e; ++r, ++q) {
    if (r->empty()) continue;  // a trailing '/'
    if (q == p.end() || *q != *r) return false;
  }
  return true;
}

std::string RootHolding(const std::string& p, const std::vector<std::string>& roots) {
  const fs::path c = CanonicalPath(p);
  for (const std::string& root : roots)
    if (PathInside(c, CanonicalPath(root))) return root;
  return {};
}

}  // namespace trawl
