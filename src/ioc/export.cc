// Writers for `trawl iocs convert`: STIX 2.1, MISP, signature-base, CSV.
// Each writes what its format can carry and names the rest in `losses`.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "trawl/core/text.h"
#include "trawl/ioc/interchange.h"

namespace trawl::ioc {
namespace {

using Json = nlohmann::ordered_json;

std::string Iso(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

std::string Date(std::int64_t t) { return Iso(t).substr(0, 10); }

// A deterministic UUID (version-4 layout) from a text: two FNV-1a 64 hashes.
std::string UuidOf(std::string_view text) {
  auto fnv = [&](std::uint64_t h) {
    for (char c : text) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    return h;
  };
  std::uint64_t a = fnv(14695981039346656037ull), b = fnv(0x9e3779b97f4a7c15ull ^ a);
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(a >> (56 - 8 * i));
    bytes[8 + i] = static_cast<unsigned char>(b >> (56 - 8 * i));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  return out;
}

std::string Identity(const Indicator& ind) {
  return std::string(KindName(ind.kind)) + '\0' + ind.value + '\0' + ind.fp_regex + '\0' +
         ind.and_filename;
}

// Indicators in a stable order: by kind, then value.
// REQUIRES: `all` (set.Materialize()) outlives the result.
std::vector<const Indicator*> Sorted(const std::vector<Indicator>& all) {
  std::vector<const Indicator*> out;
  for (const Indicator& i : all) out.push_back(&i);
  std::stable_sort(out.begin(), out.end(), [](const Indicator* a, const Indicator* b) {
    if (a->kind != b->kind) return a->kind < b->kind;
    if (a->value != b->value) return a->value < b->value;
    return Identity(*a) < Identity(*b);
  });
  return out;
}

std::vector<std::string> SortedTrusted(const IndicatorSet& set) { return set.TrustedHashes(); }

class Losses {
 public:
  explicit Losses(std::string format) : format_(std::move(format)) {}
  void Add(const std::string& what) { ++counts_[what]; }
  void Flush(std::vector<std::string>& out) const {
    for (const auto& [what, n] : counts_)
      out.push_back(format_ + ": " + std::to_string(n) + " " + what);
  }

 private:
  std::string format_;
  std::map<std::string, std::uint64_t> counts_;
};

std::string StixString(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

const char* StixHash(Kind k) {
  return k == Kind::kMd5 ? "MD5" : k == Kind::kSha1 ? "'SHA-1'" : "'SHA-256'";
}

// The STIX pattern for one indicator, or empty if it has none.
std::string StixPattern(const Indicator& ind) {
  switch (ind.kind) {
    case Kind::kMd5:
    case Kind::kSha1:
    case Kind::kSha256: {
      std::string h =
          "file:hashes." + std::string(StixHash(ind.kind)) + " = " + StixString(ind.value);
      if (ind.and_filename.empty()) return "[" + h + "]";
      return "[file:name = " + StixString(ind.and_filename) + " AND " + h + "]";
    }
    case Kind::kFilename: {
      std::string name;
      if (BaseNameOfRegex(ind.value, name)) return "[file:name = " + StixString(name) + "]";
      return "[file:x_trawl_path MATCHES " + StixString(ind.value) + "]";
    }
    case Kind::kDomain:
      return "[domain-name:value = " + StixString(ind.value) + "]";
    case Kind::kIpv4:
      return "[ipv4-addr:value = " + StixString(ind.value) + "]";
    case Kind::kIpv6:
      return "[ipv6-addr:value = " + StixString(ind.value) + "]";
    case Kind::kCidr:
      return std::string(ind.value.find(':') == std::string::npos ? "[ipv4-addr" : "[ipv6-addr") +
             ":value = " + StixString(ind.value) + "]";
    case Kind::kUrl:
      return "[url:value = " + StixString(ind.value) + "]";
    case Kind::kKeyword:
      return "[x-trawl-keyword:value = " + StixString(ind.value) + "]";
    default:
      return {};
  }
}

ExportResult ToStix(const IndicatorSet& set, std::int64_t now) {
  ExportResult r;
  Losses losses("stix");
  Json objects = Json::array();
  std::string ts = Iso(now);
  std::vector<Indicator> all = set.Materialize();
  for (const Indicator* ind : Sorted(all)) {
    Json o;
    o["type"] = "indicator";
    o["spec_version"] = "2.1";
    o["id"] = "indicator--" + UuidOf(Identity(*ind));
    o["created"] = ts;
    o["modified"] = ts;
    if (ind->kind == Kind::kYara) {
      o["pattern"] = ind->value;
      o["pattern_type"] = "yara";
    } else {
      std::string p = StixPattern(*ind);
      if (p.empty()) {
        losses.Add(std::string(KindName(ind->kind)) + " indicators left out (no STIX form)");
        continue;
      }
      o["pattern"] = p;
      o["pattern_type"] = "stix";
    }
    o["valid_from"] = ts;
    o["indicator_types"] = Json::array({"malicious-activity"});
    if (!ind->description.empty()) o["description"] = ind->description;
    o["x_trawl_score"] = ind->score;
    if (ind->kind == Kind::kFilename && !ind->fp_regex.empty())
      o["x_trawl_fp_regex"] = ind->fp_regex;
    objects.push_back(std::move(o));
    ++r.written;
  }
  if (set.trusted_count()) losses.Add("trusted hashes left out (no STIX form)");
  Json bundle;
  bundle["type"] = "bundle";
  bundle["id"] = "bundle--" + UuidOf("trawl-export\n" + objects.dump());
  bundle["objects"] = std::move(objects);
  r.files.push_back({"", bundle.dump(1) + "\n"});
  losses.Flush(r.losses);
  return r;
}

ExportResult ToMisp(const IndicatorSet& set, std::int64_t now) {
  ExportResult r;
  Losses losses("misp");
  Json attrs = Json::array();
  std::vector<Indicator> all = set.Materialize();
  for (const Indicator* ind : Sorted(all)) {
    std::string type, category = "Network activity", value = ind->value;
    switch (ind->kind) {
      case Kind::kMd5:
      case Kind::kSha1:
      case Kind::kSha256:
        category = "Payload delivery";
        type = KindName(ind->kind);
        if (!ind->and_filename.empty()) {
          type = "filename|" + type;
          value = ind->and_filename + "|" + ind->value;
          losses.Add("hashes lose their file-name condition (written as filename|hash)");
        }
        break;
      case Kind::kFilename: {
        category = "Payload delivery";
        std::string name;
        if (!BaseNameOfRegex(ind->value, name)) {
          losses.Add("path regexes left out (MISP has no path regex type)");
          continue;
        }
        if (!ind->fp_regex.empty()) losses.Add("file names lose their false-positive regex");
        type = "filename";
        value = name;
        break;
      }
      case Kind::kDomain:
        type = "domain";
        break;
      case Kind::kIpv4:
      case Kind::kIpv6:
      case Kind::kCidr:
        type = "ip-dst";
        break;
      case Kind::kUrl:
        type = "url";
        break;
      case Kind::kYara:
        category = "Payload installation";
        type = "yara";
        break;
      default:
        losses.Add(std::string(KindName(ind->kind)) + " indicators left out (no MISP type)");
        continue;
    }
    Json a;
    a["uuid"] = UuidOf(Identity(*ind));
    a["type"] = type;
    a["category"] = category;
    a["value"] = value;
    a["to_ids"] = true;
    a["comment"] = ind->description;
    a["timestamp"] = std::to_string(now);
    a["Tag"] = Json::array({Json{{"name", "trawl:score=\"" + std::to_string(ind->score) + "\""}}});
    attrs.push_back(std::move(a));
    ++r.written;
  }
  if (set.trusted_count()) losses.Add("trusted hashes left out (no MISP form)");
  Json ev;
  ev["uuid"] = UuidOf("trawl-export\n" + attrs.dump());
  ev["info"] = "trawl indicator export";
  ev["date"] = Date(now);
  ev["timestamp"] = std::to_string(now);
  ev["threat_level_id"] = "4";
  ev["analysis"] = "2";
  ev["distribution"] = "0";
  ev["published"] = false;
  ev["Tag"] = Json::array({Json{{"name", "trawl:export"}}});
  ev["Attribute"] = std::move(attrs);
  Json doc;
  doc["Event"] = std::move(ev);
  r.files.push_back({"", doc.dump(1) + "\n"});
  losses.Flush(r.losses);
  return r;
}

// The signature-base filename loader splits at the first ";N" followed by
// ';' or the end: a regex holding such a run would not read back.
bool SigBaseSafeRegex(std::string_view re) {
  if (re.empty()) return false;
  for (size_t i = re.find(';'); i != std::string_view::npos; i = re.find(';', i + 1)) {
    size_t j = i + 1;
    while (j < re.size() && re[j] >= '0' && re[j] <= '9') ++j;
    if (j > i + 1 && (j == re.size() || re[j] == ';')) return false;
  }
  return true;
}

// Lines grouped under "# description" comments, undescribed ones first (a
// comment describes every entry after it).
std::string CommentedLines(std::vector<std::pair<std::string, std::string>> entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out, current;
  for (const auto& [desc, line] : entries) {
    if (desc != current) {
      out += "# " + desc + "\n";
      current = desc;
    }
    out += line + "\n";
  }
  return out;
}

ExportResult ToSigBase(const IndicatorSet& set) {
  ExportResult r;
  Losses losses("signature-base");
  std::string hashes;
  std::vector<std::pair<std::string, std::string>> names, c2, keywords;
  std::vector<std::string> rules;
  std::vector<Indicator> all = set.Materialize();
  for (const Indicator* ind : Sorted(all)) {
    switch (ind->kind) {
      case Kind::kMd5:
      case Kind::kSha1:
      case Kind::kSha256:
        if (!ind->and_filename.empty()) losses.Add("hashes lose their file-name condition");
        hashes += ind->value + ";" + std::to_string(ind->score) + ";" + ind->description + "\n";
        break;
      case Kind::kFilename:
        if (!SigBaseSafeRegex(ind->value) || ind->fp_regex.find('\n') != std::string::npos) {
          losses.Add("path regexes left out (they hold ';N;', which the format cannot quote)");
          continue;
        }
        names.emplace_back(ind->description,
                           ind->value + ";" + std::to_string(ind->score) +
                               (ind->fp_regex.empty() ? "" : ";" + ind->fp_regex));
        break;
      case Kind::kDomain:
      case Kind::kIpv4:
      case Kind::kIpv6:
      case Kind::kCidr:
      case Kind::kUrl:
        c2.emplace_back(ind->description, ind->value + ";" + std::to_string(ind->score));
        break;
      case Kind::kKeyword: {
        std::string_view t = TrimAscii(ind->value);
        if (t.size() != ind->value.size() || t.empty() || t.front() == '#') {
          losses.Add("keywords left out (leading '#' or blanks)");
          continue;
        }
        if (ind->score != 100) losses.Add("keywords lose their score (the format has none)");
        keywords.emplace_back(ind->description, ind->value);
        break;
      }
      case Kind::kYara:
        rules.push_back(ind->value);
        break;
      default:
        losses.Add(std::string(KindName(ind->kind)) + " indicators left out");
        continue;
    }
    ++r.written;
  }
  if (!hashes.empty()) r.files.push_back({"iocs/hash-iocs.txt", hashes});
  if (!names.empty()) r.files.push_back({"iocs/filename-iocs.txt", CommentedLines(names)});
  if (!c2.empty()) r.files.push_back({"iocs/c2-iocs.txt", CommentedLines(c2)});
  if (!keywords.empty()) r.files.push_back({"iocs/keyword-iocs.txt", CommentedLines(keywords)});
  if (set.trusted_count()) {
    std::string t;
    for (const std::string& h : SortedTrusted(set)) t += h + "\n";
    r.files.push_back({"iocs/falsepositive-hash-iocs.txt", t});
    r.written += set.trusted_count();
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string text = rules[i];
    if (text.empty() || text.back() != '\n') text += '\n';
    r.files.push_back({"yara/rule-" + std::to_string(i + 1) + ".yar", text});
  }
  if (!rules.empty())
    losses.Add("yara rules lose their score and description (written as rule files)");
  losses.Flush(r.losses);
  return r;
}

std::string CsvCell(std::string_view s) {
  bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos ||
               (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

ExportResult ToCsv(const IndicatorSet& set) {
  ExportResult r;
  Losses losses("csv");
  std::string out = "value,type,score,description,fp_regex,and_filename\n";
  std::vector<Indicator> all = set.Materialize();
  for (const Indicator* ind : Sorted(all)) {
    std::string type;
    switch (ind->kind) {
      case Kind::kMd5:
      case Kind::kSha1:
      case Kind::kSha256:
      case Kind::kDomain:
      case Kind::kCidr:
      case Kind::kUrl:
        type = KindName(ind->kind);
        break;
      case Kind::kIpv4:
      case Kind::kIpv6:
        type = "ip";
        break;
      case Kind::kFilename:
        type = "filename-regex";
        break;
      case Kind::kKeyword:
        type = "keyword";
        break;
      default:
        losses.Add(std::string(KindName(ind->kind)) + " indicators left out (no CSV form)");
        continue;
    }
    if ((ind->kind == Kind::kFilename || ind->kind == Kind::kKeyword) &&
        TrimAscii(ind->value).size() != ind->value.size()) {
      losses.Add(std::string(KindName(ind->kind)) +
                 " indicators left out (leading or trailing blanks)");
      continue;
    }
    // The CSV loader turns control characters in descriptions into blanks.
    std::string desc = ind->description;
    if (desc.find('\t') != std::string::npos) {
      std::replace(desc.begin(), desc.end(), '\t', ' ');
      losses.Add("descriptions have tabs turned into blanks");
    }
    out += CsvCell(ind->value) + "," + type + "," + std::to_string(ind->score) + "," +
           CsvCell(desc) + "," + CsvCell(ind->fp_regex) + "," + CsvCell(ind->and_filename) + "\n";
    ++r.written;
  }
  if (set.trusted_count()) losses.Add("trusted hashes left out (no CSV form)");
  r.files.push_back({"", out});
  losses.Flush(r.losses);
  return r;
}

}  // namespace

bool ParseExportFormat(std::string_view name, ExportFormat& out) {
  if (name == "stix")
    out = ExportFormat::kStix;
  else if (name == "misp")
    out = ExportFormat::kMisp;
  else if (name == "signature-base" || name == "sigbase")
    out = ExportFormat::kSigBase;
  else if (name == "csv")
    out = ExportFormat::kCsv;
  else
    return false;
  return true;
}

ExportResult ExportIndicators(const IndicatorSet& set, ExportFormat format,
                              const ExportOptions& options) {
  std::int64_t now = options.now != 0 ? options.now : static_cast<std::int64_t>(std::time(nullptr));
  switch (format) {
    case ExportFormat::kStix:
      return ToStix(set, now);
    case ExportFormat::kMisp:
      return ToMisp(set, now);
    case ExportFormat::kSigBase:
      return ToSigBase(set);
    case ExportFormat::kCsv:
      return ToCsv(set);
  }
  return {};
}

}  // namespace trawl::ioc
