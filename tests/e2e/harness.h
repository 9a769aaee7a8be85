// Helpers for end-to-end tests: temporary trees, running the binary, reading
// its JSON Lines output.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trawl/testsupport/temp_dir.h"

namespace trawl::e2e {

// A fresh directory, removed (recursively, permissions given back) on
// destruction: the shared one of tests/support.
using TempDir = testsupport::TempDir;
using testsupport::ReadFile;

struct RunResult {
  int exit_code = -1;
  std::string out, err;
  std::vector<nlohmann::json> json;  // parsed JSON Lines (from --json FILE)
  std::vector<nlohmann::json> Of(const std::string& type) const;
  const nlohmann::json* Summary() const;
  // The finding for `path`, or nullptr.
  const nlohmann::json* FindingFor(const std::string& path) const;
};

// Runs trawl with args (a JSON output file is added and parsed). `prefix` goes
// before the binary (e.g. "setpriv --reuid=nobody ...").
RunResult RunTrawl(const std::vector<std::string>& args, const std::string& prefix = "");

// Runs `ENV trawl ARGS` exactly as given: no --json or --no-color added (`json`
// stays empty unless the caller parses `out`). XDG_DATA_HOME points at an empty
// private folder unless ENV sets it. With `tty`, trawl's stdout and
// stderr are one pseudo-terminal (util-linux `script`), both landing in `out`.
RunResult RunTrawlRaw(const std::vector<std::string>& args, const std::string& env = "",
                      bool tty = false);

std::string ShellQuote(const std::string& s);
std::string RandomBytes(size_t n);
std::string HexDigest(const char* algo, const std::string& data);  // "MD5", "SHA1", "SHA256"

}  // namespace trawl::e2e
