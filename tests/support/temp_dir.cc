#include "trawl/testsupport/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "trawl/testsupport/deep_dir.h"

namespace trawl::testsupport {
namespace {

namespace fs = std::filesystem;

// Adds owner rwx to `dir` and every directory below it (links not followed),
// so remove_all can enter and empty them.
void GiveBackPermissions(const fs::path& dir) {
  std::error_code ec;
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add | fs::perm_options::nofollow,
                  ec);
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code st_ec;
    if (it->symlink_status(st_ec).type() == fs::file_type::directory) GiveBackPermissions(*it);
  }
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string tmpl = (base / (prefix + "-XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << tmpl << ": " << std::strerror(errno);
    return;
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (path_.empty() || std::getenv("TRAWL_TEST_KEEP") != nullptr) return;
  GiveBackPermissions(path_);
  std::error_code ec;
  fs::remove_all(path_, ec);
  // std::filesystem cannot remove what lies deeper than PATH_MAX (DeepDir).
  if (ec) RemoveTree(path_);
}

std::string TempDir::Write(const std::string& rel, const std::string& content) const {
  fs::path p = fs::path(path_) / rel;
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ofstream out(p, std::ios::binary);
  out << content;
  out.close();
  if (!out) ADD_FAILURE() << "cannot write " << p.string();
  return p.string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace trawl::testsupport
