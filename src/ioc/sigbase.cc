// signature-base (LOKI/THOR) line formats and plain lists.
//
// Differences from LOKI on purpose: "\r\n" is always stripped, nothing but the
// last comment carries from one line to the next, ';' may occur in hash
// descriptions, scores are validated, and every rejected line is reported.
#include <array>
#include <optional>
#include <vector>

#include "internal.h"
#include "trawl/core/text.h"
#include "trawl/ioc/freetext.h"
#include "trawl/ioc/inet.h"
#include "trawl/ioc/loader.h"

namespace trawl::ioc::internal {
namespace {

constexpr size_t kDetailMax = 80;

std::string_view RTrimBlank(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsBlank(std::string_view s) { return TrimAscii(s).empty(); }
bool IsComment(std::string_view s) {
  std::string_view t = TrimAscii(s);
  return !t.empty() && t.front() == '#';
}

// Hashes every file system has (empty file, a lone "\n", a lone "\r\n"):
// as indicators they would flag thousands of innocent files. LOKI skips them too.
constexpr std::array<std::string_view, 9> kTrivialHashes = {
    "d41d8cd98f00b204e9800998ecf8427e",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "68b329da9893e34099c7d8ad5cb9c940",
    "adc83b19e793491b1c6ea0fd8b46cd9f32e592fc",
    "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b",
    "81051bcc2cf1bedf378224b0a93e2877",
    "ba8ab5a0280b953aa97435ff8946cbcbb2755a27",
    "7eb70257593da06f682a3ddda54a9d260d4fc514f645237f5ca74b08f8da61a6",
};

}  // namespace

bool IsTrivialHash(std::string_view hex_lower) {
  for (std::string_view t : kTrivialHashes)
    if (hex_lower == t) return true;
  return false;
}

namespace {

// One line of ForEachEntry: blank lines and comments (which set `comment`)
// are consumed, unclean text rejected, anything else goes to `entry`.
template <typename Fn>
void EntryLine(size_t no, std::string_view line, std::string& comment, Sink& sink, Fn& entry) {
  if (IsBlank(line)) return;
  if (std::string_view bad = BadText(line); !bad.empty()) {
    sink.Reject(no, std::string(bad), line);
    if (IsComment(line)) comment.clear();  // a broken comment describes nothing
    return;
  }
  if (IsComment(line)) {
    std::string_view c = CommentText(line);
    if (!c.empty()) comment = std::string(c);
    return;
  }
  entry(no, line, comment);
}

// Runs `entry` for every line that is neither blank nor a comment and whose
// text is clean; keeps the last comment as the running description.
template <typename Fn>
void ForEachEntry(std::string_view text, Sink& sink, Fn entry) {
  std::string comment;
  ForEachLine(text,
              [&](size_t no, std::string_view line) { EntryLine(no, line, comment, sink, entry); });
}

// Splits "VALUE;SCORE" at the last ';' when what follows looks like a number
// (then it must be a valid score). Returns false after rejecting the line.
bool SplitTrailingScore(std::string_view line, size_t no, Sink& sink, std::string_view& value,
                        int& score) {
  value = line;
  size_t semi = line.rfind(';');
  if (semi == std::string_view::npos) return true;
  std::string_view tail = TrimAscii(line.substr(semi + 1));
  bool numeric = !tail.empty();
  for (char c : tail)
    if (c < '0' || c > '9') numeric = false;
  if (!numeric) return true;
  if (!ParseScore(tail, score)) {
    sink.Reject(no, "bad score", line);
    return false;
  }
  value = TrimAscii(line.substr(0, semi));
  return true;
}

}  // namespace

std::string Sink::Where(size_t line) const { return display_ + ":" + std::to_string(line); }

void Sink::Reject(size_t line, const std::string& reason, std::string_view detail) {
  ++stats_.skipped[reason];
  std::string msg = reason;
  if (!detail.empty()) {
    bool cut = detail.size() > kDetailMax;
    msg += ": '" + EscapeControl(detail.substr(0, kDetailMax)) + (cut ? "...'" : "'");
  }
  stats_.problems.push_back({Where(line), std::move(msg)});
}

void Sink::Note(size_t line, const std::string& reason, std::string_view detail) {
  ++stats_.skipped[reason];
  std::string msg = reason;
  if (!detail.empty()) {
    bool cut = detail.size() > kDetailMax;
    msg += ": '" + EscapeControl(detail.substr(0, kDetailMax)) + (cut ? "...'" : "'");
  }
  stats_.notes.push_back({Where(line), std::move(msg)});
}

std::string BroadRangeReason(const Indicator& ind) {
  if (ind.kind != Kind::kCidr) return {};
  std::optional<Cidr> c = ParseCidr(ind.value, Ipv4Form::kStrict, false);
  if (!c || !IsBroadRange(*c)) return {};
  return "catch-all range (would match every address; --allow-broad-ranges loads it)";
}

void Sink::Add(Indicator ind, size_t line) {
  if (!allow_broad_ranges_) {
    if (std::string why = BroadRangeReason(ind); !why.empty()) {
      Reject(line, why, ind.value);
      return;
    }
  }
  const char* kind = KindName(ind.kind);
  bool added;
  if (source_.empty()) {
    added = set_.AddAt(std::move(ind), display_, line);  // source "display:line"
  } else {
    ind.source = source_;
    added = set_.Add(std::move(ind));
  }
  if (added)
    ++stats_.loaded[kind];
  else
    ++stats_.skipped["duplicate"];
}

void Sink::AddTrusted(std::string hex_lower, size_t /*line*/) {
  // The loader gives only 32/40/64 hex digits, lower-cased: false is a duplicate.
  if (!set_.AddTrustedHash(hex_lower)) {
    ++stats_.skipped["duplicate"];
    return;
  }
  ++stats_.loaded["trusted_hash"];
}

// HASH[;DESCRIPTION] or HASH;SCORE;DESCRIPTION. The second field is a score
// only if a third follows and it is an integer 0..100; otherwise everything
// after the first ';' is the description (real descriptions contain ';').
namespace {
void HashEntry(bool trusted, Sink& sink, size_t no, std::string_view line,
               const std::string& comment) {
  {
    line = TrimAscii(line);
    size_t semi = line.find(';');
    std::string_view hash = TrimAscii(line.substr(0, semi));
    std::string_view rest =
        semi == std::string_view::npos ? std::string_view() : line.substr(semi + 1);
    if (!IsHex(hash)) {
      sink.Reject(no, hash.empty() ? "empty hash" : "not hex", line);
      return;
    }
    if (hash.size() != 32 && hash.size() != 40 && hash.size() != 64) {
      sink.Reject(no, "bad hash length", line);
      return;
    }
    int score = 100;
    std::string_view desc = rest;
    if (size_t semi2 = rest.find(';'); semi2 != std::string_view::npos) {
      int s;
      std::string_view field = TrimAscii(rest.substr(0, semi2));
      if (ParseScore(field, s)) {
        score = s;
        desc = rest.substr(semi2 + 1);
      } else if (!field.empty() && field.size() <= 9 &&
                 field.find_first_not_of("0123456789") == std::string_view::npos) {
        // HASH;200;desc: a score out of 0..100, not description text.
        sink.Reject(no, "bad score", line);
        return;
      }
    }
    desc = TrimAscii(desc);
    std::string hex = ToLowerAscii(hash);
    if (trusted) {
      sink.AddTrusted(std::move(hex), no);
      return;
    }
    if (IsTrivialHash(hex)) {
      sink.Reject(no, "hash of an empty or newline-only file", line);
      return;
    }
    Indicator ind;
    ind.kind = hash.size() == 32 ? Kind::kMd5 : hash.size() == 40 ? Kind::kSha1 : Kind::kSha256;
    ind.value = std::move(hex);
    ind.score = score;
    ind.description = desc.empty() ? comment : std::string(desc);
    sink.Add(std::move(ind), no);
  }
}
}  // namespace

void LoadSigBaseHash(std::string_view text, bool trusted, Sink& sink) {
  HashLines lines(trusted, sink);
  lines.Feed(text);
}

HashLines::HashLines(bool trusted, Sink& sink) : trusted_(trusted), sink_(sink) {}

// ForEachEntry over whole lines, with the line number and the running
// comment carried from one call to the next (and the BOM read only at the start).
void HashLines::Feed(std::string_view text) {
  if (line_no_ == 0 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  auto entry = [this](size_t no, std::string_view line, const std::string& comment) {
    HashEntry(trusted_, sink_, no, line, comment);
  };
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    EntryLine(++line_no_, line, comment_, sink_, entry);
  }
}

// REGEX;SCORE[;FP_REGEX]. The regex is kept verbatim (trailing blanks
// dropped, as LOKI does); it is split at the first ";N" that is followed by
// the end or by ';', so a regex may itself contain ';'. An empty FP regex is none.
void LoadSigBaseFilename(std::string_view text, Sink& sink) {
  ForEachEntry(text, sink, [&](size_t no, std::string_view line, const std::string& comment) {
    line = RTrimBlank(line);
    size_t split = std::string_view::npos, score_end = 0;
    for (size_t i = line.find(';'); i != std::string_view::npos; i = line.find(';', i + 1)) {
      size_t j = i + 1;
      while (j < line.size() && line[j] >= '0' && line[j] <= '9') ++j;
      if (j > i + 1 && (j == line.size() || line[j] == ';')) {
        split = i;
        score_end = j;
        break;
      }
    }
    if (split == std::string_view::npos) {
      sink.Reject(no, line.find(';') == std::string_view::npos ? "missing score" : "bad score",
                  line);
      return;
    }
    std::string_view regex = line.substr(0, split);
    int score;
    if (!ParseScore(line.substr(split + 1, score_end - split - 1), score)) {
      sink.Reject(no, "bad score", line);
      return;
    }
    if (TrimAscii(regex).empty()) {
      sink.Reject(no, "empty regex", line);
      return;
    }
    Indicator ind;
    ind.kind = Kind::kFilename;
    ind.value = std::string(regex);
    if (score_end < line.size()) ind.fp_regex = std::string(line.substr(score_end + 1));
    ind.score = score;
    ind.description = comment;
    sink.Add(std::move(ind), no);
  });
}

// SERVER[;SCORE]: a domain, IPv4, IPv6, CIDR or URL (defanged forms accepted).
void LoadSigBaseC2(std::string_view text, Sink& sink) {
  ForEachEntry(text, sink, [&](size_t no, std::string_view line, const std::string& comment) {
    line = TrimAscii(line);
    std::string_view value;
    int score = 100;
    if (!SplitTrailingScore(line, no, sink, value, score)) return;
    Indicator ind;
    if (!DetectKind(Refang(value), ind) || !IsNetworkKind(ind.kind)) {
      sink.Reject(no, "unrecognised c2 value", line);
      return;
    }
    ind.score = score;
    ind.description = comment;
    sink.Add(std::move(ind), no);
  });
}

// One literal, case-sensitive keyword a line, kept verbatim.
void LoadSigBaseKeyword(std::string_view text, Sink& sink) {
  ForEachEntry(text, sink, [&](size_t no, std::string_view line, const std::string& comment) {
    Indicator ind;
    ind.kind = Kind::kKeyword;
    ind.value = std::string(line);
    ind.description = comment;
    sink.Add(std::move(ind), no);
  });
}

// VALUE[;SCORE], kind detected after refanging: a one-indicator-per-line
// list. Any other text (an advisory, a web page, an e-mail) is read by the
// free-text reader (freetext.h).
void LoadPlainList(std::string_view text, Sink& sink) {
  ForEachEntry(text, sink, [&](size_t no, std::string_view line, const std::string& comment) {
    line = TrimAscii(line);
    std::string_view value;
    int score = 100;
    if (!SplitTrailingScore(line, no, sink, value, score)) return;
    Indicator ind;
    if (!DetectKind(Refang(value), ind)) {
      sink.Reject(no, "unrecognised value", line);
      return;
    }
    ind.score = score;
    ind.description = comment;
    sink.Add(std::move(ind), no);
  });
}

namespace {

// Names that are documents, never lists.
bool IsDocumentName(std::string_view name) {
  std::string n = ToLowerAscii(name);
  for (std::string_view ext : {".html", ".htm", ".xhtml", ".eml", ".msg", ".md", ".markdown"})
    if (n.size() >= ext.size() && n.compare(n.size() - ext.size(), ext.size(), ext) == 0)
      return true;
  return false;
}

}  // namespace

void LoadPlain(std::string_view text, Sink& sink) {
  if (!IsDocumentName(sink.display()) && IsIndicatorList(text)) {
    LoadPlainList(text, sink);
    return;
  }
  TextResult r = ExtractFreeText(text, sink.display());
  for (TextItem& it : r.items) {
    if (it.taken)
      sink.Add(std::move(it.indicator), it.line);
    else if (it.problem)
      sink.Reject(it.line, it.reason, it.text);
    else
      sink.Note(it.line, it.reason, it.text);
  }
}

// PRODUCT;PLATFORM;VERSION[,VERSION...][;SCORE[;DESCRIPTION]]: one indicator
// per version (see loader.h).
void LoadSigBaseVersion(std::string_view text, Sink& sink) {
  ForEachEntry(text, sink, [&](size_t no, std::string_view line, const std::string& comment) {
    line = TrimAscii(line);
    std::vector<std::string_view> f = Split(line, ';');
    if (f.size() < 3) {
      sink.Reject(no, "missing field (PRODUCT;PLATFORM;VERSIONS)", line);
      return;
    }
    std::string_view product = TrimAscii(f[0]);
    if (product.empty()) {
      sink.Reject(no, "empty product", line);
      return;
    }
    std::string platform = ToLowerAscii(TrimAscii(f[1]));
    if (platform == "win") platform = "windows";
    if (platform == "mac" || platform == "osx" || platform == "darwin") platform = "macos";
    if (platform == "*") platform = "any";
    if (platform != "windows" && platform != "macos" && platform != "linux" && platform != "any") {
      sink.Reject(no, "unknown platform", line);
      return;
    }
    int score = 100;
    std::string_view desc;
    if (f.size() > 3) {
      if (!ParseScore(f[3], score)) {
        sink.Reject(no, "bad score", line);
        return;
      }
      // The description is everything after the fourth ';'.
      size_t at = 0;
      for (int i = 0; i < 4; ++i) at = line.find(';', at) + 1;
      if (f.size() > 4) desc = TrimAscii(line.substr(at));
    }
    std::vector<std::string> versions;
    for (std::string_view v : Split(f[2], ',')) {
      v = TrimAscii(v);
      bool ok = !v.empty();
      for (char c : v)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '_' || c == '+' || c == '-'))
          ok = false;
      if (!ok) {
        sink.Reject(no, v.empty() ? "empty version" : "bad version", line);
        return;
      }
      versions.emplace_back(v);
    }
    for (std::string& v : versions) {
      Indicator ind;
      ind.kind = Kind::kVersion;
      ind.value = std::move(v);
      ind.product = std::string(product);
      ind.platform = platform;
      ind.score = score;
      ind.description = desc.empty() ? comment : std::string(desc);
      sink.Add(std::move(ind), no);
    }
  });
}

}  // namespace trawl::ioc::internal
