// The report and forwarding options of `trawl scan` (--html, --csv,
// --json-format, --syslog*, progress) and the sinks they create. Kept out of
// main.cc so that file only calls four functions; included by main.cc only.
//
// Order at the end of a scan (Finish): stop the progress line, let the syslog
// queue drain (bounded), put the syslog counts into the summary, and only
// then hand the summary to the sinks, so the summary message that goes to the
// collector last carries the counts of every message before it.
#pragma once

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "trawl/app/scan.h"
#include "trawl/report/csv.h"
#include "trawl/report/ecs.h"
#include "trawl/report/html.h"
#include "trawl/report/output.h"
#include "trawl/report/progress.h"
#include "trawl/report/sink.h"
#include "trawl/report/syslog.h"

namespace trawl::app {

// "0.x.y": the project version (cli.cc; printed by --version, written into reports).
const char* Version();

struct ReportSetup {
  // Flags.
  std::string html_path, csv_path;
  std::size_t html_max_findings = 10000;  // --html-max-findings (0: no limit)
  std::string json_format = "trawl";  // or "ecs"
  std::string syslog_target, syslog_ca, syslog_format = "rfc5424";
  bool syslog_tls12 = false;
  double syslog_wait = 5.0;  // seconds, the bounded wait at the end
  bool no_progress = false;

  // State.
  std::unique_ptr<report::Progress> progress;
  report::SyslogSink* syslog = nullptr;  // owned by the FanOut
};

inline void AddReportFlags(CLI::App* scan, ReportSetup& r) {
  scan->add_option("--html", r.html_path, "Write a self-contained HTML report to FILE")
      ->type_name("FILE");
  scan->add_option("--html-max-findings", r.html_max_findings,
                   "Findings listed in the HTML report, most severe first (default 10000; the "
                   "rest counted per module and indicator; 0: all)")
      ->type_name("N");
  scan->add_option("--csv", r.csv_path, "Write findings as CSV (RFC 4180) to FILE")
      ->type_name("FILE");
  scan->add_option("--json-format", r.json_format,
                   "Format of --json: trawl (the JSON Lines contract, default) or ecs (Elastic "
                   "Common Schema documents)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"trawl", "ecs"}));
  scan->add_option("--syslog", r.syslog_target,
                   "Forward findings and the summary to a syslog collector: udp://HOST:PORT, "
                   "tcp://HOST:PORT or tls://HOST:PORT")
      ->type_name("URL");
  scan->add_option("--syslog-format", r.syslog_format,
                   "Syslog message format: rfc5424 (default), cef or json")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"rfc5424", "cef", "json"}));
  scan->add_option("--syslog-ca", r.syslog_ca,
                   "CA certificates (PEM) to verify a tls:// collector (default: system store)")
      ->type_name("FILE");
  scan->add_flag("--syslog-tls12", r.syslog_tls12,
                 "Use TLS 1.2 at most (rsyslog's OpenSSL driver stalls on TLS 1.3)");
  scan->add_option("--syslog-wait", r.syslog_wait,
                   "Seconds to wait at the end for queued syslog messages (default 5)");
  scan->add_flag("--no-progress", r.no_progress, "No progress line on a terminal");
}

inline std::string HostName() {
  struct utsname u {};
  return uname(&u) == 0 ? u.nodename : "";
}
inline std::string OsName() {
  struct utsname u {};
  return uname(&u) == 0 ? fmt::format("{} {} {}", u.sysname, u.release, u.machine) : "";
}

// The sink for --json: the JSON Lines contract or ECS documents.
inline std::unique_ptr<report::Sink> MakeJsonSink(const ReportSetup& r, std::FILE* out, bool own) {
  if (r.json_format == "ecs")
    return report::MakeEcsSink(out, own, {HostName(), OsName(), Version()});
  return report::MakeJsonLinesSink(out, own);
}

// The console sink, with the progress line erased before each record.
inline std::unique_ptr<report::Sink> WrapConsole(ReportSetup& r, bool quiet,
                                                 std::unique_ptr<report::Sink> console) {
  bool on = !r.no_progress && report::Progress::Wanted(stderr, quiet);
  r.progress = std::make_unique<report::Progress>(stderr, on);
  if (!on) return console;
  return report::ClearingProgress(std::move(console), *r.progress);
}

// Adds the --html, --csv and --syslog sinks. False (after a message on
// stderr) when a file cannot be created or the syslog options are wrong.
inline bool AddReportSinks(ReportSetup& r, report::FanOut& sinks) {
  auto open = [](const std::string& path) -> std::FILE* {
    auto f = report::OpenOutputFile(path);  // O_NOFOLLOW, never truncates a file not ours
    if (!f.ok()) std::fprintf(stderr, "trawl: %s\n", f.status().message().c_str());
    return f.ok() ? *f : nullptr;
  };
  if (!r.html_path.empty()) {
    std::FILE* f = open(r.html_path);
    if (!f) return false;
    report::HtmlOptions ho;
    ho.max_findings = r.html_max_findings;
    sinks.Add(report::MakeHtmlSink(f, true, ho));
  }
  if (!r.csv_path.empty()) {
    std::FILE* f = open(r.csv_path);
    if (!f) return false;
    sinks.Add(report::MakeCsvSink(f, true));
  }
  if (!r.syslog_target.empty()) {
    report::SyslogOptions o;
    Status st = report::ParseSyslogTarget(r.syslog_target, o);
    if (st.ok()) st = report::ParseSyslogFormat(r.syslog_format, o.format);
    if (!st.ok()) {
      std::fprintf(stderr, "trawl: --syslog: %s\n", st.message().c_str());
      return false;
    }
    o.ca_file = r.syslog_ca;
    o.tls12_only = r.syslog_tls12;
    o.version = Version();
    o.drain_timeout = std::chrono::milliseconds(static_cast<long>(r.syslog_wait * 1000));
    auto sink = report::SyslogSink::Create(o);
    if (!sink.ok()) {
      std::fprintf(stderr, "trawl: --syslog: %s\n", sink.status().message().c_str());
      return false;
    }
    r.syslog = sink->get();
    sinks.Add(std::move(*sink));
  }
  return true;
}

inline report::Progress* StartProgress(ReportSetup& r) {
  if (!r.progress) return nullptr;
  r.progress->SetPhase("scanning");
  r.progress->Start();
  return r.progress.get();
}

// Before the summary goes to the sinks: see the header comment.
inline void FinishReports(ReportSetup& r, Summary& summary) {
  if (r.progress) r.progress->Stop();
  if (!r.syslog) return;
  r.syslog->Drain(std::chrono::milliseconds(static_cast<long>(r.syslog_wait * 1000)));
  report::SyslogStats st = r.syslog->Stats();
  summary.extra.push_back({"syslog_delivered", static_cast<std::int64_t>(st.delivered)});
  summary.extra.push_back({"syslog_dropped", static_cast<std::int64_t>(st.dropped())});
  if (st.truncated)
    summary.extra.push_back({"syslog_truncated", static_cast<std::int64_t>(st.truncated)});
}

// After the sinks closed: the fate of the summary message itself, and any
// loss, on stderr (the exit code stays about the scan).
inline void ReportForwarding(const ReportSetup& r, bool quiet) {
  if (!r.syslog) return;
  report::SyslogStats st = r.syslog->Stats();
  if (st.dropped() || !st.summary_delivered)
    std::fprintf(stderr, "trawl: syslog: %llu message(s) delivered, %llu dropped, summary %s%s%s\n",
                 static_cast<unsigned long long>(st.delivered),
                 static_cast<unsigned long long>(st.dropped()),
                 st.summary_delivered ? "delivered" : "NOT delivered",
                 st.last_error.empty() ? "" : "; last error: ", st.last_error.c_str());
  else if (!quiet)
    std::fprintf(stderr, "trawl: syslog: all %llu message(s) delivered\n",
                 static_cast<unsigned long long>(st.delivered));
}

}  // namespace trawl::app
