// Test helper: walks argv[1] and prints one line per callback, so a test can
// run a walk under another user (setpriv) in a fresh process.
//   E <type> <path> | D <path> | S <path> <reason> | X <path> <message>
#include <cstdio>
#include <mutex>

#include "trawl/walk/walk.h"

namespace {
class Printer : public trawl::walk::Visitor {
 public:
  void OnEntry(const trawl::walk::Entry& e) override {
    std::lock_guard<std::mutex> l(mu_);
    std::printf("E\t%s\t%s\n", trawl::walk::EntryTypeName(e.type), e.path.c_str());
  }
  void OnDirectory(const trawl::walk::Entry& e) override {
    std::lock_guard<std::mutex> l(mu_);
    std::printf("D\t%s\n", e.path.c_str());
  }
  void OnSkip(const std::string& p, const std::string& r) override {
    std::lock_guard<std::mutex> l(mu_);
    std::printf("S\t%s\t%s\n", p.c_str(), r.c_str());
  }
  void OnError(const std::string& p, const std::string& m) override {
    std::lock_guard<std::mutex> l(mu_);
    std::printf("X\t%s\t%s\n", p.c_str(), m.c_str());
  }

 private:
  std::mutex mu_;
};
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  Printer p;
  trawl::walk::Options o;
  o.exclude_paths.clear();
  trawl::Status s = trawl::walk::Walk({argv[1]}, o, p);
  if (!s.ok()) std::printf("F\t%s\n", s.message().c_str());
  return s.ok() ? 0 : 1;
}
