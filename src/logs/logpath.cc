// Which files are logs.
#include <fnmatch.h>

#include <array>
#include <string>

#include "trawl/core/text.h"
#include "trawl/logs/logs.h"

namespace trawl::logs {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Strips one rotation suffix: ".N", "-YYYYMMDD[NN]", ".YYYY-MM-DD", "-YYYY-MM-DD",
// "_YYYYMMDD". Returns false if there was none.
bool StripRotation(std::string_view& name) {
  auto dot = name.rfind('.');
  if (dot != std::string_view::npos && dot > 0) {
    std::string_view tail = name.substr(dot + 1);
    if (AllDigits(tail) && tail.size() <= 3) {
      name = name.substr(0, dot);
      return true;
    }
  }
  for (char sep : {'-', '_', '.'}) {
    auto pos = name.rfind(sep);
    if (pos == std::string_view::npos || pos == 0) continue;
    std::string_view tail = name.substr(pos + 1);
    if (AllDigits(tail) && (tail.size() == 8 || tail.size() == 10)) {
      name = name.substr(0, pos);
      return true;
    }
  }
  // ".YYYY-MM-DD" / "-YYYY-MM-DD"
  if (name.size() > 11) {
    std::string_view tail = name.substr(name.size() - 10);
    char sep = name[name.size() - 11];
    if ((sep == '.' || sep == '-' || sep == '_') && AllDigits(tail.substr(0, 4)) &&
        tail[4] == '-' && AllDigits(tail.substr(5, 2)) && tail[7] == '-' &&
        AllDigits(tail.substr(8, 2))) {
      name = name.substr(0, name.size() - 11);
      return true;
    }
  }
  return false;
}

constexpr std::array<std::string_view, 25> kKnownNames = {
    "syslog",     "messages",   "secure",         "maillog",       "mail.log",
    "mail.err",   "mail.warn",  "mail.info",      "cron",          "kern.log",
    "auth.log",   "daemon.log", "user.log",       "debug",         "boot.log",
    "access_log", "error_log",  "ssl_access_log", "ssl_error_log", "ssl_request_log",
    "xferlog",    "ufw.log",    "firewalld",      "dnsmasq",       "named",
};

bool IsLogName(std::string_view name) {
  if (EndsWith(name, ".log")) return true;
  for (auto k : kKnownNames)
    if (name == k) return true;
  return false;
}

}  // namespace

bool IsLogPath(std::string_view path, const LogOptions& opts) {
  std::string p(path);
  std::string_view base = path;
  if (auto slash = base.rfind('/'); slash != std::string_view::npos) base = base.substr(slash + 1);
  for (const std::string& g : opts.extra_globs) {
    bool has_slash = g.find('/') != std::string::npos;
    std::string subject = has_slash ? p : std::string(base);
    if (fnmatch(g.c_str(), subject.c_str(), 0) == 0) return true;
  }
  std::string lower = ToLowerAscii(base);
  std::string_view name = lower;
  if (EndsWith(name, ".journal") || EndsWith(name, ".journal~")) return false;
  if (p.rfind("var/log/", 0) == 0 || p.find("/var/log/") != std::string::npos) return true;
  for (std::string_view ext : {".gz", ".bz2", ".xz", ".zst", ".lz4", ".z"}) {
    if (EndsWith(name, ext) && name.size() > ext.size()) {
      name.remove_suffix(ext.size());
      break;
    }
  }
  for (int i = 0; i < 3; ++i) {
    if (IsLogName(name)) return true;
    if (!StripRotation(name)) break;
  }
  return IsLogName(name);
}

}  // namespace trawl::logs
