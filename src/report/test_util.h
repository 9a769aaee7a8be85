// Test helpers for the report sinks: capture a sink's output, parse CSV and
// RFC 5424 back, so tests check what a reader of the output would see.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/report/sink.h"

namespace trawl::report::testing {

// Runs `fn` against the sink `make(FILE*)` returns, writing to memory.
template <typename Make, typename Fn>
std::string Capture(Make make, Fn fn) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  {
    auto sink = make(f);
    fn(*sink);
    (void)sink->Close();
  }
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

// RFC 4180 reader: rows of cells; nullopt when the text is not valid RFC 4180
// (a quote inside an unquoted cell, an unterminated quoted cell, LF line ends).
inline std::optional<std::vector<std::vector<std::string>>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  size_t i = 0;
  bool at_start = true;
  while (i < text.size()) {
    if (at_start && text[i] == '"') {
      ++i;
      for (;;) {
        if (i >= text.size()) return std::nullopt;
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            cell += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell += text[i++];
      }
      at_start = false;
      continue;
    }
    char c = text[i];
    if (c == ',') {
      row.push_back(cell);
      cell.clear();
      at_start = true;
      ++i;
    } else if (c == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') return std::nullopt;
      row.push_back(cell);
      rows.push_back(row);
      row.clear();
      cell.clear();
      at_start = true;
      i += 2;
    } else if (c == '"' || c == '\n') {
      return std::nullopt;
    } else {
      cell += c;
      at_start = false;
      ++i;
    }
  }
  if (!row.empty() || !cell.empty()) return std::nullopt;  // last row without CRLF
  return rows;
}

// An RFC 5424 message taken apart (enough for trawl's messages).
struct Syslog5424 {
  int pri = -1;
  std::string timestamp, hostname, app, procid, msgid;
  // SD-ID -> params, in order (a name may repeat).
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> sd;
  std::string msg;
  std::string Param(const std::string& id, const std::string& name) const {
    auto it = sd.find(id);
    if (it == sd.end()) return "<missing>";
    for (const auto& [k, v] : it->second)
      if (k == name) return v;
    return "<missing>";
  }
};

inline std::optional<Syslog5424> ParseSyslog5424(const std::string& m) {
  Syslog5424 r;
  size_t i = 0;
  if (m.empty() || m[0] != '<') return std::nullopt;
  size_t gt = m.find('>');
  if (gt == std::string::npos) return std::nullopt;
  r.pri = std::atoi(m.substr(1, gt - 1).c_str());
  i = gt + 1;
  if (m.compare(i, 2, "1 ") != 0) return std::nullopt;
  i += 2;
  auto field = [&](std::string& out) {
    size_t sp = m.find(' ', i);
    if (sp == std::string::npos) return false;
    out = m.substr(i, sp - i);
    i = sp + 1;
    return true;
  };
  if (!field(r.timestamp) || !field(r.hostname) || !field(r.app) || !field(r.procid) ||
      !field(r.msgid))
    return std::nullopt;
  if (i < m.size() && m[i] == '-') {
    ++i;
  } else {
    while (i < m.size() && m[i] == '[') {
      ++i;
      size_t end = m.find_first_of(" ]", i);
      if (end == std::string::npos) return std::nullopt;
      std::string id = m.substr(i, end - i);
      auto& params = r.sd[id];
      i = end;
      while (i < m.size() && m[i] == ' ') {
        ++i;
        size_t eq = m.find('=', i);
        if (eq == std::string::npos || eq + 1 >= m.size() || m[eq + 1] != '"') return std::nullopt;
        std::string name = m.substr(i, eq - i), value;
        i = eq + 2;
        for (;;) {
          if (i >= m.size()) return std::nullopt;
          char c = m[i];
          if (c == '\\' && i + 1 < m.size() &&
              (m[i + 1] == '"' || m[i + 1] == '\\' || m[i + 1] == ']')) {
            value += m[i + 1];
            i += 2;
            continue;
          }
          if (c == '"') {
            ++i;
            break;
          }
          if (c == ']') return std::nullopt;  // must be escaped
          value += c;
          ++i;
        }
        params.emplace_back(name, value);
      }
      if (i >= m.size() || m[i] != ']') return std::nullopt;
      ++i;
    }
  }
  if (i < m.size()) {
    if (m[i] != ' ') return std::nullopt;
    r.msg = m.substr(i + 1);
  }
  return r;
}

// A finding with hostile strings in every text field.
inline Finding HostileFinding(const std::string& path) {
  Finding f;
  f.path = path;
  f.size = 1234;
  f.hashes["md5"] = "0123456789abcdef0123456789abcdef";
  f.hashes["sha256"] = std::string(64, 'a');
  f.reasons.push_back({"hash", std::string(64, 'a'), "Planted \"sample\" ] with \\ backslash",
                       "/iocs/hash-iocs.txt:7", 100});
  f.reasons.push_back({"filename", "evil_[a-z]+\\.bin", "=cmd|' /C calc'!A0", "builtin:3cx", 80});
  f.score = 100;
  f.level = Level::kAlert;
  f.extra.push_back({"line", std::int64_t{7}});
  f.extra.push_back({"excerpt", std::string("GET /x?q=<script>alert(1)</script> \xe2\x80\xae")});
  return f;
}

}  // namespace trawl::report::testing
