#include "trawl/testsupport/chromium.h"

#include <cstdio>
#include <filesystem>

#include "trawl/testsupport/temp_dir.h"

namespace trawl::testsupport {
namespace {

std::string RunCapture(const std::string& cmd) {
  std::string out;
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  pclose(p);
  return out;
}

}  // namespace

Dom ChromiumDom(const std::string& chromium, const std::string& page, const std::string& work_dir) {
  const std::string profile = work_dir + "/profile";
  const std::string log = work_dir + "/chromium.log";
  std::error_code ec;
  std::filesystem::create_directories(profile, ec);
  Dom dom;
  dom.html = RunCapture(chromium +
                        " --headless --no-sandbox --disable-gpu --no-first-run "
                        "--disable-background-networking --disable-component-update "
                        "--user-data-dir=" +
                        profile + " --dump-dom 'file://" + page + "' 2>'" + log + "'");
  dom.log = ReadFile(log);
  return dom;
}

std::size_t CountOf(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace trawl::testsupport
