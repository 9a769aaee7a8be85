// Reading per-host JSON Lines reports into a Fleet (fleet.h): every line on
// its own, hostile input reported as bad lines, bounded memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "trawl/fleet/fleet.h"

namespace trawl::fleet {

std::uint64_t Fleet::Count(const std::string& verdict) const {
  std::uint64_t n = 0;
  for (const Host& h : hosts) n += h.verdict == verdict;
  return n;
}

int FleetExitCode(const Fleet& fleet) {
  if (fleet.Count("compromised") || fleet.Count("suspicious")) return 1;
  if (fleet.Count("failed")) return 2;
  return 0;
}

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kMaxTimeline = 1000;  // contacts kept per host
constexpr std::size_t kMaxText = 2000;      // bytes kept of a description

// Accessors that never throw: the wrong type is "absent".
std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get_ref<const std::string&>() : std::string();
}
std::uint64_t Num(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  if (it->is_number_integer()) return it->get<std::int64_t>() > 0 ? it->get<std::uint64_t>() : 0;
  return 0;
}
bool Bool(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

int LevelOf(const std::string& s) {
  if (s == "alert") return 3;
  if (s == "warning") return 2;
  if (s == "notice") return 1;
  return 0;
}

// Deeper than kMaxDepth: refused before the parser sees it.
bool TooDeep(const std::string& line) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : line) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

class Reader {
 public:
  Reader(Fleet& fleet, Host& host, std::size_t index) : fleet_(fleet), host_(host), index_(index) {}

  void Bad(std::uint64_t line, const std::string& message) {
    host_.bad_lines++;
    fleet_.bad_lines_seen++;
    if (fleet_.bad_lines.size() < kMaxBadLines)
      fleet_.bad_lines.push_back({host_.source + ":" + std::to_string(line), message});
  }

  void Line(std::uint64_t n, const std::string& text) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) return;  // blank
    if (TooDeep(text)) return Bad(n, "nested deeper than " + std::to_string(kMaxDepth));
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Bad(n, "not JSON");
    if (!j.is_object()) return Bad(n, "not a JSON object");
    auto type = j.find("type");
    if (type == j.end() || !type->is_string()) return Bad(n, "no \"type\" string");
    const std::string& t = type->get_ref<const std::string&>();
    if (t == "finding") return Finding(n, j);
    if (t == "summary") return Summary(n, j);
    // error, problem and types added later: counted in the summary, not needed here.
  }

  void Finish() {
    SortTop();
    host_.verdict = host_.alerts        ? "compromised"
                    : host_.warnings    ? "suspicious"
                    : !host_.summary    ? "failed"
                    : host_.interrupted ? "failed"
                                        : "clean";
    if (host_.verdict == "failed" && host_.why.empty())
      host_.why = !host_.summary ? "no summary line: the scan did not finish or the file was cut"
                                 : "the scan was interrupted before it finished";
  }

 private:
  void Finding(std::uint64_t n, const json& j) {
    int level = LevelOf(Str(j, "level"));
    if (level == 0) return Bad(n, "finding without a level of alert, warning or notice");
    if (level == 3) ++alerts_;
    if (level == 2) ++warnings_;
    if (level == 1) ++notices_;
    HostFinding f;
    f.level = level;
    f.score = static_cast<int>(std::min<std::uint64_t>(Num(j, "score"), 100));
    f.module = Str(j, "module");
    f.path = Str(j, "path");
    auto reasons = j.find("reasons");
    if (reasons != j.end() && reasons->is_array()) {
      for (const json& r : *reasons) {
        if (!r.is_object()) continue;
        std::string kind = Str(r, "kind"), value = Str(r, "indicator");
        if (value.empty()) continue;
        if (f.indicators.size() < 500) f.indicators += (f.indicators.empty() ? "" : ", ") + value;
        IndicatorHit& hit = fleet_.indicators[{kind, value}];
        if (hit.indicator.empty()) {
          hit.kind = kind;
          hit.indicator = value;
          hit.description = Str(r, "description").substr(0, kMaxText);
        }
        hit.level = std::max(hit.level, level);
        hit.findings++;
        hit.hosts[index_]++;
      }
    }
    host_.top.push_back(std::move(f));
    if (host_.top.size() >= 4 * kTopFindings) SortTop();
  }

  void Summary(std::uint64_t n, const json& j) {
    if (host_.summary) Bad(n, "a second summary (the last one counts)");
    host_.summary = true;
    std::string name = Str(j, "host");
    if (!name.empty()) host_.name = name;
    host_.os = Str(j, "os");
    host_.started = Str(j, "started");
    host_.finished = Str(j, "finished");
    host_.shard = Str(j, "shard");
    host_.errors = Num(j, "errors");
    host_.files = Num(j, "files");
    host_.interrupted = Bool(j, "interrupted");
    auto counts = j.find("findings");
    if (counts != j.end() && counts->is_object()) {
      summary_alerts_ = Num(*counts, "alert");
      summary_warnings_ = Num(*counts, "warning");
      summary_notices_ = Num(*counts, "notice");
    }
    host_.timeline.clear();
    auto tl = j.find("timeline");
    if (tl != j.end() && tl->is_array()) {
      for (const json& t : *tl) {
        if (!t.is_object()) continue;
        if (host_.timeline.size() == kMaxTimeline) {
          Bad(n, "timeline longer than " + std::to_string(kMaxTimeline) + " entries: cut");
          break;
        }
        host_.timeline.push_back({Str(t, "indicator"), Str(t, "kind"), Str(t, "first_seen"),
                                  Str(t, "last_seen"), Num(t, "hits")});
      }
    }
  }

 public:
  // The host's counts: what its findings say or what its summary says,
  // whichever is more (a report cut before its summary, or a summary that
  // plays a hit down, never hides one).
  void Settle() {
    host_.alerts = std::max(alerts_, summary_alerts_);
    host_.warnings = std::max(warnings_, summary_warnings_);
    host_.notices = std::max(notices_, summary_notices_);
  }

 private:
  void SortTop() {
    std::stable_sort(host_.top.begin(), host_.top.end(),
                     [](const HostFinding& a, const HostFinding& b) {
                       if (a.level != b.level) return a.level > b.level;
                       return a.score > b.score;
                     });
    if (host_.top.size() > kTopFindings) host_.top.resize(kTopFindings);
  }

  Fleet& fleet_;
  Host& host_;
  std::size_t index_;
  std::uint64_t alerts_ = 0, warnings_ = 0, notices_ = 0;
  std::uint64_t summary_alerts_ = 0, summary_warnings_ = 0, summary_notices_ = 0;
};

// Opens a regular file for reading without blocking on a FIFO or device.
std::FILE* OpenInput(const std::string& path, std::string& why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    why = std::strerror(errno);
    return nullptr;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    why = "not a regular file";
    ::close(fd);
    return nullptr;
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  std::FILE* f = ::fdopen(fd, "r");
  if (!f) {
    why = std::strerror(errno);
    ::close(fd);
  }
  return f;
}

// The per-host HTML report beside the JSON Lines file: same name, .html.
std::string ReportBeside(const std::string& path) {
  std::error_code ec;
  fs::path p(path);
  std::string ext = p.extension().string();
  if (ext != ".jsonl" && ext != ".json" && ext != ".ndjson") return "";
  fs::path html = p.replace_extension(".html");
  return fs::is_regular_file(html, ec) ? html.string() : "";
}

void ReadAll(Reader& reader, std::FILE* in, Host& host) {
  std::string line;
  bool too_long = false;
  std::uint64_t n = 0;
  auto end_line = [&] {
    ++n;
    if (too_long)
      reader.Bad(n, "longer than " + std::to_string(kMaxLine) + " bytes");
    else
      reader.Line(n, line);
    line.clear();
    too_long = false;
  };
  std::vector<char> buf(64 * 1024);
  bool pending = false;
  std::size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), in)) > 0) {
    const char* p = buf.data();
    const char* end = p + got;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
      const char* stop = nl ? nl : end;
      std::size_t len = static_cast<std::size_t>(stop - p);
      if (!too_long) {
        if (line.size() + len > kMaxLine) {
          too_long = true;
          std::string().swap(line);
        } else {
          line.append(p, len);
        }
      }
      pending = true;
      p = stop;
      if (nl) {
        ++p;
        end_line();
        pending = false;
      }
    }
  }
  if (pending) end_line();  // a last line without a newline (a file cut while written)
  if (std::ferror(in)) host.why = "read error after line " + std::to_string(n);
}

}  // namespace

namespace {

Host& NewHost(Fleet& fleet, const std::string& source) {
  fleet.hosts.emplace_back();
  Host& host = fleet.hosts.back();
  host.source = source;
  host.name = source;
  return host;
}

void ReadHost(Fleet& fleet, Host& host, std::FILE* in) {
  Reader reader(fleet, host, fleet.hosts.size() - 1);
  try {
    ReadAll(reader, in, host);
  } catch (const std::exception& e) {  // bad_alloc on a hostile file: this host fails, not the run
    host.why = std::string("reading stopped: ") + e.what();
    host.summary = false;
  }
  reader.Settle();
  reader.Finish();
}

}  // namespace

void AddHostReportFrom(Fleet& fleet, const std::string& source, std::FILE* in) {
  ReadHost(fleet, NewHost(fleet, source), in);
}

void AddHostReport(Fleet& fleet, const std::string& path) {
  Host& host = NewHost(fleet, path);
  std::string why;
  std::FILE* in = OpenInput(path, why);
  if (!in) {
    host.verdict = "failed";
    host.why = "cannot read " + path + ": " + why;
    return;
  }
  ReadHost(fleet, host, in);
  std::fclose(in);
  host.report = ReportBeside(path);
}

}  // namespace trawl::fleet
