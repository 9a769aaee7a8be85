#include "trawl/report/html.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "internal.h"
#include "trawl/core/text.h"

namespace trawl::report {
namespace {

// The page's only style and script. They are constants: no scan data is ever
// placed in them, so their hashes in the CSP are fixed.
constexpr std::string_view kStyle = R"CSS(
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dee7;--bg:#f5f7fa;--card:#fff;
--alert:#b3261e;--warning:#b45f06;--notice:#1f6fb2;--clean:#1e7d34}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1280px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:26px;margin:0 0 6px}h2{font-size:18px;margin:26px 0 10px}h3{font-size:15px;margin:18px 0 8px}
.verdict{color:#fff;padding:20px 24px;border-radius:8px;margin-top:8px}
.verdict p{margin:4px 0}.verdict ol{margin:10px 0 0;padding-left:22px}.verdict li{margin:3px 0}
.v-compromised{background:var(--alert)}.v-suspicious{background:var(--warning)}.v-clean{background:var(--clean)}.v-incomplete{background:var(--warning)}
.counts{display:flex;gap:10px;flex-wrap:wrap;margin-top:12px}
.counts span{background:rgba(255,255,255,.18);padding:3px 10px;border-radius:12px;font-weight:600}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:6px}
th,td{text-align:left;vertical-align:top;padding:6px 9px;border-bottom:1px solid var(--line)}
th{background:#eef1f6;font-weight:600;white-space:nowrap}
table.facts th{width:170px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:14px;align-items:start}
details{margin-top:10px}details>summary{cursor:pointer;color:var(--muted)}
th.sort{cursor:pointer;user-select:none}th.sort::after{content:" \2195";color:var(--muted)}
th.asc::after{content:" \2191";color:var(--fg)}th.desc::after{content:" \2193";color:var(--fg)}
code,pre,.path{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
.path{word-break:break-all;font-weight:600}
.meta{color:var(--muted);font-size:12px;margin-top:3px;word-break:break-all}
pre.excerpt{white-space:pre-wrap;word-break:break-all;background:#f0f2f6;padding:5px 7px;margin:5px 0 0;border-radius:4px}
.lvl{display:inline-block;min-width:70px;text-align:center;color:#fff;font-weight:700;border-radius:4px;padding:1px 6px;font-size:12px}
.l3{background:var(--alert)}.l2{background:var(--warning)}.l1{background:var(--notice)}.l0{background:var(--muted)}
ul.reasons{margin:0;padding-left:16px}ul.reasons li{margin:0 0 6px}
.kind{font-weight:700;text-transform:uppercase;font-size:11px;color:var(--muted)}
.ind{word-break:break-all}.desc{margin-top:1px}.src{color:var(--muted);font-size:12px;word-break:break-all}
.esc{color:#a0206b;background:#fbe9f3;border-radius:3px;padding:0 1px}
.controls{display:flex;gap:14px;align-items:center;flex-wrap:wrap;margin:0 0 10px;padding:8px 10px;background:var(--card);border:1px solid var(--line);border-radius:6px}
.controls input[type=search]{padding:4px 6px;min-width:240px}
.note{color:var(--muted)}
.bar{height:10px;background:var(--alert);border-radius:5px;min-width:4px}
.track{background:#eef1f6;border-radius:5px;width:100%}
footer{margin-top:30px;color:var(--muted);font-size:12px}
)CSS";

constexpr std::string_view kScript = R"JS(
(function(){
"use strict";
var table=document.getElementById("findings-table");
if(table){
var body=table.tBodies[0];
var rows=Array.prototype.slice.call(body.rows);
rows.forEach(function(r,i){r.dataset.order=String(i);});
var controls=document.getElementById("controls");
controls.hidden=false;
var levelBoxes=controls.querySelectorAll("input[data-level]");
var moduleSel=document.getElementById("filter-module");
var query=document.getElementById("filter-text");
var shown=document.getElementById("shown");
var apply=function(){
var levels={};
levelBoxes.forEach(function(c){levels[c.dataset.level]=c.checked;});
var m=moduleSel.value,q=query.value.toLowerCase(),n=0;
rows.forEach(function(r){
var ok=levels[r.dataset.level]===true&&(m===""||r.dataset.module===m)&&
(q===""||r.textContent.toLowerCase().indexOf(q)>=0);
r.hidden=!ok;if(ok){n++;}});
shown.textContent=n+" of "+rows.length+" shown";};
levelBoxes.forEach(function(c){c.addEventListener("change",apply);});
moduleSel.addEventListener("change",apply);
query.addEventListener("input",apply);
var heads=table.tHead.querySelectorAll("th[data-sort]");
heads.forEach(function(th){th.classList.add("sort");th.tabIndex=0;
var sort=function(){
var key=th.dataset.sort,desc=!th.classList.contains("desc");
heads.forEach(function(h){h.classList.remove("asc","desc");});
th.classList.add(desc?"desc":"asc");
var val=function(r){
if(key==="level"||key==="score"){return Number(r.dataset[key]);}
if(key==="path"){return r.querySelector(".path").textContent;}
return r.dataset[key]||"";};
rows.sort(function(a,b){
var x=val(a),y=val(b),c=0;
if(typeof x==="number"){c=x-y;}else{c=x<y?-1:x>y?1:0;}
if(desc){c=-c;}
return c!==0?c:Number(a.dataset.order)-Number(b.dataset.order);});
rows.forEach(function(r){body.appendChild(r);});};
th.addEventListener("click",sort);
th.addEventListener("keydown",function(e){if(e.key==="Enter"){sort();}});});
apply();}
document.querySelectorAll(".bar[data-from]").forEach(function(b){
var from=Number(b.dataset.from),to=Number(b.dataset.to);
b.style.marginLeft=from+"%";b.style.width=Math.max(to-from,0.5)+"%";});
document.body.dataset.script="ran";
})();
)JS";

std::string Sha256Base64(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), md, static_cast<int>(len));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// Code points shown escaped although valid: one list, in trawl/core/text.h.
bool IsDeceptive(std::uint32_t cp) { return IsDeceptiveCodePoint(cp); }

std::uint32_t DecodeCp(std::string_view s, std::size_t i, std::size_t n) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (n == 1) return b(0);
  std::uint32_t cp = n == 2 ? (b(0) & 0x1F) : n == 3 ? (b(0) & 0x0F) : (b(0) & 0x07);
  for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (b(k) & 0x3F);
  return cp;
}

std::string HumanBytes(std::uint64_t n) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, kUnits[u]);
}

std::string Duration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f} s", seconds);
  auto total = static_cast<std::uint64_t>(seconds);
  if (total < 3600) return fmt::format("{} min {} s", total / 60, total % 60);
  return fmt::format("{} h {} min {} s", total / 3600, (total / 60) % 60, total % 60);
}

std::string Counts(const std::map<std::string, std::uint64_t>& m) {
  std::string s;
  for (const auto& [k, n] : m) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n, HtmlText(k));
  return s.empty() ? "none" : s;
}

// "2024-05-01T10:00:00Z" or with fraction -> seconds since the epoch.
std::optional<double> ParseIso(const std::string& s) {
  std::tm tm{};
  int y, mo, d, h, mi;
  double sec;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf", &y, &mo, &d, &h, &mi, &sec) != 6)
    return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<double>(timegm(&tm)) + sec;
}

const char* LevelLabel(Level l) {
  switch (l) {
    case Level::kAlert:
      return "ALERT";
    case Level::kWarning:
      return "WARNING";
    case Level::kNotice:
      return "NOTICE";
    case Level::kNone:
      break;
  }
  return "INFO";
}

class HtmlSink final : public Sink {
 public:
  HtmlSink(std::FILE* out, bool own, HtmlOptions opts) : out_(out), own_(own), opts_(opts) {}
  ~HtmlSink() override {
    if (own_ && out_) std::fclose(out_);
  }

  void OnFinding(const Finding& f) override {
    if (!EveryHit(f)) return;
    ++findings_seen_;
    if (opts_.max_findings == 0 || findings_.size() < opts_.max_findings) {
      findings_.push_back(f);
      if (opts_.max_findings != 0 && findings_.size() == opts_.max_findings)
        std::make_heap(findings_.begin(), findings_.end(), MoreSevere);
      return;
    }
    // Full: the least severe of the kept and the new one is summarised.
    if (MoreSevere(f, findings_.front())) {
      std::pop_heap(findings_.begin(), findings_.end(), MoreSevere);
      Count(findings_.back());
      findings_.back() = f;
      std::push_heap(findings_.begin(), findings_.end(), MoreSevere);
      return;
    }
    Count(f);
  }

  void OnError(const ErrorRecord& e) override {
    ++errors_seen_;
    if (errors_.size() < opts_.max_errors) errors_.push_back(e);
  }

  void OnProblem(const Problem& p) override {
    ++problems_seen_;
    if (problems_.size() < opts_.max_errors) problems_.push_back(p);
  }

  void OnSummary(const Summary& s) override {
    std::string doc = Render(s);
    if (std::fwrite(doc.data(), 1, doc.size(), out_) != doc.size()) failed_ = true;
    written_ = true;
  }

  Status Close() override {
    if (!written_) return Status::Error("HTML report: no summary, report not written");
    if (std::fflush(out_) != 0 || failed_) return Status::Error("writing the HTML report failed");
    return Status::Ok();
  }

 private:
  std::string Render(const Summary& s) {
    std::string verdict = internal::Verdict(s);
    std::string h;
    h.reserve(64 * 1024 + findings_.size() * 1024);
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<meta http-equiv=\"Content-Security-Policy\" content=\"" + HtmlContentSecurityPolicy() +
         "\">\n";
    h += "<meta name=\"referrer\" content=\"no-referrer\">\n";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    h += fmt::format("<title>trawl report: {}: {}</title>\n",
                     s.host.empty() ? "unknown host" : HtmlText(s.host), verdict);
    h += "<style>";
    h += kStyle;
    h += "</style>\n</head>\n<body>\n<main>\n";
    RenderVerdict(h, s, verdict);
    RenderFacts(h, s);
    RenderFindings(h);
    RenderTimeline(h, s);
    RenderErrors(h, s);
    RenderProblems(h);
    h += fmt::format(
        "<footer>Report written by trawl at {}. Every value from the scanned host "
        "is shown as text; escapes such as <span class=\"esc\">\\n</span> mark "
        "control characters and bytes that are not UTF-8.</footer>\n",
        internal::UtcNowIso());
    h += "</main>\n<script>";
    h += kScript;
    h += "</script>\n</body>\n</html>\n";
    return h;
  }

  void RenderVerdict(std::string& h, const Summary& s, const std::string& verdict) {
    h += fmt::format("<section class=\"verdict v-{}\" id=\"verdict\">\n", verdict);
    std::string host = s.host.empty() ? "this host" : HtmlText(s.host);
    if (verdict == "compromised") {
      h += fmt::format("<h1>Compromised: {} alert{} on {}</h1>\n", s.alerts,
                       s.alerts == 1 ? "" : "s", host);
      h += "<p>Indicators of compromise were found. Act now, in this order:</p>\n<ol>\n"
           "<li><strong>Isolate the host from every network</strong> (cable, Wi-Fi, VPN, "
           "mobile). Do not shut it down or reinstall it: memory and running processes are "
           "evidence.</li>\n"
           "<li><strong>Preserve evidence</strong>: keep this report and trawl's JSON output; "
           "image memory and disks before anything is changed; do not delete, move or open the "
           "files listed below.</li>\n"
           "<li><strong>Bring in incident response</strong> (your IR team or retainer). Treat "
           "every credential used on this host as exposed and check the hosts it talked "
           "to.</li>\n</ol>\n";
    } else if (verdict == "suspicious") {
      h += fmt::format("<h1>Suspicious: {} warning{} on {}</h1>\n", s.warnings,
                       s.warnings == 1 ? "" : "s", host);
      h += "<p>Findings need a closer look. Review each warning below with its reasons; if "
           "any is confirmed, treat the host as compromised: isolate it from every network, "
           "preserve evidence and bring in incident response.</p>\n";
    } else if (verdict == "incomplete") {
      h += fmt::format("<h1>Incomplete: the scan of {} was interrupted</h1>\n", host);
      h += "<p>The scan was stopped (SIGINT/SIGTERM) before it finished. Nothing at warning "
           "level or above was found in what it reached, which does not make the host clean: "
           "run the scan again to the end.</p>\n";
    } else {
      h += fmt::format("<h1>Clean: nothing at warning level or above on {}</h1>\n", host);
      h += "<p>No loaded indicator matched at warning level or above. This covers only what "
           "the indicator sets below describe and the paths listed.</p>\n";
    }
    if (s.interrupted && verdict != "incomplete")
      h += "<p><strong>The scan was interrupted</strong> before it finished: the findings "
           "and counts cover only what it reached.</p>\n";
    if (s.errors)
      h += fmt::format("<p>{} object{} could not be checked (see Errors).</p>\n", s.errors,
                       s.errors == 1 ? "" : "s");
    h += fmt::format(
        "<div class=\"counts\"><span>{} alert{}</span><span>{} warning{}</span><span>{} "
        "notice{}</span><span>{} error{}</span></div>\n</section>\n",
        s.alerts, s.alerts == 1 ? "" : "s", s.warnings, s.warnings == 1 ? "" : "s", s.notices,
        s.notices == 1 ? "" : "s", s.errors, s.errors == 1 ? "" : "s");
  }

  void RenderFacts(std::string& h, const Summary& s) {
    h += "<section id=\"facts\">\n<h2>Scan</h2>\n<div class=\"grid\">\n<table class=\"facts\">\n";
    auto row = [&](std::string_view k, const std::string& v) {
      h += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", k, v);
    };
    row("Host", s.host.empty() ? "unknown" : HtmlText(s.host));
    row("Operating system", s.os.empty() ? "unknown" : HtmlText(s.os));
    std::string paths;
    for (const std::string& p : s.paths)
      paths += fmt::format("{}<code>{}</code>", paths.empty() ? "" : "<br>", HtmlText(p));
    row("Paths", paths.empty() ? "none recorded" : paths);
    row("Started", s.started.empty() ? "unknown" : HtmlText(s.started));
    row("Finished", s.finished.empty() ? "unknown" : HtmlText(s.finished));
    row("Duration", Duration(s.seconds));
    if (s.interrupted) row("Interrupted", "yes: stopped before the end (SIGINT/SIGTERM)");
    h += "</table>\n<table class=\"facts\">\n";
    row("Files checked", fmt::format("{}", s.files));
    row("Bytes read", fmt::format("{} ({} bytes)", HumanBytes(s.bytes), s.bytes));
    for (const auto& [k, v] : s.extra)  // records read by the other sweeps
      if (k == "log_lines" || k == "evtx_records" || k == "journal_entries")
        row(HtmlText(k), HtmlText(internal::PlainValue(v)));
    row("Skipped", Counts(s.skipped));
    row("Errors", fmt::format("{}", s.errors));
    row("Findings",
        fmt::format("{} alert(s), {} warning(s), {} notice(s)", s.alerts, s.warnings, s.notices));
    h += "</table>\n</div>\n";
    if (!s.extra.empty()) {
      h += fmt::format("<details><summary>All counters ({})</summary>\n<table class=\"facts\">\n",
                       s.extra.size());
      for (const auto& [k, v] : s.extra) row(HtmlText(k), HtmlText(internal::PlainValue(v)));
      h += "</table></details>\n";
    }
    h += "<h3>Indicator sets</h3>\n";
    if (s.indicator_sets.empty()) {
      h += "<p class=\"note\">None recorded.</p>\n";
    } else {
      h += "<table id=\"sets\"><thead><tr><th>Set</th><th>Version</th><th>Loaded</th>"
           "<th>Skipped</th></tr></thead><tbody>\n";
      for (const IndicatorSetInfo& set : s.indicator_sets)
        h += fmt::format("<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                         HtmlText(set.name), set.version.empty() ? "-" : HtmlText(set.version),
                         Counts(set.loaded), Counts(set.skipped));
      h += "</tbody></table>\n";
    }
    h += "</section>\n";
  }

  void RenderFindings(std::string& h) {
    h += fmt::format("<section id=\"findings\">\n<h2>Findings ({})</h2>\n", findings_seen_);
    if (findings_seen_ > findings_.size()) RenderUnlisted(h);
    if (findings_.empty()) {
      h += "<p class=\"note\">No findings.</p>\n</section>\n";
      return;
    }
    // Highest level first, then score, then path: the page reads well without script.
    std::vector<const Finding*> order;
    for (const Finding& f : findings_) order.push_back(&f);
    std::stable_sort(order.begin(), order.end(), [](const Finding* a, const Finding* b) {
      if (a->level != b->level) return a->level > b->level;
      if (a->score != b->score) return a->score > b->score;
      return a->path < b->path;
    });
    std::set<std::string> modules;
    for (const Finding& f : findings_) modules.insert(f.module);

    h += "<div class=\"controls\" id=\"controls\" hidden>\n<span>Level:</span>\n";
    for (int l = 3; l >= 1; --l)
      h += fmt::format("<label><input type=\"checkbox\" data-level=\"{}\" checked> {}</label>\n", l,
                       LevelLabel(static_cast<Level>(l)));
    h += "<label>Module: <select id=\"filter-module\"><option value=\"\">all</option>";
    for (const std::string& m : modules)
      h += fmt::format("<option value=\"{}\">{}</option>", HtmlAttr(m), HtmlText(m));
    h += "</select></label>\n<input type=\"search\" id=\"filter-text\" "
         "placeholder=\"Filter: path, indicator, description\">\n"
         "<span id=\"shown\" class=\"note\"></span>\n</div>\n";
    h += "<table id=\"findings-table\"><thead><tr><th data-sort=\"level\">Level</th>"
         "<th data-sort=\"score\">Score</th><th data-sort=\"module\">Module</th>"
         "<th data-sort=\"path\">Object</th><th>Reasons (indicator, source)</th></tr></thead>\n"
         "<tbody>\n";
    for (const Finding* f : order) RenderFinding(h, *f);
    h += "</tbody></table>\n</section>\n";
  }

  // What the cap left out, said before the table: how many, per module and
  // indicator, and where all of them are.
  void RenderUnlisted(std::string& h) {
    h += fmt::format(
        "<p class=\"note\" id=\"unlisted\">{} findings are listed here: the most severe of {} "
        "(--html-max-findings). The other {} are counted below by module and indicator; every "
        "one of them is in the JSON Lines output (--json) and the CSV (--csv).</p>\n",
        findings_.size(), findings_seen_, findings_seen_ - findings_.size());
    h += "<table id=\"unlisted-table\"><thead><tr><th>Module</th><th>Indicator</th>"
         "<th>Highest level</th><th>Not listed</th></tr></thead>\n<tbody>\n";
    for (const auto& [key, u] : unlisted_)
      h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       HtmlText(key.first), HtmlText(key.second), LevelLabel(u.level), u.count);
    h += "</tbody></table>\n";
  }

  void RenderFinding(std::string& h, const Finding& f) {
    int lvl = static_cast<int>(f.level);
    h += fmt::format(
        "<tr class=\"finding\" data-level=\"{}\" data-score=\"{}\" data-module=\"{}\">"
        "<td><span class=\"lvl l{}\">{}</span></td><td>{}</td><td>{}</td><td>",
        lvl, f.score, HtmlAttr(f.module), lvl, LevelLabel(f.level), f.score, HtmlText(f.module));
    h += "<div class=\"path\">" + HtmlText(f.path) + "</div>";
    std::string meta;
    auto add = [&](const std::string& item) { meta += (meta.empty() ? "" : " · ") + item; };
    if (f.size) add(fmt::format("size {}", *f.size));
    for (const auto& [k, v] : f.hashes)
      add(fmt::format("{} <code>{}</code>", HtmlText(k), HtmlText(v)));
    const FieldValue* excerpt = nullptr;
    for (const auto& [k, v] : f.extra) {
      if (k == "excerpt") {
        excerpt = &v;
        continue;
      }
      add(fmt::format("{} {}", HtmlText(k), HtmlText(internal::PlainValue(v))));
    }
    if (!meta.empty()) h += "<div class=\"meta\">" + meta + "</div>";
    if (excerpt)
      h += "<pre class=\"excerpt\">" + HtmlText(internal::PlainValue(*excerpt)) + "</pre>";
    h += "</td><td><ul class=\"reasons\">";
    for (const Reason& r : f.reasons) {
      h += fmt::format(
          "<li><span class=\"kind\">{}</span> <code class=\"ind\">{}</code> "
          "<span class=\"note\">(score {})</span>",
          HtmlText(r.kind), HtmlText(r.indicator), r.score);
      if (!r.description.empty()) h += "<div class=\"desc\">" + HtmlText(r.description) + "</div>";
      h += "<div class=\"src\">from " + (r.source.empty() ? "unknown" : HtmlText(r.source)) +
           "</div></li>";
    }
    h += "</ul></td></tr>\n";
  }

  void RenderTimeline(std::string& h, const Summary& s) {
    h += "<section id=\"timeline\">\n<h2>Timeline of C2 contacts</h2>\n";
    if (s.timeline.empty()) {
      h += "<p class=\"note\">No contact with a network indicator was found in the sources "
           "swept.</p>\n</section>\n";
      return;
    }
    std::optional<double> lo, hi;
    for (const ContactTimeline& t : s.timeline) {
      for (const std::string* ts : {&t.first_seen, &t.last_seen}) {
        if (auto v = ParseIso(*ts)) {
          if (!lo || *v < *lo) lo = v;
          if (!hi || *v > *hi) hi = v;
        }
      }
    }
    h += "<table id=\"timeline-table\"><thead><tr><th>Indicator</th><th>Kind</th>"
         "<th>First seen (UTC)</th><th>Last seen (UTC)</th><th>Hits</th><th>Sources</th>"
         "<th>Span</th></tr></thead><tbody>\n";
    for (const ContactTimeline& t : s.timeline) {
      std::string bar;
      auto a = ParseIso(t.first_seen), b = ParseIso(t.last_seen);
      if (a && b && lo && hi) {
        double range = *hi - *lo;
        double from = range > 0 ? (*a - *lo) / range * 100 : 0;
        double to = range > 0 ? (*b - *lo) / range * 100 : 100;
        bar = fmt::format(
            "<div class=\"track\"><div class=\"bar\" data-from=\"{:.2f}\" "
            "data-to=\"{:.2f}\"></div></div>",
            from, to);
      }
      h += fmt::format(
          "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td>{}</td></tr>\n",
          HtmlText(t.indicator), HtmlText(t.kind),
          t.first_seen.empty() ? "no time" : HtmlText(t.first_seen),
          t.last_seen.empty() ? "no time" : HtmlText(t.last_seen), t.hits, t.files, bar);
    }
    h += "</tbody></table>\n</section>\n";
  }

  void RenderErrors(std::string& h, const Summary& s) {
    h += fmt::format("<section id=\"errors\">\n<h2>Errors ({})</h2>\n", s.errors);
    if (errors_.empty()) {
      h += "<p class=\"note\">Every object in scope could be checked.</p>\n</section>\n";
      return;
    }
    h += "<details><summary>Objects that could not be checked</summary>\n<table><thead><tr>"
         "<th>Module</th><th>Path</th><th>Error</th></tr></thead><tbody>\n";
    for (const ErrorRecord& e : errors_)
      h += fmt::format("<tr><td>{}</td><td class=\"path\">{}</td><td>{}</td></tr>\n",
                       HtmlText(e.module), HtmlText(e.path), HtmlText(e.message));
    h += "</tbody></table></details>\n";
    if (errors_seen_ > errors_.size())
      h += fmt::format(
          "<p class=\"note\">{} more error records are not listed here (see the "
          "JSON output).</p>\n",
          errors_seen_ - errors_.size());
    h += "</section>\n";
  }

  // Indicator and rule load problems: what the scan did not look for.
  void RenderProblems(std::string& h) {
    h += fmt::format("<section id=\"problems\">\n<h2>Load problems ({})</h2>\n", problems_seen_);
    if (problems_.empty()) {
      h += "<p class=\"note\">Every indicator and rule loaded.</p>\n</section>\n";
      return;
    }
    h += "<details><summary>Indicators and rules skipped while loading</summary>\n<table><thead>"
         "<tr><th>Set</th><th>Where</th><th>Problem</th></tr></thead><tbody>\n";
    for (const Problem& p : problems_)
      h += fmt::format("<tr><td>{}</td><td class=\"path\">{}</td><td>{}</td></tr>\n",
                       HtmlText(p.set), HtmlText(p.where), HtmlText(p.message));
    h += "</tbody></table></details>\n";
    if (problems_seen_ > problems_.size())
      h += fmt::format("<p class=\"note\">{} more problems are not listed here (see the JSON "
                       "output).</p>\n",
                       problems_seen_ - problems_.size());
    h += "</section>\n";
  }

  std::FILE* out_;
  bool own_;
  HtmlOptions opts_;
  std::vector<Problem> problems_;
  std::uint64_t problems_seen_ = 0;
  // Heap order (when full): the least severe kept finding at the front.
  static bool MoreSevere(const Finding& a, const Finding& b) {
    if (a.level != b.level) return a.level > b.level;
    return a.score > b.score;
  }
  // A finding over the cap: counted per module and first indicator.
  void Count(const Finding& f) {
    std::string ind = f.reasons.empty() ? std::string() : f.reasons.front().indicator;
    Unlisted& u = unlisted_[{f.module, ind}];
    ++u.count;
    if (u.count == 1 || f.level > u.level) u.level = f.level;
  }
  struct Unlisted {
    std::uint64_t count = 0;
    Level level = Level::kNone;
  };

  std::vector<Finding> findings_;
  std::uint64_t findings_seen_ = 0;
  std::map<std::pair<std::string, std::string>, Unlisted> unlisted_;
  std::vector<ErrorRecord> errors_;
  std::uint64_t errors_seen_ = 0;
  bool written_ = false;
  bool failed_ = false;
};

}  // namespace

namespace {

std::string Escape(std::string_view s, bool markup) {
  std::string out;
  out.reserve(s.size() + 16);
  auto esc = [&](const std::string& text) {
    out += markup ? "<span class=\"esc\">" + text + "</span>" : text;
  };
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        case '\n':
          esc("\\n");
          break;
        case '\r':
          esc("\\r");
          break;
        case '\t':
          esc("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x7F)
            esc(fmt::format("\\x{:02x}", c));
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    std::size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      esc(fmt::format("\\x{:02x}", c));
      ++i;
      continue;
    }
    std::uint32_t cp = DecodeCp(s, i, n);
    if (IsDeceptive(cp))
      esc(fmt::format("\\u{:04x}", cp));
    else
      out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace

std::string HtmlText(std::string_view s) { return Escape(s, true); }
std::string HtmlAttr(std::string_view s) { return Escape(s, false); }

std::string HtmlContentSecurityPolicy() {
  static const std::string policy = fmt::format(
      "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; img-src 'none'; "
      "connect-src 'none'; base-uri 'none'; form-action 'none'",
      Sha256Base64(kScript), Sha256Base64(kStyle));
  return policy;
}

std::unique_ptr<Sink> MakeHtmlSink(std::FILE* out, bool own, HtmlOptions opts) {
  return std::make_unique<HtmlSink>(out, own, opts);
}

}  // namespace trawl::report
