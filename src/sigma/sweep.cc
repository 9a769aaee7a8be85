// File-level Sigma sweep; see sweep.h.
#include "trawl/sigma/sweep.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "trawl/core/text.h"
#include "trawl/evtx/evtx.h"
#include "trawl/read/read.h"

namespace trawl::sigma {

struct Sweeper::Worker {
  std::unique_ptr<Engine::Scratch, void (*)(Engine::Scratch*)> scratch;
  EventBuilder builder;
  SweepCounters counters;
  struct Agg {
    std::uint64_t hits = 0;
    std::string first, last;
    Finding sample;
  };
  std::map<std::string, Agg> aggs;  // key: rule path:line (unique per rule)
  explicit Worker(const Engine& e) : scratch(e.NewScratch()) {}
};

Sweeper::Sweeper(const Engine& engine, Thresholds thresholds)
    : engine_(engine), thresholds_(thresholds) {}

InputKind Sweeper::Claims(std::string_view path, std::string_view head) const {
  return DetectInput(path, head);
}

std::unique_ptr<Sweeper::Worker, void (*)(Sweeper::Worker*)> Sweeper::NewWorker() const {
  return {new Worker(engine_), [](Worker* w) { delete w; }};
}

const SweepCounters& Sweeper::Counters(const Worker& worker) { return worker.counters; }

namespace {

std::string Joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

Finding MakeFinding(const Match& m, const Event& e, const std::string& shown, InputKind kind,
                    const Thresholds& t) {
  const RuleInfo& r = *m.rule;
  Finding f;
  f.module = "sigma";
  f.path = shown;
  int score = RuleLevelScore(r.level);
  f.reasons.push_back({"sigma", r.id.empty() ? r.title : r.id, r.title,
                       r.path + ":" + std::to_string(r.line), score});
  auto& x = f.extra;
  x.push_back({"rule_id", r.id});
  x.push_back({"rule_title", EscapeControl(r.title)});
  x.push_back({"rule_level", std::string(RuleLevelName(r.level))});
  x.push_back({"rule_status", r.status});
  x.push_back({"rule_path", r.path});
  x.push_back({"tags", Joined(r.tags, ", ")});
  x.push_back({"record", static_cast<std::int64_t>(e.record)});
  x.push_back({"time", std::string(e.time)});
  x.push_back({"channel", EscapeControl(e.channel)});
  if (e.has_event_id) x.push_back({"event_id", static_cast<std::int64_t>(e.event_id)});
  x.push_back({"computer", EscapeControl(e.computer)});
  x.push_back({"provider", EscapeControl(e.provider)});
  x.push_back({"input", std::string(InputKindName(kind))});
  std::string matched;
  for (const auto& [name, value] : m.fields) {
    if (!matched.empty()) matched += " | ";
    matched += name + "=" + value;
  }
  x.push_back({"matched", EscapeControl(matched)});
  if (!m.records.empty()) {
    std::string recs;
    for (std::uint64_t r2 : m.records) recs += (recs.empty() ? "" : ", ") + std::to_string(r2);
    x.push_back({"correlation", r.correlation});
    x.push_back({"correlated_records", recs});
  }
  ScoreFinding(f, t);
  return f;
}

class MappedFile {
 public:
  ~MappedFile() {
    if (data_ && data_ != MAP_FAILED) munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
  }
  Status Open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOATIME);
    if (fd_ < 0 && errno == EPERM)
      fd_ = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) return Status::Error(path + ": cannot open: " + std::strerror(errno));
    return Map(path);
  }
  // Maps a file the reader stage opened (its descriptor is duplicated).
  Status Open(const read::File& file) {
    fd_ = ::fcntl(file.fd(), F_DUPFD_CLOEXEC, 0);
    if (fd_ < 0) return Status::Error(file.path() + ": cannot map: " + std::strerror(errno));
    return Map(file.path());
  }
  Status Map(const std::string& path) {
    struct stat st;
    if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))
      return Status::Error(path + ": not a regular file");
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ == 0) return Status::Ok();
    data_ = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (data_ == MAP_FAILED) return Status::Error(path + ": cannot map: " + std::strerror(errno));
    madvise(data_, size_, MADV_SEQUENTIAL);
    return Status::Ok();
  }
  std::string_view view() const {
    return data_ && data_ != MAP_FAILED ? std::string_view(static_cast<const char*>(data_), size_)
                                        : std::string_view();
  }

 private:
  int fd_ = -1;
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace

Status Sweeper::ScanFile(const std::string& read_path, const std::string& shown_path,
                         InputKind kind, Worker& w, const FindingFn& on_finding,
                         const ErrorFn& on_error, const read::File* opened) const {
  BeginFile(w);
  auto error = [&](const std::string& where, const std::string& msg) {
    w.counters.errors++;
    on_error({shown_path, where + ": " + msg, "sigma"});
  };
  auto on_event = [&](const Event& e) { MatchOne(e, shown_path, kind, w, on_finding); };
  if (kind == InputKind::kEvtx) {
    evtx::Options eo;
    eo.threads = 1;
    eo.max_seconds = max_seconds_;
    auto stats = evtx::ReadFile(
        read_path, [&](const evtx::Record& r) { on_event(FromEvtx(r, w.builder)); }, eo);
    if (!stats.ok()) return stats.status();
    EvtxProblems(*stats, shown_path, w, on_error);
  } else if (kind == InputKind::kNone) {
    return Status::Error(shown_path + ": not an input the sigma sweep reads");
  } else {
    MappedFile mf;
    if (Status st = opened ? mf.Open(*opened) : mf.Open(read_path); !st.ok()) return st;
    std::string_view text = mf.view();
    if (kind == InputKind::kJson) {
      ParseJsonEvents(text, w.builder, on_event, error);
    } else {
      TextLogParser parser(kind);
      std::uint64_t line_no = 0;
      std::size_t b = 0;
      while (b < text.size()) {
        std::size_t e = text.find('\n', b);
        if (e == std::string_view::npos) e = text.size();
        parser.Line(text.substr(b, e - b), ++line_no, w.builder, on_event);
        b = e + 1;
      }
      if (parser.bad())
        error("file", std::to_string(parser.bad()) + " lines did not fit the log's field layout");
    }
  }
  EndFile(w, on_finding);
  return Status::Ok();
}

void Sweeper::BeginFile(Worker& w) const {
  w.aggs.clear();
  Engine::ResetCorrelations(*w.scratch);
  w.counters.files++;
}

void Sweeper::MatchOne(const Event& e, const std::string& shown_path, InputKind kind, Worker& w,
                       const FindingFn& on_finding) const {
  w.counters.events++;
  engine_.MatchEvent(e, *w.scratch, [&](const Match& m) {
    w.counters.hits++;
    w.counters.per_level[static_cast<int>(m.rule->level)]++;
    Finding f = MakeFinding(m, e, shown_path, kind, thresholds_);
    std::string key = m.rule->path + ":" + std::to_string(m.rule->line);
    auto& agg = w.aggs[key];
    if (agg.hits++ == 0) agg.sample = f;
    std::string t(e.time);
    if (!t.empty()) {
      if (agg.first.empty() || t < agg.first) agg.first = t;
      if (agg.last.empty() || t > agg.last) agg.last = t;
    }
    f.audience = Finding::Audience::kMachine;
    on_finding(f);
  });
}

void Sweeper::EvtxRecord(const evtx::Record& r, const std::string& shown_path, Worker& w,
                         const FindingFn& on_finding) const {
  MatchOne(FromEvtx(r, w.builder), shown_path, InputKind::kEvtx, w, on_finding);
}

void Sweeper::EvtxProblems(const evtx::ReadStats& stats, const std::string& shown_path, Worker& w,
                           const ErrorFn& on_error) const {
  auto error = [&](const std::string& where, const std::string& msg) {
    w.counters.errors++;
    on_error({shown_path, where + ": " + msg, "sigma"});
  };
  for (const evtx::Problem& p : stats.problems)
    error("offset " + std::to_string(p.offset), p.message);
  if (stats.problems_dropped)
    error("file",
          std::to_string(stats.problems_dropped) + " more problems (not listed by the reader)");
}

void Sweeper::EndFile(Worker& w, const FindingFn& on_finding) const {
  for (auto& [key, agg] : w.aggs) {
    Finding f = agg.sample;
    f.audience = Finding::Audience::kHuman;
    f.extra.insert(f.extra.begin(), {"hits", static_cast<std::int64_t>(agg.hits)});
    if (!agg.first.empty()) f.extra.push_back({"first_seen", agg.first});
    if (!agg.last.empty()) f.extra.push_back({"last_seen", agg.last});
    on_finding(f);
  }
  w.aggs.clear();
}

void Sweeper::ScanProcess(const ProcessInfo& p, const std::string& shown, Worker& w,
                          const FindingFn& on_finding) const {
  const Event& e = FromProcess(p, w.builder);
  w.counters.events++;
  engine_.MatchEvent(e, *w.scratch, [&](const Match& m) {
    w.counters.hits++;
    w.counters.per_level[static_cast<int>(m.rule->level)]++;
    Finding f = MakeFinding(m, e, shown, InputKind::kNone, thresholds_);
    for (auto& kv : f.extra)
      if (kv.first == "input") kv.second = std::string("process");
    f.extra.push_back({"pid", static_cast<std::int64_t>(p.pid)});
    on_finding(f);
  });
}

std::vector<std::pair<std::string, FieldValue>> Sweeper::Summary(
    const std::vector<const Worker*>& workers) const {
  SweepCounters c;
  for (const Worker* w : workers) {
    c.files += w->counters.files;
    c.events += w->counters.events;
    c.hits += w->counters.hits;
    c.errors += w->counters.errors;
    for (int i = 0; i < 5; ++i) c.per_level[i] += w->counters.per_level[i];
  }
  std::vector<std::pair<std::string, FieldValue>> out;
  out.push_back({"sigma_rules", static_cast<std::int64_t>(engine_.rules().size())});
  std::uint64_t skipped = 0;
  for (const auto& [k, n] : engine_.report().skipped) skipped += n;
  out.push_back({"sigma_rules_skipped", static_cast<std::int64_t>(skipped)});
  out.push_back({"sigma_files", static_cast<std::int64_t>(c.files)});
  out.push_back({"sigma_events", static_cast<std::int64_t>(c.events)});
  out.push_back({"sigma_hits", static_cast<std::int64_t>(c.hits)});
  for (int i = 0; i < 5; ++i)
    out.push_back({std::string("sigma_hits_") + RuleLevelName(static_cast<RuleLevel>(i)),
                   static_cast<std::int64_t>(c.per_level[i])});
  return out;
}

}  // namespace trawl::sigma
