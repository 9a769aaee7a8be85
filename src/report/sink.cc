#include "trawl/report/sink.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "internal.h"
#include "trawl/core/text.h"

namespace trawl::report {

void FanOut::OnFinding(const Finding& f) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : sinks_) s->OnFinding(f);
}
void FanOut::OnError(const ErrorRecord& e) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : sinks_) s->OnError(e);
}
void FanOut::OnProblem(const Problem& p) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : sinks_) s->OnProblem(p);
}
void FanOut::OnSummary(const Summary& sum) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : sinks_) s->OnSummary(sum);
}
Status FanOut::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  Status first;
  for (auto& s : sinks_) {
    Status st = s->Close();
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

namespace {

void AppendKey(std::string& out, std::string_view key) {
  if (out.back() != '{') out += ',';
  AppendJsonString(out, key);
  out += ':';
}

void AppendValue(std::string& out, const FieldValue& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) {
    out += std::to_string(*i);
  } else if (auto* d = std::get_if<double>(&v)) {
    out += std::isfinite(*d) ? fmt::format("{}", *d) : "null";
  } else if (auto* b = std::get_if<bool>(&v)) {
    out += *b ? "true" : "false";
  } else {
    AppendJsonString(out, std::get<std::string>(v));
  }
}

void AppendCounts(std::string& out, const std::map<std::string, std::uint64_t>& m) {
  out += '{';
  for (const auto& [k, n] : m) {
    AppendKey(out, k);
    out += std::to_string(n);
  }
  out += '}';
}

// A string field, plus KEY_hex with the raw bytes when the value is not valid
// UTF-8 (JSON cannot carry the bytes themselves; the hex copy is lossless).
void AppendTextField(std::string& out, std::string_view key, std::string_view value) {
  AppendKey(out, key);
  AppendJsonString(out, value);
  if (!IsValidUtf8(value)) {
    AppendKey(out, std::string(key) + "_hex");
    AppendJsonString(out, HexEncode(value));
  }
}

class JsonLinesSink final : public Sink {
 public:
  JsonLinesSink(std::FILE* out, bool own) : out_(out), own_(own) {}
  ~JsonLinesSink() override {
    if (own_ && out_) std::fclose(out_);
  }

  void OnFinding(const Finding& f) override {
    if (!EveryHit(f)) return;
    std::string s = "{";
    AppendKey(s, "type");
    s += "\"finding\"";
    AppendKey(s, "level");
    AppendJsonString(s, LevelName(f.level));
    AppendKey(s, "score");
    s += std::to_string(f.score);
    AppendKey(s, "module");
    AppendJsonString(s, f.module);
    AppendTextField(s, "path", f.path);
    if (f.size) {
      AppendKey(s, "size");
      s += std::to_string(*f.size);
    }
    if (!f.hashes.empty()) {
      AppendKey(s, "hashes");
      s += '{';
      for (const auto& [k, v] : f.hashes) {
        AppendKey(s, k);
        AppendJsonString(s, v);
      }
      s += '}';
    }
    AppendKey(s, "reasons");
    s += '[';
    for (size_t i = 0; i < f.reasons.size(); ++i) {
      const Reason& r = f.reasons[i];
      if (i) s += ',';
      s += '{';
      AppendKey(s, "kind");
      AppendJsonString(s, r.kind);
      AppendKey(s, "indicator");
      AppendJsonString(s, r.indicator);
      AppendKey(s, "description");
      AppendJsonString(s, r.description);
      AppendKey(s, "source");
      AppendJsonString(s, r.source);
      AppendKey(s, "score");
      s += std::to_string(r.score);
      s += '}';
    }
    s += ']';
    for (const auto& [k, v] : f.extra) {
      if (auto* str = std::get_if<std::string>(&v)) {
        AppendTextField(s, k, *str);
      } else {
        AppendKey(s, k);
        AppendValue(s, v);
      }
    }
    s += "}\n";
    Write(s);
  }

  void OnError(const ErrorRecord& e) override {
    std::string s = "{";
    AppendKey(s, "type");
    s += "\"error\"";
    AppendTextField(s, "path", e.path);
    AppendKey(s, "message");
    AppendJsonString(s, e.message);
    AppendKey(s, "module");
    AppendJsonString(s, e.module);
    s += "}\n";
    Write(s);
  }

  void OnProblem(const Problem& p) override {
    std::string s = "{";
    AppendKey(s, "type");
    s += "\"problem\"";
    AppendKey(s, "set");
    AppendJsonString(s, p.set);
    AppendKey(s, "where");
    AppendJsonString(s, p.where);
    AppendKey(s, "message");
    AppendJsonString(s, p.message);
    s += "}\n";
    Write(s);
  }

  void OnSummary(const Summary& sum) override {
    std::string s = "{";
    AppendKey(s, "type");
    s += "\"summary\"";
    AppendKey(s, "files");
    s += std::to_string(sum.files);
    AppendKey(s, "bytes");
    s += std::to_string(sum.bytes);
    AppendKey(s, "skipped");
    AppendCounts(s, sum.skipped);
    AppendKey(s, "errors");
    s += std::to_string(sum.errors);
    AppendKey(s, "findings");
    s += fmt::format("{{\"alert\":{},\"warning\":{},\"notice\":{}}}", sum.alerts, sum.warnings,
                     sum.notices);
    AppendKey(s, "seconds");
    s += fmt::format("{:.3f}", sum.seconds);
    AppendKey(s, "interrupted");
    s += sum.interrupted ? "true" : "false";
    if (!sum.host.empty()) AppendTextField(s, "host", sum.host);
    if (!sum.os.empty()) AppendTextField(s, "os", sum.os);
    if (!sum.started.empty()) AppendTextField(s, "started", sum.started);
    if (!sum.finished.empty()) AppendTextField(s, "finished", sum.finished);
    if (!sum.paths.empty()) {
      AppendKey(s, "paths");
      s += '[';
      for (size_t i = 0; i < sum.paths.size(); ++i) {
        if (i) s += ',';
        AppendJsonString(s, sum.paths[i]);
      }
      s += ']';
    }
    if (!sum.timeline.empty()) {
      AppendKey(s, "timeline");
      s += '[';
      for (size_t i = 0; i < sum.timeline.size(); ++i) {
        const ContactTimeline& t = sum.timeline[i];
        if (i) s += ',';
        s += '{';
        AppendKey(s, "indicator");
        AppendJsonString(s, t.indicator);
        AppendKey(s, "kind");
        AppendJsonString(s, t.kind);
        AppendKey(s, "first_seen");
        AppendJsonString(s, t.first_seen);
        AppendKey(s, "last_seen");
        AppendJsonString(s, t.last_seen);
        AppendKey(s, "hits");
        s += std::to_string(t.hits);
        AppendKey(s, "files");
        s += std::to_string(t.files);
        s += '}';
      }
      s += ']';
    }
    if (!sum.inventory.empty()) {
      AppendKey(s, "inventory");
      s += '[';
      for (size_t i = 0; i < sum.inventory.size(); ++i) {
        const InstalledProduct& p = sum.inventory[i];
        if (i) s += ',';
        s += '{';
        AppendKey(s, "product");
        AppendJsonString(s, p.product);
        AppendKey(s, "version");
        AppendJsonString(s, p.version);
        AppendKey(s, "platform");
        AppendJsonString(s, p.platform);
        AppendTextField(s, "path", p.path);
        AppendKey(s, "source");
        AppendJsonString(s, p.source);
        AppendKey(s, "affected");
        s += p.affected ? "true" : "false";
        s += '}';
      }
      s += ']';
    }
    AppendKey(s, "indicator_sets");
    s += '[';
    for (size_t i = 0; i < sum.indicator_sets.size(); ++i) {
      const IndicatorSetInfo& set = sum.indicator_sets[i];
      if (i) s += ',';
      s += '{';
      AppendKey(s, "name");
      AppendJsonString(s, set.name);
      if (!set.version.empty()) {
        AppendKey(s, "version");
        AppendJsonString(s, set.version);
      }
      AppendKey(s, "loaded");
      AppendCounts(s, set.loaded);
      AppendKey(s, "skipped");
      AppendCounts(s, set.skipped);
      s += '}';
    }
    s += ']';
    for (const auto& [k, v] : sum.extra) {
      AppendKey(s, k);
      AppendValue(s, v);
    }
    s += "}\n";
    Write(s);
  }

  Status Close() override {
    if (std::fflush(out_) != 0 || failed_) return Status::Error("writing JSON output failed");
    return Status::Ok();
  }

 private:
  // One record per call, flushed (internal::WriteRecord): line-atomic.
  void Write(const std::string& s) {
    if (!internal::WriteRecord(out_, s)) failed_ = true;
  }
  std::FILE* out_;
  bool own_;
  bool failed_ = false;
};

class ConsoleSink final : public Sink {
 public:
  ConsoleSink(std::FILE* out, ConsoleOptions opts) : out_(out), opts_(opts) {}

  void OnFinding(const Finding& f) override {
    if (f.audience == Finding::Audience::kMachine) return;
    std::string s =
        fmt::format("{} {} score={} {}\n", Tag(f.level), f.module, f.score, EscapeControl(f.path));
    for (const auto& [k, v] : f.extra) {
      if (k == "excerpt") continue;  // printed last, it is the longest
      s += fmt::format("      {}: {}\n", k, Plain(v));
    }
    for (const Reason& r : f.reasons) {
      s += fmt::format("    - {} {} (score {}): {}\n      source: {}\n", r.kind,
                       EscapeControl(r.indicator), r.score, EscapeControl(r.description),
                       EscapeControl(r.source));
    }
    for (const auto& [k, v] : f.extra)
      if (k == "excerpt") s += fmt::format("      excerpt: {}\n", Plain(v));
    std::fputs(s.c_str(), out_);
  }

  void OnError(const ErrorRecord& e) override {
    if (!opts_.show_errors) return;
    std::fputs(fmt::format("{} {}: {}\n", Paint("ERROR  ", "\x1b[35m"), EscapeControl(e.path),
                           EscapeControl(e.message))
                   .c_str(),
               out_);
  }

  void OnSummary(const Summary& s) override {
    std::string skipped;
    for (const auto& [k, n] : s.skipped) skipped += fmt::format(" {}={}", k, n);
    std::string out = fmt::format(
        "\nSummary: {} alert(s), {} warning(s), {} notice(s); {} files, {} bytes read in "
        "{:.1f}s; {} error(s)\n",
        s.alerts, s.warnings, s.notices, s.files, s.bytes, s.seconds, s.errors);
    if (!skipped.empty()) out += fmt::format("Skipped:{}\n", skipped);
    // Counters of sweeps that found nothing to read stay out of the way (JSON keeps them).
    for (const auto& [k, v] : s.extra) {
      if (auto* n = std::get_if<std::int64_t>(&v); n && *n == 0) continue;
      out += fmt::format("{}: {}\n", k, Plain(v));
    }
    std::string verdict =
        s.alerts      ? Paint("COMPROMISED? alerts found: investigate now", "\x1b[1;31m")
        : s.warnings  ? Paint("SUSPICIOUS: review the warnings", "\x1b[1;33m")
        : s.interrupted ? Paint("INCOMPLETE: interrupted before the scan finished; nothing at "
                                "warning level or above so far", "\x1b[1;33m")
                        : Paint("No finding at warning level or above", "\x1b[32m");
    if (s.interrupted && (s.alerts || s.warnings))
      verdict += "\n" + Paint("INTERRUPTED: the scan did not finish; counts cover what it reached",
                              "\x1b[1;33m");
    out += verdict + "\n";
    std::fputs(out.c_str(), out_);
  }

  Status Close() override {
    std::fflush(out_);
    return Status::Ok();
  }

 private:
  static std::string Plain(const FieldValue& v) {
    if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
    if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    return EscapeControl(std::get<std::string>(v));
  }
  std::string Paint(std::string_view text, const char* sgr) const {
    if (!opts_.color) return std::string(text);
    return fmt::format("{}{}\x1b[0m", sgr, text);
  }
  std::string Tag(Level l) const {
    switch (l) {
      case Level::kAlert:
        return Paint("[ALERT]  ", "\x1b[1;31m");
      case Level::kWarning:
        return Paint("[WARNING]", "\x1b[1;33m");
      case Level::kNotice:
        return Paint("[NOTICE] ", "\x1b[36m");
      case Level::kNone:
        break;
    }
    return "[INFO]   ";
  }

  std::FILE* out_;
  ConsoleOptions opts_;
};

}  // namespace

std::unique_ptr<Sink> MakeConsoleSink(std::FILE* out, ConsoleOptions opts) {
  return std::make_unique<ConsoleSink>(out, opts);
}

std::unique_ptr<Sink> MakeJsonLinesSink(std::FILE* out, bool own) {
  return std::make_unique<JsonLinesSink>(out, own);
}

}  // namespace trawl::report
