// CSV indicator lists with a header row (RFC 4180 quoting).
#include <optional>
#include <vector>

#include "internal.h"
#include "trawl/core/text.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc::internal {
namespace {

struct Record {
  size_t line = 0;  // line the record starts on
  std::vector<std::string> cells;
  std::string error;  // non-empty: the record is malformed
  std::string raw;    // first line of the record, for messages
};

// Splits `text` into records. Quoted cells may hold ',', '""' and line breaks.
std::vector<Record> ParseCsv(std::string_view text) {
  std::vector<Record> out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t i = 0, line = 1;
  while (i < text.size()) {
    Record rec;
    rec.line = line;
    size_t eol = text.find('\n', i);
    rec.raw = std::string(StripEol(text.substr(i, eol == std::string_view::npos ? eol : eol - i)));
    std::string cell;
    bool done = false;
    while (!done) {
      if (i < text.size() && text[i] == '"') {  // quoted cell
        ++i;
        bool closed = false;
        while (i < text.size()) {
          char c = text[i];
          if (c == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              cell += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n') ++line;
          cell += c;
          ++i;
        }
        if (!closed) {
          rec.error = "unterminated quote (runs to the end of the file)";
          i = text.size();
          done = true;
          break;
        }
        // After the closing quote: ',', end of line or end of text.
        if (i < text.size() && text[i] == '\r') ++i;
        if (i >= text.size() || text[i] == '\n' || text[i] == ',') {
          // handled below
        } else {
          rec.error = "text after closing quote";
          while (i < text.size() && text[i] != '\n') ++i;
        }
      } else {  // unquoted cell
        while (i < text.size() && text[i] != ',' && text[i] != '\n') {
          if (text[i] == '"' && rec.error.empty()) rec.error = "quote inside unquoted cell";
          cell += text[i++];
        }
        if (!cell.empty() && cell.back() == '\r' && (i >= text.size() || text[i] == '\n'))
          cell.pop_back();
      }
      rec.cells.push_back(std::move(cell));
      cell.clear();
      if (i >= text.size()) {
        done = true;
      } else if (text[i] == ',') {
        ++i;
      } else {  // '\n'
        ++i;
        ++line;
        done = true;
      }
    }
    out.push_back(std::move(rec));
  }
  return out;
}

bool BlankRecord(const Record& r) {
  for (const std::string& c : r.cells)
    if (!TrimAscii(c).empty()) return false;
  return true;
}

// Column names (lower case) for each role, most specific first.
constexpr std::string_view kValueCols[] = {
    "value",      "indicator",        "ioc", "indicator_value", "ioc_value",
    "observable", "observable_value", "data"};
constexpr std::string_view kTypeCols[] = {"entity_type", "type", "indicator_type",
                                          "ioc_type",    "kind", "observable_type"};
constexpr std::string_view kDescCols[] = {"description", "comment", "comments", "desc",
                                          "context",     "info",    "notes",    "name"};
constexpr std::string_view kScoreCols[] = {"score"};
// trawl's own columns (written by `trawl iocs convert --to csv`).
constexpr std::string_view kFpCols[] = {"fp_regex"};
constexpr std::string_view kAndNameCols[] = {"and_filename"};

template <size_t N>
std::optional<size_t> FindColumn(const std::vector<std::string>& header,
                                 const std::string_view (&names)[N]) {
  for (std::string_view want : names)
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == want) return i;
  return std::nullopt;
}

enum class TypeClass {
  kAny, kHash, kMd5, kSha1, kSha256, kDomain, kIp, kCidr, kUrl,
  kFilenameRegex, kKeyword,  // values taken verbatim, never detected
  kUnsupported
};

TypeClass ClassifyType(std::string_view type) {
  std::string t = ToLowerAscii(TrimAscii(type));
  if (t.empty()) return TypeClass::kAny;
  for (char& c : t)
    if (c == '_' || c == ' ') c = '-';
  struct M {
    std::string_view name;
    TypeClass cls;
  };
  static constexpr M kMap[] = {
      {"md5", TypeClass::kMd5},        {"sha1", TypeClass::kSha1},
      {"sha-1", TypeClass::kSha1},     {"sha256", TypeClass::kSha256},
      {"sha-256", TypeClass::kSha256}, {"hash", TypeClass::kHash},
      {"file", TypeClass::kHash},      {"filehash", TypeClass::kHash},
      {"file-hash", TypeClass::kHash}, {"hostname", TypeClass::kDomain},
      {"domain", TypeClass::kDomain},  {"fqdn", TypeClass::kDomain},
      {"host", TypeClass::kDomain},    {"domain-name", TypeClass::kDomain},
      {"ip", TypeClass::kIp},          {"ipv4", TypeClass::kIp},
      {"ipv6", TypeClass::kIp},        {"ip-dst", TypeClass::kIp},
      {"ip-src", TypeClass::kIp},      {"ipv4-addr", TypeClass::kIp},
      {"ipv6-addr", TypeClass::kIp},   {"ip-address", TypeClass::kIp},
      {"cidr", TypeClass::kCidr},      {"subnet", TypeClass::kCidr},
      {"network", TypeClass::kCidr},   {"url", TypeClass::kUrl},
      {"uri", TypeClass::kUrl},        {"link", TypeClass::kUrl},
      {"filename-regex", TypeClass::kFilenameRegex}, {"path-regex", TypeClass::kFilenameRegex},
      {"keyword", TypeClass::kKeyword},
  };
  for (const M& m : kMap)
    if (t == m.name) return m.cls;
  return TypeClass::kUnsupported;
}

bool TypeAccepts(TypeClass cls, Kind kind) {
  switch (cls) {
    case TypeClass::kAny:
      return true;
    case TypeClass::kHash:
      return IsHashKind(kind);
    case TypeClass::kMd5:
      return kind == Kind::kMd5;
    case TypeClass::kSha1:
      return kind == Kind::kSha1;
    case TypeClass::kSha256:
      return kind == Kind::kSha256;
    case TypeClass::kDomain:
      return kind == Kind::kDomain;
    case TypeClass::kIp:
      return kind == Kind::kIpv4 || kind == Kind::kIpv6;
    case TypeClass::kCidr:
      return kind == Kind::kCidr;
    case TypeClass::kUrl:
      return kind == Kind::kUrl;
    case TypeClass::kFilenameRegex:
      return kind == Kind::kFilename;
    case TypeClass::kKeyword:
      return kind == Kind::kKeyword;
    case TypeClass::kUnsupported:
      return false;
  }
  return false;
}

}  // namespace

// The header names the columns: a value column (value, indicator, ioc, ...;
// a single-column file needs no particular name), optional type, description
// and score columns. A value cell that is not one indicator but a
// comma-separated list of them (Volexity's `file` rows: SHA-256,SHA-1,MD5)
// yields each. Rows whose type trawl cannot match (e-mail addresses, ...)
// are skipped with reason "unsupported type".
void LoadCsv(std::string_view text, Sink& sink) {
  std::vector<Record> records = ParseCsv(text);
  size_t r = 0;
  while (r < records.size() && BlankRecord(records[r]) && records[r].error.empty()) ++r;
  if (r == records.size()) return;
  const Record& head = records[r];
  if (!head.error.empty()) {
    sink.Reject(head.line, "bad CSV header", head.error);
    return;
  }
  std::vector<std::string> names;
  for (const std::string& c : head.cells) names.push_back(ToLowerAscii(TrimAscii(c)));
  std::optional<size_t> value_col = FindColumn(names, kValueCols);
  if (!value_col && names.size() == 1) value_col = 0;
  if (!value_col) {
    sink.Reject(head.line, "no value column in CSV header", head.raw);
    return;
  }
  std::optional<size_t> type_col = FindColumn(names, kTypeCols);
  std::optional<size_t> desc_col = FindColumn(names, kDescCols);
  std::optional<size_t> score_col = FindColumn(names, kScoreCols);
  std::optional<size_t> fp_col = FindColumn(names, kFpCols);
  std::optional<size_t> and_name_col = FindColumn(names, kAndNameCols);

  for (++r; r < records.size(); ++r) {
    const Record& rec = records[r];
    if (!rec.error.empty()) {
      sink.Reject(rec.line, "bad CSV quoting", rec.error + " in " + rec.raw);
      continue;
    }
    if (BlankRecord(rec)) continue;
    bool clean = true;
    for (const std::string& c : rec.cells) {
      if (std::string_view bad = BadText(c); !bad.empty() && bad != "control character") {
        sink.Reject(rec.line, std::string(bad), rec.raw);
        clean = false;
        break;
      }
    }
    if (!clean) continue;
    auto cell = [&](std::optional<size_t> col) -> std::string_view {
      if (!col || *col >= rec.cells.size()) return {};
      return TrimAscii(rec.cells[*col]);
    };
    std::string_view value = cell(value_col);
    if (value.empty()) {
      sink.Reject(rec.line, "empty value", rec.raw);
      continue;
    }
    std::string_view type = cell(type_col);
    TypeClass cls = ClassifyType(type);
    if (cls == TypeClass::kUnsupported) {
      sink.Reject(rec.line, "unsupported type", std::string(type) + ": " + std::string(value));
      continue;
    }
    int score = 100;
    if (std::string_view s = cell(score_col); !s.empty() && !ParseScore(s, score)) {
      sink.Reject(rec.line, "bad score", rec.raw);
      continue;
    }
    // Line breaks and controls inside quoted cells are fine in a description,
    // never in a value.
    std::string desc;
    for (char c : cell(desc_col)) desc += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;

    // Path regexes and keywords: the cell verbatim (trimmed), one indicator.
    if (cls == TypeClass::kFilenameRegex || cls == TypeClass::kKeyword) {
      if (std::string_view bad = BadText(value); !bad.empty()) {
        sink.Reject(rec.line, std::string(bad), rec.raw);
        continue;
      }
      Indicator ind;
      ind.kind = cls == TypeClass::kKeyword ? Kind::kKeyword : Kind::kFilename;
      ind.value = std::string(value);
      if (cls == TypeClass::kFilenameRegex) ind.fp_regex = std::string(cell(fp_col));
      ind.score = score;
      ind.description = desc;
      sink.Add(std::move(ind), rec.line);
      continue;
    }
    std::string_view and_name = cell(and_name_col);

    std::vector<std::string_view> parts;
    Indicator whole;
    std::string refanged = Refang(value);
    if (DetectKind(refanged, whole)) {
      parts.push_back(value);
    } else if (value.find(',') != std::string_view::npos) {
      for (std::string_view p : Split(value, ',')) parts.push_back(TrimAscii(p));
    } else {
      parts.push_back(value);
    }
    for (std::string_view part : parts) {
      Indicator ind;
      if (part.empty() || !DetectKind(Refang(part), ind)) {
        sink.Reject(rec.line, "unrecognised value", part.empty() ? value : part);
        continue;
      }
      if (!TypeAccepts(cls, ind.kind)) {
        sink.Reject(rec.line, "value does not match type",
                    std::string(type) + ": " + std::string(part));
        continue;
      }
      ind.score = score;
      ind.description = desc;
      if (IsHashKind(ind.kind)) ind.and_filename = std::string(and_name);
      sink.Add(std::move(ind), rec.line);
    }
  }
}

}  // namespace trawl::ioc::internal
