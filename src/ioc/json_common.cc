// JSON plumbing shared by the STIX and MISP loaders: parsing with limits,
// format sniffing, value checks and the per-load bookkeeping.
#include <ctime>

#include "interchange_internal.h"
#include "internal.h"
#include "trawl/core/text.h"
#include "trawl/ioc/interchange.h"

namespace trawl::ioc {
namespace internal {
namespace {

constexpr size_t kDetailMax = 80;

// Depth of [ and { outside strings; -1 past the limit.
bool DepthWithin(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

std::string Position(std::string_view text, size_t byte) {
  if (byte > text.size()) byte = text.size();
  size_t line = 1, col = 1;
  for (size_t i = 0; i + 1 < byte; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

}  // namespace

std::string JsonSink::Where(std::string_view id) const { return display_ + ":" + std::string(id); }

void JsonSink::Reject(std::string_view id, const std::string& reason, std::string_view detail) {
  ++stats_.skipped[reason];
  std::string msg = reason;
  if (!detail.empty()) {
    bool cut = detail.size() > kDetailMax;
    msg += ": '" + EscapeControl(detail.substr(0, kDetailMax)) + (cut ? "...'" : "'");
  }
  stats_.problems.push_back({Where(id), std::move(msg)});
}

void JsonSink::Add(Indicator ind, std::string_view id) {
  if (!allow_broad_ranges_) {
    if (std::string why = BroadRangeReason(ind); !why.empty()) {
      Reject(id, why, ind.value);
      return;
    }
  }
  ind.source = source_.empty() ? Where(id) : source_;
  const char* kind = KindName(ind.kind);
  if (set_.Add(std::move(ind)))
    ++stats_.loaded[kind];
  else
    ++stats_.skipped["duplicate"];
}

bool ParseJson(std::string_view text, Json& out, std::string& error) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (!DepthWithin(text, kMaxJsonDepth)) {
    error = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return false;
  }
  try {
    out = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..."
    size_t colon = what.find(": ");
    std::string why = colon == std::string::npos ? what : what.substr(colon + 2);
    error = Position(text, e.byte) + ": " + why;
    return false;
  } catch (const std::exception& e) {
    error = std::string("cannot parse JSON: ") + e.what();
    return false;
  }
  return true;
}

Format JsonKind(const Json& doc) {
  auto one = [](const Json& o) -> Format {
    if (!o.is_object()) return Format::kJson;
    if (o.contains("Event") || o.contains("response") || o.contains("Attribute") ||
        (o.contains("info") && o.contains("uuid")))
      return Format::kMisp;
    if (auto t = o.find("type"); t != o.end() && t->is_string()) return Format::kStix;
    return Format::kJson;
  };
  if (doc.is_array()) {
    for (const Json& e : doc) {
      Format f = one(e);
      if (f != Format::kJson) return f;
    }
    return Format::kJson;
  }
  return one(doc);
}

void LoadJson(std::string_view text, Format format, const std::string& display,
              const std::string& indicator_source, const LoadOptions& options, IndicatorSet& set,
              LoadStats& stats) {
  JsonSink sink(set, stats, display, indicator_source);
  sink.set_allow_broad_ranges(options.allow_broad_ranges);
  Json doc;
  std::string error;
  if (!ParseJson(text, doc, error)) {
    // Not an object id: the position in the text.
    ++stats.skipped["bad JSON"];
    stats.problems.push_back({display + ":" + error.substr(0, error.find(':')),
                              "bad JSON: " + error.substr(error.find(':') + 2)});
    return;
  }
  if (format == Format::kJson) format = JsonKind(doc);
  if (format == Format::kStix) {
    LoadStixDoc(doc, options, sink);
  } else if (format == Format::kMisp) {
    LoadMispDoc(doc, options, sink);
  } else {
    sink.Reject("document", "neither STIX nor MISP JSON",
                doc.is_object() ? "an object without type, Event or response" : doc.type_name());
  }
}

std::string_view StringOf(const Json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

std::string CleanDescription(std::string_view text) {
  std::string out;
  text = TrimAscii(text);
  for (char c : text) {
    out += ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) ? ' ' : c;
  }
  if (!BadText(out).empty()) {  // invalid UTF-8: keep the ASCII
    std::string ascii;
    for (char c : out) ascii += (static_cast<unsigned char>(c) < 0x80) ? c : '?';
    out = std::move(ascii);
  }
  if (out.size() > kMaxDescriptionBytes) {
    size_t cut = kMaxDescriptionBytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "...";
  }
  return out;
}

std::string MakeValue(std::string_view family, std::string_view value, Indicator& out) {
  if (value.size() > kMaxValueBytes) return "value too long";
  if (std::string_view bad = BadText(value); !bad.empty()) return std::string(bad);
  std::string_view v = TrimAscii(value);
  if (v.empty()) return "empty value";
  bool hash_family = family == "hash" || family == "md5" || family == "sha1" || family == "sha256";
  if (hash_family) {
    if (!IsHex(v)) return "not hex";
    size_t want = family == "md5" ? 32 : family == "sha1" ? 40 : family == "sha256" ? 64 : 0;
    if (want != 0 && v.size() != want) return "bad hash length";
    if (v.size() != 32 && v.size() != 40 && v.size() != 64) return "bad hash length";
    out.kind = v.size() == 32 ? Kind::kMd5 : v.size() == 40 ? Kind::kSha1 : Kind::kSha256;
    out.value = ToLowerAscii(v);
    if (IsTrivialHash(out.value)) return "hash of an empty or newline-only file";
    return {};
  }
  Indicator d;
  if (!DetectKind(Refang(v), d)) return "unrecognised value";
  // A one-address network is the address.
  if (d.kind == Kind::kCidr) {
    if (d.value.size() > 3 && d.value.compare(d.value.size() - 3, 3, "/32") == 0 &&
        d.value.find(':') == std::string::npos) {
      d.kind = Kind::kIpv4;
      d.value.resize(d.value.size() - 3);
    } else if (d.value.size() > 4 && d.value.compare(d.value.size() - 4, 4, "/128") == 0) {
      d.kind = Kind::kIpv6;
      d.value.resize(d.value.size() - 4);
    }
  }
  bool ok = false;
  if (family == "domain") ok = d.kind == Kind::kDomain;
  if (family == "url") ok = d.kind == Kind::kUrl;
  if (family == "ip") ok = d.kind == Kind::kIpv4 || d.kind == Kind::kIpv6 || d.kind == Kind::kCidr;
  if (family == "ipv4")
    ok = d.kind == Kind::kIpv4 || (d.kind == Kind::kCidr && d.value.find(':') == std::string::npos);
  if (family == "ipv6")
    ok = d.kind == Kind::kIpv6 || (d.kind == Kind::kCidr && d.value.find(':') != std::string::npos);
  if (!ok) return std::string("not a valid ") + std::string(family);
  out.kind = d.kind;
  out.value = std::move(d.value);
  return {};
}

std::string MakeNameIndicator(std::string_view name, Indicator& out) {
  if (name.size() > kMaxValueBytes) return "value too long";
  if (std::string_view bad = BadText(name); !bad.empty()) return std::string(bad);
  if (name.empty()) return "empty file name";
  if (name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos)
    return "a file name holds no path separator";
  out.kind = Kind::kFilename;
  out.value = BaseNameRegex(name);
  return {};
}

}  // namespace internal

namespace {
bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
constexpr std::string_view kNamePrefix = "(?:^|[\\\\/])";
}  // namespace

std::string BaseNameRegex(std::string_view name) {
  std::string out(kNamePrefix);
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x80 || IsAsciiAlnum(c) || c == '_' || c == '-' || c == ' ') {
      out += c;
    } else {
      out += '\\';
      out += c;
    }
  }
  out += '$';
  return out;
}

bool BaseNameOfRegex(std::string_view regex, std::string& name) {
  if (regex.size() < kNamePrefix.size() + 2 || regex.substr(0, kNamePrefix.size()) != kNamePrefix ||
      regex.back() != '$')
    return false;
  std::string_view body = regex.substr(kNamePrefix.size(), regex.size() - kNamePrefix.size() - 1);
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\\') {
      if (i + 1 >= body.size()) return false;
      char n = body[++i];
      if (static_cast<unsigned char>(n) >= 0x80 || IsAsciiAlnum(n) || n == '_' || n == '-' ||
          n == ' ')
        return false;
      out += n;
    } else if (u >= 0x80 || IsAsciiAlnum(c) || c == '_' || c == '-' || c == ' ') {
      out += c;
    } else {
      return false;  // an unescaped metacharacter: a real regex
    }
  }
  if (out.empty() || out.find('/') != std::string::npos || out.find('\\') != std::string::npos)
    return false;
  name = std::move(out);
  return true;
}

Format DetectJsonFormat(std::string_view text) {
  internal::Json doc;
  std::string error;
  if (!internal::ParseJson(text, doc, error)) return Format::kJson;
  return internal::JsonKind(doc);
}

}  // namespace trawl::ioc
