// The stop request: how a scan is told to end early (SIGINT/SIGTERM).
//
// One process-wide token. The signal handlers (src/app/signals.cc) call
// Request() -- it only stores to a lock-free atomic, so it is
// async-signal-safe. The walk, the scan workers and the long readers (logs,
// artifact databases) poll stopped() between objects or chunks and return
// early; nothing else changes: every finding already produced still goes to
// the sinks, and the summary says `"interrupted": true`. Polling is a relaxed
// load, cheap enough for every directory entry and every read chunk.
// Reset() exists for tests only.
#pragma once

#include <atomic>
#include <chrono>

namespace trawl {

class StopToken {
 public:
  // Records the first request; later ones keep the first signal number.
  void Request(int signal_number = 0) noexcept {
    int expected = 0;
    requests_.fetch_add(1, std::memory_order_relaxed);
    signal_.compare_exchange_strong(expected, signal_number == 0 ? -1 : signal_number,
                                    std::memory_order_relaxed);
  }
  bool stopped() const noexcept { return signal_.load(std::memory_order_relaxed) != 0; }
  // The signal that asked first (-1 for a request without one), 0 if none.
  int signal() const noexcept { return signal_.load(std::memory_order_relaxed); }
  // How many requests arrived (the second signal ends the process at once).
  int requests() const noexcept { return requests_.load(std::memory_order_relaxed); }
  void Reset() noexcept {
    signal_.store(0, std::memory_order_relaxed);
    requests_.store(0, std::memory_order_relaxed);
  }

 private:
  static_assert(std::atomic<int>::is_always_lock_free, "signal handlers need lock-free atomics");
  std::atomic<int> signal_{0};
  std::atomic<int> requests_{0};
};

// The process's token, set by the signal handlers and polled by every stage.
StopToken& ProcessStop() noexcept;

// Shorthand for the polls: ProcessStop().stopped().
inline bool StopRequested() noexcept { return ProcessStop().stopped(); }

// A time budget for one object (--file-timeout): readers check it where they
// check StopRequested, so a file built to be slow (a log without newlines, a
// history of a billion rows) ends with what was read and says so. The
// default-made Deadline never passes.
class Deadline {
 public:
  Deadline() = default;
  // `seconds` <= 0: never.
  static Deadline After(double seconds) {
    Deadline d;
    if (seconds > 0) {
      d.set_ = true;
      d.at_ = std::chrono::steady_clock::now() +
              std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                  std::chrono::duration<double>(seconds));
    }
    return d;
  }
  bool Passed() const { return set_ && std::chrono::steady_clock::now() >= at_; }

 private:
  bool set_ = false;
  std::chrono::steady_clock::time_point at_{};
};

}  // namespace trawl
