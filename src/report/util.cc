#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>

#include "internal.h"
#include "trawl/core/text.h"
#include "trawl/report/sink.h"

namespace trawl::report::internal {

std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string HexOf(std::string_view s) { return HexEncode(s); }

std::string UtcNowIso() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms % 1000));
}

std::string PlainValue(const FieldValue& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return std::isfinite(*d) ? fmt::format("{}", *d) : "";
  if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return std::get<std::string>(v);
}

Result<std::string> CaptureJsonLine(const std::function<void(Sink&)>& fn, MemStreamOpener open) {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = open(&buf, &len);
  if (!f)
    return Status::Error(fmt::format("cannot open a memory stream: {}", std::strerror(errno)));
  Status closed = Status::Ok();
  {
    auto sink = MakeJsonLinesSink(f, false);
    fn(*sink);
    closed = sink->Close();
  }
  bool fclose_failed = std::fclose(f) != 0;
  std::string out = buf ? std::string(buf, len) : std::string();
  std::free(buf);
  if (!closed.ok()) return closed;
  if (fclose_failed) return Status::Error("writing the JSON record to memory failed");
  while (!out.empty() && out.back() == '\n') out.pop_back();
  if (out.empty()) return Status::Error("the JSON Lines sink wrote no record");
  return out;
}

Result<std::string> FindingJsonLine(const Finding& f) {
  return CaptureJsonLine([&](Sink& s) { s.OnFinding(f); });
}

Result<std::string> SummaryJsonLine(const Summary& sum) {
  return CaptureJsonLine([&](Sink& s) { s.OnSummary(sum); });
}

Result<std::string> ProblemJsonLine(const Problem& p) {
  return CaptureJsonLine([&](Sink& s) { s.OnProblem(p); });
}

const char* Verdict(const Summary& s) {
  if (s.alerts) return "compromised";
  if (s.warnings) return "suspicious";
  if (s.interrupted) return "incomplete";
  return "clean";
}

bool WriteRecord(std::FILE* out, std::string_view record) {
  int fd = ::fileno(out);
  if (fd < 0) {
    return std::fwrite(record.data(), 1, record.size(), out) == record.size() &&
           std::fflush(out) == 0;
  }
  if (std::fflush(out) != 0) return false;
  while (!record.empty()) {
    ssize_t n = ::write(fd, record.data(), record.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    record.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace trawl::report::internal
