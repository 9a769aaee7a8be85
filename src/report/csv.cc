#include "trawl/report/csv.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "internal.h"

namespace trawl::report {

std::string CsvCell(std::string_view text) {
  std::string v = internal::ValidUtf8(text);
  // Formula triggers: = + - @ after any leading spaces, or TAB / CR first.
  std::size_t i = v.find_first_not_of(' ');
  bool formula =
      !v.empty() &&
      (v[0] == '\t' || v[0] == '\r' ||
       (i != std::string::npos && (v[i] == '=' || v[i] == '+' || v[i] == '-' || v[i] == '@')));
  std::string out = "\"";
  if (formula) out += '\'';
  for (char c : v) {
    if (c == '"') out += '"';
    // A raw ESC (or another C0 control but the line breaks a multi-line
    // cell holds) would reach the terminal of whoever cats the file: \xHH.
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u == 0x7F) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

namespace {

const char* const kColumns[] = {"type",         "level",      "score",        "module",  "path",
                                "path_hex",     "size",       "md5",          "sha1",    "sha256",
                                "reason_kinds", "indicators", "descriptions", "sources", "details"};
constexpr std::size_t kNumColumns = sizeof(kColumns) / sizeof(kColumns[0]);

class CsvSink final : public Sink {
 public:
  CsvSink(std::FILE* out, bool own) : out_(out), own_(own) {
    std::string header;
    for (std::size_t i = 0; i < kNumColumns; ++i) {
      if (i) header += ',';
      header += kColumns[i];
    }
    Write(header + "\r\n");
  }
  ~CsvSink() override {
    if (own_ && out_) std::fclose(out_);
  }

  void OnFinding(const Finding& f) override {
    if (!EveryHit(f)) return;
    std::vector<std::string> row(kNumColumns);
    row[0] = "finding";
    row[1] = LevelName(f.level);
    row[2] = std::to_string(f.score);
    row[3] = f.module;
    row[4] = f.path;
    if (!IsValidUtf8(f.path)) row[5] = internal::HexOf(f.path);
    if (f.size) row[6] = std::to_string(*f.size);
    auto hash = [&](const char* k) {
      auto it = f.hashes.find(k);
      return it == f.hashes.end() ? std::string() : it->second;
    };
    row[7] = hash("md5");
    row[8] = hash("sha1");
    row[9] = hash("sha256");
    // One line per reason inside each cell, in the same order across cells.
    for (std::size_t i = 0; i < f.reasons.size(); ++i) {
      const Reason& r = f.reasons[i];
      const char* sep = i ? "\n" : "";
      row[10] += sep + r.kind;
      row[11] += sep + r.indicator;
      row[12] += sep + r.description;
      row[13] += sep + r.source;
    }
    std::string details;
    for (const auto& [k, v] : f.extra)
      details += fmt::format("{}{}={}", details.empty() ? "" : "\n", k, internal::PlainValue(v));
    row[14] = details;
    WriteRow(row, {2, 6});
  }

  void OnError(const ErrorRecord& e) override {
    std::vector<std::string> row(kNumColumns);
    row[0] = "error";
    row[3] = e.module;
    row[4] = e.path;
    if (!IsValidUtf8(e.path)) row[5] = internal::HexOf(e.path);
    row[14] = e.message;
    WriteRow(row, {});
  }

  // A load problem (an indicator entry or rule skipped): where in `path`,
  // the set it came from in `sources`, why in `details`.
  void OnProblem(const Problem& p) override {
    std::vector<std::string> row(kNumColumns);
    row[0] = "problem";
    row[4] = p.where;
    if (!IsValidUtf8(p.where)) row[5] = internal::HexOf(p.where);
    row[13] = p.set;
    row[14] = p.message;
    WriteRow(row, {});
  }

  void OnSummary(const Summary& s) override {
    std::vector<std::string> row(kNumColumns);
    row[0] = "summary";
    row[1] = internal::Verdict(s);
    std::string d = fmt::format(
        "files={}\nbytes={}\nerrors={}\nalerts={}\nwarnings={}\nnotices={}\nseconds={:.3f}",
        s.files, s.bytes, s.errors, s.alerts, s.warnings, s.notices, s.seconds);
    d += s.interrupted ? "\ninterrupted=true" : "\ninterrupted=false";
    if (!s.host.empty()) d += "\nhost=" + s.host;
    if (!s.started.empty()) d += "\nstarted=" + s.started;
    if (!s.finished.empty()) d += "\nfinished=" + s.finished;
    for (const auto& [k, n] : s.skipped) d += fmt::format("\nskipped.{}={}", k, n);
    for (const auto& [k, v] : s.extra) d += fmt::format("\n{}={}", k, internal::PlainValue(v));
    row[14] = d;
    WriteRow(row, {});
  }

  Status Close() override {
    if (std::fflush(out_) != 0 || failed_) return Status::Error("writing the CSV output failed");
    return Status::Ok();
  }

 private:
  // Numeric columns we produce ourselves are written bare; every other cell
  // is quoted and neutralised.
  void WriteRow(const std::vector<std::string>& row, std::initializer_list<std::size_t> numeric) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) line += ',';
      bool bare = false;
      for (std::size_t n : numeric) bare |= n == i;
      line += bare ? row[i] : CsvCell(row[i]);
    }
    line += "\r\n";
    Write(line);
  }
  // One row per call, flushed (internal::WriteRecord): row-atomic.
  void Write(const std::string& s) {
    if (!internal::WriteRecord(out_, s)) failed_ = true;
  }

  std::FILE* out_;
  bool own_;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<Sink> MakeCsvSink(std::FILE* out, bool own) {
  return std::make_unique<CsvSink>(out, own);
}

}  // namespace trawl::report
