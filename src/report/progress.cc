#include "trawl/report/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"
#include "trawl/core/text.h"

namespace trawl::report {

namespace {

std::string Bytes(double v) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", v) : fmt::format("{:.1f} {}", v, kUnits[u]);
}

// Cuts an escaped UTF-8 string to at most `cols` characters, keeping its end
// (the deepest folder is the informative part).
std::string KeepTail(const std::string& s, std::size_t cols) {
  std::size_t count = 0;
  for (unsigned char c : s) count += (c & 0xC0) != 0x80;
  if (count <= cols) return s;
  if (cols <= 3) return std::string(cols, '.');
  std::size_t drop = count - (cols - 3), i = 0;
  for (std::size_t seen = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == drop) break;
      ++seen;
    }
  }
  return "..." + s.substr(i);
}

}  // namespace

Progress::Progress(std::FILE* out, bool enabled, int width)
    : out_(out), enabled_(enabled), width_(width) {
  if (enabled_ && width_ <= 0) {
    struct winsize ws {};
    width_ = ioctl(fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
  }
}

Progress::~Progress() { Stop(); }

bool Progress::Wanted(std::FILE* out, bool quiet) { return !quiet && isatty(fileno(out)); }

void Progress::Start() {
  if (!enabled_ || ticker_.joinable()) return;
  start_ = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  ticker_ = std::thread([this] { Run(); });
}

void Progress::Stop() {
  if (!ticker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  ticker_.join();
  ClearLine();
}

void Progress::ClearLine() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(out_mu_);
  ClearLocked();
}

void Progress::ClearLocked() {
  if (!shown_) return;
  std::fputs("\r\x1b[2K", out_);
  std::fflush(out_);
  shown_ = false;
}

void Progress::Paused(const std::function<void()>& fn) {
  if (!enabled_) {
    fn();
    return;
  }
  std::lock_guard<std::mutex> lock(out_mu_);
  ClearLocked();
  fn();
}

void Progress::SetPhase(std::string_view phase) {
  std::lock_guard<std::mutex> lock(mu_);
  phase_ = phase;
}

void Progress::SetArea(std::string_view path) {
  // The folder of the object, as a terminal-safe string.
  std::size_t slash = path.rfind('/');
  std::string_view dir = slash == std::string_view::npos ? path
                         : slash == 0                    ? path.substr(0, 1)
                                                         : path.substr(0, slash);
  std::string escaped = EscapeControl(dir);
  std::lock_guard<std::mutex> lock(mu_);
  area_ = std::move(escaped);
}

std::string Progress::Line(std::uint64_t files, std::uint64_t bytes, double seconds,
                           std::string_view phase, std::string_view area, int width) {
  double rate = seconds > 0 ? static_cast<double>(bytes) / seconds : 0;
  auto secs = static_cast<std::uint64_t>(seconds);
  std::string line =
      fmt::format("{}{}{} files, {}, {}/s, {:02}:{:02}:{:02}", phase.empty() ? "" : phase,
                  phase.empty() ? "" : ": ", files, Bytes(static_cast<double>(bytes)), Bytes(rate),
                  secs / 3600, (secs / 60) % 60, secs % 60);
  if (!area.empty()) {
    std::size_t used = line.size() + 3;
    if (width > 0 && static_cast<std::size_t>(width) > used + 8)
      line += "  " + KeepTail(std::string(area), static_cast<std::size_t>(width) - used);
  }
  return line;
}

void Progress::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; });
    if (stop_) break;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string line = Line(files(), bytes(), secs, phase_, area_, width_);
    want_area_.store(true, std::memory_order_relaxed);
    lock.unlock();
    {
      std::lock_guard<std::mutex> out_lock(out_mu_);
      std::fputs(("\r\x1b[2K" + line).c_str(), out_);
      std::fflush(out_);
      shown_ = true;
    }
    lock.lock();
  }
}

namespace {

class ClearingSink final : public Sink {
 public:
  ClearingSink(std::unique_ptr<Sink> inner, Progress& p) : inner_(std::move(inner)), p_(p) {}
  void OnFinding(const Finding& f) override {
    p_.Paused([&] { inner_->OnFinding(f); });
  }
  void OnError(const ErrorRecord& e) override {
    p_.Paused([&] { inner_->OnError(e); });
  }
  void OnSummary(const Summary& s) override {
    p_.Paused([&] { inner_->OnSummary(s); });
  }
  Status Close() override { return inner_->Close(); }

 private:
  std::unique_ptr<Sink> inner_;
  Progress& p_;
};

}  // namespace

std::unique_ptr<Sink> ClearingProgress(std::unique_ptr<Sink> inner, Progress& progress) {
  return std::make_unique<ClearingSink>(std::move(inner), progress);
}

}  // namespace trawl::report
