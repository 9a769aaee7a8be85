#include "harness.h"

#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace trawl::e2e {

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

using testsupport::ReadFile;

RunResult RunTrawlRaw(const std::vector<std::string>& args, const std::string& env, bool tty) {
  TempDir io;
  std::system(("chmod 777 " + ShellQuote(io.path())).c_str());  // usable by setpriv runs
  // No signature packs a developer installed: the tests say what is loaded.
  std::string cmd = "XDG_DATA_HOME=" + ShellQuote(io.path() + "/xdg") + " " + env + " " +
                    ShellQuote(TRAWL_BINARY);
  for (const std::string& a : args) cmd += " " + ShellQuote(a);
  if (tty) cmd = "script -qec " + ShellQuote(cmd) + " /dev/null";
  cmd += " >" + ShellQuote(io.path() + "/stdout") + " 2>" + ShellQuote(io.path() + "/stderr") +
         " </dev/null";
  int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(io.path() + "/stdout");
  r.err = ReadFile(io.path() + "/stderr");
  return r;
}

RunResult RunTrawl(const std::vector<std::string>& args, const std::string& prefix) {
  TempDir io;
  std::system(("chmod 777 " + ShellQuote(io.path())).c_str());  // writable for setpriv runs
  std::string json = io.path() + "/out.jsonl";
  std::vector<std::string> all = args;
  all.insert(all.end(), {"--no-color", "--json", json});
  RunResult r = RunTrawlRaw(all, prefix);
  std::istringstream lines(ReadFile(json));
  for (std::string line; std::getline(lines, line);) r.json.push_back(nlohmann::json::parse(line));
  return r;
}

std::vector<nlohmann::json> RunResult::Of(const std::string& type) const {
  std::vector<nlohmann::json> matching;
  for (const auto& j : json)
    if (j.value("type", "") == type) matching.push_back(j);
  return matching;
}

const nlohmann::json* RunResult::Summary() const {
  if (json.empty() || json.back().value("type", "") != "summary") return nullptr;
  return &json.back();
}

const nlohmann::json* RunResult::FindingFor(const std::string& path) const {
  for (const auto& j : json)
    if (j.value("type", "") == "finding" && j.value("path", "") == path) return &j;
  return nullptr;
}

std::string RandomBytes(size_t n) {
  static std::mt19937_64 rng(std::random_device{}());
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string HexDigest(const char* algo, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_get_digestbyname(algo), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

}  // namespace trawl::e2e
