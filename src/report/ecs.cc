#include "trawl/report/ecs.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "internal.h"
#include "trawl/core/names.h"

namespace trawl::report {
namespace {

using nlohmann::json;

constexpr const char* kEcsVersion = "8.11.0";

std::string Dump(const json& j) {
  // Invalid UTF-8 becomes U+FFFD; the lossless copies are in *_hex fields.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}
bool IsIpv6(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// The host of a URL ("https://a.example:8443/x" -> "a.example"), or "".
std::string UrlHost(const std::string& url) {
  std::size_t p = url.find("://");
  std::size_t start = p == std::string::npos ? 0 : p + 3;
  std::size_t end = url.find_first_of("/?#", start);
  std::string host = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (std::size_t at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  if (!host.empty() && host[0] == '[') {
    std::size_t close = host.find(']');
    return close == std::string::npos ? "" : host.substr(1, close - 1);
  }
  if (std::size_t colon = host.find(':'); colon != std::string::npos) host = host.substr(0, colon);
  return host;
}

bool LooksLikeUrl(const std::string& s) { return s.find("://") != std::string::npos; }

std::string HashField(const std::string& hex) {
  switch (hex.size()) {
    case 32:
      return "md5";
    case 40:
      return "sha1";
    case 64:
      return "sha256";
  }
  return "";
}

const char* Confidence(int score) {
  if (score >= 75) return "High";
  if (score >= 50) return "Medium";
  return "Low";
}

const FieldValue* Extra(const Finding& f, const std::string& key) {
  for (const auto& [k, v] : f.extra)
    if (k == key) return &v;
  return nullptr;
}

// Where a network reason points: the text matched in the log (module log
// records it as `matched`), else the indicator itself.
std::string C2Target(const Finding& f, const Reason& r) {
  const FieldValue* m = Extra(f, "matched");
  std::string target =
      m && std::holds_alternative<std::string>(*m) ? std::get<std::string>(*m) : r.indicator;
  return target.empty() ? r.indicator : target;
}

json IndicatorOf(const Finding& f, const Reason& r, json& matched) {
  json ind;
  ind["description"] = r.description;
  ind["provider"] = r.source;
  ind["confidence"] = Confidence(r.score);
  ind["name"] = r.indicator;
  if (r.kind == trawl::reason::kHash) {
    ind["type"] = "file";
    std::string algo = HashField(r.indicator);
    if (!algo.empty()) {
      ind["file"]["hash"][algo] = r.indicator;
      matched["field"] = "file.hash." + algo;
    }
    matched["atomic"] = r.indicator;
  } else if (r.kind == trawl::reason::kFilename) {
    ind["type"] = "file";
    matched["atomic"] = f.path;
    matched["field"] = "file.path";
  } else if (r.kind == trawl::reason::kYara) {
    ind["type"] = "file";
    matched["atomic"] = r.indicator;
    matched["field"] = "rule.name";
  } else if (r.kind == trawl::reason::kC2) {
    if (LooksLikeUrl(r.indicator)) {
      ind["type"] = "url";
      ind["url"]["original"] = r.indicator;
    } else if (IsIp(r.indicator)) {
      ind["type"] = IsIpv6(r.indicator) ? "ipv6-addr" : "ipv4-addr";
      ind["ip"] = r.indicator;
    } else if (r.indicator.find('/') != std::string::npos) {
      ind["type"] = r.indicator.find(':') != std::string::npos ? "ipv6-addr" : "ipv4-addr";
    } else {
      ind["type"] = "domain-name";
      ind["url"]["domain"] = r.indicator;
    }
    std::string target = C2Target(f, r);
    matched["atomic"] = target;
    matched["field"] = IsIp(target) ? "destination.ip" : "destination.domain";
  } else {
    ind["type"] = "other";
    matched["atomic"] = r.indicator;
  }
  matched["type"] = "indicator_match_rule";
  return ind;
}

void SetHost(json& j, const EcsOptions& o) {
  if (!o.host.empty()) {
    j["host"]["name"] = o.host;
    j["host"]["hostname"] = o.host;
  }
  if (!o.os.empty()) j["host"]["os"]["full"] = o.os;
  j["host"]["os"]["type"] = "linux";
  j["observer"] = {{"vendor", "trawl"}, {"product", "trawl"}, {"type", "scanner"}};
  if (!o.version.empty()) j["observer"]["version"] = o.version;
  j["ecs"]["version"] = kEcsVersion;
}

void SetPath(json& j, const std::string& module, const std::string& path) {
  j["trawl"]["path"] = path;
  if (!IsValidUtf8(path)) j["trawl"]["path_hex"] = internal::HexOf(path);
  if (module == trawl::module::kFile) {
    j["file"]["path"] = path;
    std::size_t slash = path.rfind('/');
    if (slash != std::string::npos) {
      j["file"]["name"] = path.substr(slash + 1);
      j["file"]["directory"] = slash == 0 ? "/" : path.substr(0, slash);
    }
  } else if (module == trawl::module::kLog) {
    j["log"]["file"]["path"] = path;
  }
}

json ExtraValue(const FieldValue& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return std::isfinite(*d) ? json(*d) : json(nullptr);
  if (auto* b = std::get_if<bool>(&v)) return *b;
  return std::get<std::string>(v);
}

class EcsSink final : public Sink {
 public:
  EcsSink(std::FILE* out, bool own, EcsOptions opts)
      : out_(out), own_(own), opts_(std::move(opts)) {}
  ~EcsSink() override {
    if (own_ && out_) std::fclose(out_);
  }

  void OnFinding(const Finding& f) override {
    if (EveryHit(f)) Write(EcsFinding(f, opts_, internal::UtcNowIso()));
  }

  void OnError(const ErrorRecord& e) override {
    json j;
    std::string now = internal::UtcNowIso();
    j["@timestamp"] = now;
    j["message"] = fmt::format("trawl could not check {}: {}", internal::ValidUtf8(e.path),
                               internal::ValidUtf8(e.message));
    j["event"] = {{"kind", "event"},     {"category", {"file"}},           {"type", {"error"}},
                  {"module", e.module},  {"dataset", "trawl." + e.module}, {"created", now},
                  {"outcome", "failure"}};
    j["error"]["message"] = e.message;
    SetHost(j, opts_);
    SetPath(j, e.module, e.path);
    Write(Dump(j));
  }

  void OnProblem(const Problem& p) override {
    json j;
    std::string now = internal::UtcNowIso();
    j["@timestamp"] = now;
    j["message"] = fmt::format("trawl skipped {} ({}): {}", internal::ValidUtf8(p.where),
                               internal::ValidUtf8(p.set), internal::ValidUtf8(p.message));
    j["event"] = {{"kind", "event"},     {"category", {"configuration"}}, {"type", {"error"}},
                  {"module", "problem"}, {"dataset", "trawl.problem"},    {"created", now},
                  {"outcome", "failure"}};
    j["error"]["message"] = internal::ValidUtf8(p.message);
    j["trawl"]["problem"] = {{"set", internal::ValidUtf8(p.set)},
                             {"where", internal::ValidUtf8(p.where)}};
    SetHost(j, opts_);
    Write(Dump(j));
  }

  void OnSummary(const Summary& s) override {
    json j;
    std::string now = internal::UtcNowIso();
    j["@timestamp"] = now;
    j["message"] = fmt::format(
        "trawl scan {}: {} alert(s), {} warning(s), {} notice(s); {} files, {} bytes, {} "
        "error(s)",
        internal::Verdict(s), s.alerts, s.warnings, s.notices, s.files, s.bytes, s.errors);
    j["event"] = {{"kind", "metric"},    {"category", {"host"}},       {"type", {"info"}},
                  {"module", "summary"}, {"dataset", "trawl.summary"}, {"created", now}};
    if (!s.started.empty()) j["event"]["start"] = s.started;
    if (!s.finished.empty()) j["event"]["end"] = s.finished;
    j["event"]["duration"] = static_cast<std::int64_t>(s.seconds * 1e9);  // nanoseconds
    SetHost(j, opts_);
    j["trawl"]["verdict"] = internal::Verdict(s);
    // The summary as JSON Lines writes it; when it cannot be had, say so.
    auto line = internal::SummaryJsonLine(s);
    json summary = line.ok() ? json::parse(*line, nullptr, false) : json(json::value_t::discarded);
    if (!summary.is_discarded())
      j["trawl"]["summary"] = std::move(summary);
    else
      j["error"]["message"] =
          "trawl could not write the JSON Lines summary: " +
          internal::ValidUtf8(line.ok() ? "not valid JSON" : line.status().message());
    Write(Dump(j));
  }

  Status Close() override {
    if (std::fflush(out_) != 0 || failed_) return Status::Error("writing the ECS output failed");
    return Status::Ok();
  }

 private:
  void Write(std::string s) {
    s += '\n';
    if (!internal::WriteRecord(out_, s)) failed_ = true;  // line-atomic, flushed
  }
  std::FILE* out_;
  bool own_;
  EcsOptions opts_;
  bool failed_ = false;
};

}  // namespace

std::string EcsFinding(const Finding& f, const EcsOptions& opts, const std::string& timestamp) {
  json j;
  j["@timestamp"] = timestamp;
  const Reason* top = nullptr;
  for (const Reason& r : f.reasons)
    if (!top || r.score > top->score) top = &r;
  std::string msg = fmt::format("trawl {} (score {}): {}", LevelName(f.level), f.score,
                                internal::ValidUtf8(f.path));
  if (top)
    msg += fmt::format(": {} {} {}", top->kind, internal::ValidUtf8(top->indicator),
                       internal::ValidUtf8(top->description));
  j["message"] = msg;

  json categories = json::array();
  bool has_c2 = false, has_file = false, has_yara = false;
  for (const Reason& r : f.reasons) {
    has_c2 |= r.kind == trawl::reason::kC2;
    has_file |= r.kind == trawl::reason::kHash || r.kind == trawl::reason::kFilename;
    has_yara |= r.kind == trawl::reason::kYara;
  }
  if (f.module == trawl::module::kFile || has_file) categories.push_back("file");
  if (has_yara) categories.push_back("malware");
  if (has_c2) categories.push_back("network");
  categories.push_back("threat");
  j["event"] = {{"kind", "alert"},     {"category", categories},         {"type", {"indicator"}},
                {"module", f.module},  {"dataset", "trawl." + f.module}, {"provider", "trawl"},
                {"severity", f.score}, {"risk_score", f.score},          {"created", timestamp}};
  j["log"]["level"] = LevelName(f.level);
  SetHost(j, opts);
  SetPath(j, f.module, f.path);
  if (f.module == trawl::module::kFile) {
    if (f.size) j["file"]["size"] = *f.size;
    for (const auto& [algo, hex] : f.hashes) j["file"]["hash"][algo] = hex;
  }

  json enrichments = json::array();
  json reasons = json::array();
  for (const Reason& r : f.reasons) {
    json matched;
    json ind = IndicatorOf(f, r, matched);
    enrichments.push_back({{"indicator", ind}, {"matched", matched}});
    if (&r == top) j["threat"]["indicator"] = ind;
    reasons.push_back({{"kind", r.kind},
                       {"indicator", r.indicator},
                       {"description", r.description},
                       {"source", r.source},
                       {"score", r.score}});
    if (r.kind == trawl::reason::kYara && !j.contains("rule")) {
      j["rule"]["name"] = r.indicator;
      j["rule"]["ruleset"] = r.source;
      j["rule"]["description"] = r.description;
    }
    if (r.kind == trawl::reason::kC2 && !j.contains("destination")) {
      std::string target = C2Target(f, r);
      if (LooksLikeUrl(target)) {
        j["url"]["original"] = target;
        target = UrlHost(target);
      }
      if (IsIp(target))
        j["destination"]["ip"] = target;
      else if (!target.empty() && target.find('/') == std::string::npos)
        j["destination"]["domain"] = target;
    }
  }
  j["threat"]["enrichments"] = enrichments;
  j["trawl"]["level"] = LevelName(f.level);
  j["trawl"]["score"] = f.score;
  j["trawl"]["reasons"] = reasons;
  for (const auto& [k, v] : f.extra)
    if (!j["trawl"].contains(k)) j["trawl"][k] = ExtraValue(v);
  return Dump(j);
}

std::unique_ptr<Sink> MakeEcsSink(std::FILE* out, bool own, EcsOptions opts) {
  return std::make_unique<EcsSink>(out, own, std::move(opts));
}

}  // namespace trawl::report
