// Forwarding findings to a syslog collector (a SIEM's front door).
//
// One message per finding, one per load problem (an indicator entry or rule
// skipped: msgid "problem", severity warning) and one for the summary, in one
// of three formats:
//   rfc5424  RFC 5424 with structured data: [trawl@32473 ...] carries level,
//            score, module, path, hashes and every reason (r0_kind,
//            r0_indicator, r0_description, r0_source, r0_score, r1_...),
//            module fields as x_NAME; [meta sequenceId="N"] numbers the
//            messages so a collector can spot gaps. MSG is a one-line human
//            text (control characters escaped). 32473 is the example private
//            enterprise number of RFC 5612.
//   cef      ArcSight CEF in the MSG of an RFC 5424 message.
//   json     the JSON Lines record (README "JSON Lines contract") as MSG.
// Transports: UDP (RFC 5426; one datagram a message, messages longer than
// udp_max_bytes are cut at a UTF-8 boundary and end with "...[truncated]",
// counted), TCP (RFC 6587 octet counting: "LEN SP MSG") and TLS (RFC 5425
// framing, OpenSSL, the server's certificate verified against ca_file or the
// system store, and its name or IP address checked against the host).
//
// Never blocks the scan: OnFinding formats the message and puts it in a
// bounded queue (when full, the new message is dropped and counted); one
// background thread connects, sends, detects a closed connection before each
// write, reconnects with backoff (100 ms doubling to 1 s) and resends the
// message that failed, so a collector restarted during the scan loses
// nothing it could have kept. At the end, Drain waits a bounded time; what is
// still queued then is dropped and counted.
//
// Counting: `delivered` means written completely to the collector's socket
// (TCP/TLS: accepted by the kernel on a connection not seen closed; UDP: sent
// as a datagram; neither transport confirms that the collector stored it).
// The summary message cannot count itself: main drains the queue, adds the
// counts of the messages before the summary to Summary::extra
// (syslog_delivered, syslog_dropped, ...), then sends the summary; whether the
// summary itself went out is in Stats().summary_delivered after Close.
//
// Thread safety: the Sink calls come from one thread at a time (FanOut);
// Stats() and Drain() may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "trawl/core/status.h"
#include "trawl/report/sink.h"

namespace trawl::report {

enum class SyslogTransport { kUdp, kTcp, kTls };
enum class SyslogFormat { kRfc5424, kCef, kJson };

struct SyslogOptions {
  SyslogTransport transport = SyslogTransport::kUdp;
  std::string host;
  int port = 514;
  SyslogFormat format = SyslogFormat::kRfc5424;
  std::string ca_file;  // TLS: CA certificates (PEM); empty = the system store
  // TLS 1.2 at most. rsyslog's OpenSSL driver (lmnsd_ossl, 8.2302 in Debian
  // 12) stalls on TLS 1.3 sessions and drops what it had not read when the
  // connection closes; its GnuTLS driver works with 1.3.
  bool tls12_only = false;
  std::string hostname;  // the HOSTNAME field; empty = this machine's name
  std::string app_name = "trawl";
  std::string version;  // trawl's version, for CEF
  int facility = 13;    // log audit
  std::size_t queue_capacity = 10000;
  std::size_t udp_max_bytes = 8192;
  std::chrono::milliseconds drain_timeout{5000};    // bounded wait at the end
  std::chrono::milliseconds connect_timeout{2000};  // per attempt
  std::chrono::milliseconds io_timeout{2000};       // per write
};

// Parses "udp://HOST:PORT", "tcp://HOST:PORT", "tls://HOST:PORT" (IPv6 as
// [ADDR]:PORT; the port defaults to 514, or 6514 for tls) into `opts`.
Status ParseSyslogTarget(std::string_view url, SyslogOptions& opts);
// "rfc5424", "cef", "json".
Status ParseSyslogFormat(std::string_view name, SyslogFormat& format);

struct SyslogStats {
  std::uint64_t queued = 0;               // messages accepted into the queue
  std::uint64_t delivered = 0;            // written completely (see the header comment)
  std::uint64_t dropped_full = 0;         // queue full when the message came
  std::uint64_t dropped_undelivered = 0;  // still queued when the wait ran out
  std::uint64_t refused = 0;              // UDP: datagrams the collector's host refused (lost)
  std::uint64_t truncated = 0;            // UDP messages cut to udp_max_bytes
  std::uint64_t reconnects = 0;           // connections (re)established after the first
  std::uint64_t failures = 0;             // failed connects and writes
  std::uint64_t pending = 0;              // queued and not yet sent
  bool summary_delivered = false;
  std::string last_error;  // the latest connect/write problem, if any
  std::uint64_t dropped() const { return dropped_full + dropped_undelivered + refused; }
};

// The messages as sent (without framing), exposed for tests.
// `seq` is the meta sequenceId; `timestamp` RFC 3339 UTC.
std::string FormatSyslogFinding(const Finding& f, const SyslogOptions& opts,
                                std::string_view timestamp, std::uint64_t seq);
std::string FormatSyslogSummary(const Summary& s, const SyslogOptions& opts,
                                std::string_view timestamp, std::uint64_t seq);
std::string FormatSyslogProblem(const Problem& p, const SyslogOptions& opts,
                                std::string_view timestamp, std::uint64_t seq);

class SyslogSink final : public Sink {
 public:
  // Sets up the transport (TLS context and CA store: a bad CA file fails
  // here) and starts the sender thread. Does not wait for a connection.
  static Result<std::unique_ptr<SyslogSink>> Create(SyslogOptions opts);
  ~SyslogSink() override;  // Close()s

  void OnFinding(const Finding& f) override;
  // Error records are not forwarded (they are counted in the summary).
  void OnError(const ErrorRecord&) override {}
  // Load problems are forwarded (queued as findings are).
  void OnProblem(const Problem& p) override;
  // Queues the summary message (never dropped for lack of room).
  void OnSummary(const Summary& s) override;
  // Waits (bounded) for the queue to empty, then stops the sender. Returns an
  // error when the summary message could not be delivered.
  Status Close() override;

  // Waits until every queued message was sent or `timeout` passed; then
  // drops (and counts) what is still queued. True when the queue emptied in
  // time.
  bool Drain(std::chrono::milliseconds timeout);
  SyslogStats Stats() const;

  struct State;  // shared with the sender thread

 private:
  explicit SyslogSink(std::shared_ptr<State> state);
  void Queue(std::string msg);  // a finding's or problem's message (dropped when full)
  std::shared_ptr<State> state_;
  bool closed_ = false;
};

}  // namespace trawl::report
