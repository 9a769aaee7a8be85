// Sinks: the only place trawl formats output.
//
// Every sweep produces trawl::Finding, trawl::ErrorRecord and one
// trawl::Summary; sinks turn them into console text, JSON Lines, and (later)
// CSV, HTML and syslog. A sink is called from one thread at a time: wrap
// several in a FanOut, which serialises calls, so a finding is written whole
// and lines never interleave.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "trawl/core/finding.h"
#include "trawl/core/problem.h"
#include "trawl/core/json.h"
#include "trawl/core/status.h"

namespace trawl::report {

// Whether a sink that records every hit (JSON, CSV, ECS, syslog, HTML) takes
// this finding: all but the per-object aggregates meant for the console.
inline bool EveryHit(const Finding& f) { return f.audience != Finding::Audience::kHuman; }

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void OnFinding(const Finding& f) = 0;
  virtual void OnError(const ErrorRecord& e) = 0;
  // A load problem (skipped indicator, rule file that failed), sent before
  // any finding. Sinks that do not report them ignore it.
  virtual void OnProblem(const Problem&) {}
  // Called once, last.
  virtual void OnSummary(const Summary& s) = 0;
  // Flushes and reports a write failure (disk full, closed pipe).
  virtual Status Close() { return Status::Ok(); }
};

// Serialises calls and forwards them to every sink, in order. Thread-safe.
class FanOut final : public Sink {
 public:
  void Add(std::unique_ptr<Sink> sink) { sinks_.push_back(std::move(sink)); }
  void OnFinding(const Finding& f) override;
  void OnError(const ErrorRecord& e) override;
  void OnProblem(const Problem& p) override;
  void OnSummary(const Summary& s) override;
  Status Close() override;

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<Sink>> sinks_;
};

struct ConsoleOptions {
  bool color = false;
  bool show_errors = true;  // one line per per-object error
};

// Human-readable text. Every untrusted string (paths, descriptions, rule
// metadata) is passed through EscapeControl, so a hostile name cannot move
// the cursor, change colours or rewrite earlier lines.
std::unique_ptr<Sink> MakeConsoleSink(std::FILE* out, ConsoleOptions opts);

// JSON Lines: the contract documented in README.md. `out` is not closed
// unless `own` is true.
std::unique_ptr<Sink> MakeJsonLinesSink(std::FILE* out, bool own);

// JSON helpers (trawl/core/json.h), named here for the sinks and their tests.
using trawl::AppendJsonString;
using trawl::IsValidUtf8;

}  // namespace trawl::report
