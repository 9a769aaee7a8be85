// Which files the artifact sweeps read: by name, by profile layout, and for
// EVTX also by magic bytes.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "trawl/artifacts/artifacts.h"
#include "trawl/core/text.h"
#include "trawl/read/read.h"
#include "trawl/evtx/evtx.h"

namespace trawl::artifacts {

namespace {

bool EndsWithCaseless(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return ToLowerAscii(s.substr(s.size() - suffix.size())) == suffix;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Path components (empty ones dropped), as written and lower-cased.
struct Parts {
  std::vector<std::string_view> raw;
  std::vector<std::string> low;
  std::size_t size() const { return raw.size(); }
  // Lower-cased component i counted from the end (1 = last); "" if none.
  const std::string& Back(std::size_t i) const {
    static const std::string kEmpty;
    return i == 0 || i > low.size() ? kEmpty : low[low.size() - i];
  }
};

Parts SplitPath(std::string_view path) {
  Parts p;
  for (std::string_view c : Split(path, '/')) {
    if (c.empty() || c == ".") continue;
    p.raw.push_back(c);
    p.low.push_back(ToLowerAscii(c));
  }
  return p;
}

// The account a profile belongs to: the component after the last "Users"
// (Windows, macOS) or "home" (Linux) before the profile; "root" for /root.
std::string UserOf(const Parts& p, std::size_t before) {
  for (std::size_t i = std::min(before, p.size()); i-- > 0;) {
    if ((p.low[i] == "users" || p.low[i] == "home") && i + 1 < before)
      return std::string(p.raw[i + 1]);
    if (p.low[i] == "root" && i == 0) return "root";
  }
  return "";
}

// The Chromium-family browser whose profile folder is the second-last
// component, or "" when the layout is not one of them.
std::string ChromiumBrowser(const Parts& p) {
  const std::string& a = p.Back(3);  // the folder holding the profiles
  const std::string& b = p.Back(4);
  const std::string& c = p.Back(5);
  if (a == "user data") {  // Windows: .../AppData/Local/VENDOR/PRODUCT/User Data/PROFILE/History
    if (c == "google" && StartsWith(b, "chrome")) return "chrome";
    if (b == "chromium") return "chromium";
    if (c == "microsoft" && StartsWith(b, "edge")) return "edge";
    if (c == "bravesoftware" && StartsWith(b, "brave-browser")) return "brave";
    return "chromium-based";
  }
  // macOS: .../Library/Application Support/Google/Chrome/PROFILE/History
  if (b == "google" && StartsWith(a, "chrome")) return "chrome";
  if (StartsWith(a, "microsoft edge")) return "edge";
  // Linux: .../.config/google-chrome/PROFILE/History, snap and flatpak homes too
  if (StartsWith(a, "google-chrome")) return "chrome";
  if (StartsWith(a, "microsoft-edge")) return "edge";
  if (a == "chromium") return "chromium";  // macOS and Linux
  if (b == "bravesoftware" && StartsWith(a, "brave-browser")) return "brave";
  return "";
}

}  // namespace

bool IsEvtxName(std::string_view path) { return EndsWithCaseless(path, ".evtx"); }

bool IsJournalName(std::string_view path) {
  std::string_view base =
      path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  auto ends = [&](std::string_view s) {
    return base.size() > s.size() && base.substr(base.size() - s.size()) == s;
  };
  return ends(".journal") || ends(".journal~");
}

Target BrowserTargetOf(std::string_view path) {
  Target t;
  // Called for every walked file: decide on the base name before splitting.
  std::size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (base.size() != 7 && base.size() != 13) return t;
  std::string low = ToLowerAscii(base);
  if (low != "history" && low != "places.sqlite") return t;
  Parts p = SplitPath(path);
  if (p.size() < 3) return t;
  const std::string& name = p.Back(1);
  if (name == "history") {
    std::string browser = ChromiumBrowser(p);
    if (browser.empty()) return t;
    t.type = Type::kChromiumHistory;
    t.browser = std::move(browser);
  } else if (name == "places.sqlite") {
    t.type = Type::kFirefoxPlaces;
    bool firefox = (p.Back(3) == "profiles" && p.Back(4) == "firefox") ||  // Windows, macOS
                   (p.Back(3) == "firefox" && p.Back(4) == ".mozilla");    // Linux
    if (firefox) {
      t.browser = "firefox";
    } else {
      // Another Gecko browser or mail client with the same database
      // (LibreWolf, Waterfox, Tor Browser, Thunderbird).
      bool thunderbird = false;
      for (const std::string& c : p.low)
        if (c == "thunderbird" || c == ".thunderbird") thunderbird = true;
      t.browser = thunderbird ? "thunderbird" : "firefox-based";
    }
  } else {
    return t;
  }
  t.profile = std::string(p.raw[p.size() - 2]);
  t.user = UserOf(p, p.size() - 2);
  return t;
}

bool HasEvtxMagic(const std::string& path) {
  auto file = read::File::Open(path);
  if (!file.ok()) return false;
  char magic[8];
  ssize_t n;
  do {
    n = pread(file->fd(), magic, sizeof magic, 0);
  } while (n < 0 && errno == EINTR);
  return n > 0 && evtx::HasFileSignature(std::string_view(magic, static_cast<std::size_t>(n)));
}

}  // namespace trawl::artifacts
