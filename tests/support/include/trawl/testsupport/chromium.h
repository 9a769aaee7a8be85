// Test support: a page opened in headless Chromium (Debian's chromium), for
// the tests that check what the HTML reports become in a real browser.
#pragma once

#include <cstddef>
#include <string>

namespace trawl::testsupport {

struct Dom {
  std::string html;  // the DOM after the page's scripts ran (--dump-dom); empty on failure
  std::string log;   // Chromium's stderr, for the failure message
};

// Opens file://`page` with `chromium` (the binary), a fresh profile in
// `work_dir`/profile, no network, no sandbox (tests run as root).
Dom ChromiumDom(const std::string& chromium, const std::string& page, const std::string& work_dir);

// How many times `needle` occurs in `s` (overlaps counted).
std::size_t CountOf(const std::string& s, const std::string& needle);

}  // namespace trawl::testsupport
