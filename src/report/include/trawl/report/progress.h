// Progress on a terminal: files, bytes, rate, elapsed time and the area being
// swept, redrawn in place about four times a second on one line of stderr.
//
// Cheap to call from every worker: OnFile is two relaxed atomic adds and one
// atomic load; the path is copied only when the ticker asked for a fresh one
// (at most once per redraw). The ticker thread owns all output; Stop() clears
// the line so later output starts on a clean line. A disabled Progress (not a
// terminal, --quiet) does nothing at all.
//
// Thread safety: OnFile, SetPhase are safe from any thread; Start and Stop
// from the owning thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "trawl/report/sink.h"

namespace trawl::report {

class Progress {
 public:
  // `out` is written only when `enabled`; `width` bounds the line (0 = ask
  // the terminal, 80 if it cannot tell).
  Progress(std::FILE* out, bool enabled, int width = 0);
  ~Progress();  // Stop()s
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // True when `out` is a terminal and progress is wanted (not quiet).
  static bool Wanted(std::FILE* out, bool quiet);

  void Start();
  // Clears the line and joins the ticker. Idempotent.
  void Stop();

  // One object checked; `bytes` it read (0 for names only).
  void OnFile(std::string_view path, std::uint64_t bytes) {
    files_.fetch_add(1, std::memory_order_relaxed);
    if (bytes) bytes_.fetch_add(bytes, std::memory_order_relaxed);
    if (want_area_.load(std::memory_order_relaxed) && want_area_.exchange(false)) SetArea(path);
  }
  // The sweep under way ("files", "logs"...).
  void SetPhase(std::string_view phase);
  // Erases the status line (it comes back at the next redraw), so text
  // written to the same terminal starts on a clean line. Thread-safe.
  void ClearLine();
  // Runs fn with the status line erased and redraws held off until it returns.
  void Paused(const std::function<void()>& fn);

  std::uint64_t files() const { return files_.load(std::memory_order_relaxed); }
  std::uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

  // The status line for these numbers (exposed for tests).
  static std::string Line(std::uint64_t files, std::uint64_t bytes, double seconds,
                          std::string_view phase, std::string_view area, int width);

 private:
  void SetArea(std::string_view path);
  void ClearLocked();  // REQUIRES: out_mu_ held
  void Run();

  std::FILE* out_;
  bool enabled_;
  int width_;
  std::atomic<std::uint64_t> files_{0}, bytes_{0};
  std::atomic<bool> want_area_{false};
  std::mutex mu_;  // guards area_, phase_, stop_
  std::condition_variable cv_;
  std::string area_, phase_;
  bool stop_ = false;
  std::mutex out_mu_;  // guards writes to out_ and shown_
  bool shown_ = false;
  std::thread ticker_;
  std::chrono::steady_clock::time_point start_;
};

// Wraps a sink that writes to the terminal: the progress line is erased
// before each record, so records never land after it. `progress` must
// outlive the returned sink.
std::unique_ptr<Sink> ClearingProgress(std::unique_ptr<Sink> inner, Progress& progress);

}  // namespace trawl::report
