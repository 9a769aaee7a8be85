#include "trawl/match/filename.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs.h>
#include <pcre2.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

namespace trawl::match {
namespace {

struct HsDatabaseDeleter {
  void operator()(hs_database_t* db) const noexcept { hs_free_database(db); }
};
struct HsScratchDeleter {
  void operator()(hs_scratch_t* s) const noexcept { hs_free_scratch(s); }
};
struct HsCompileErrorDeleter {
  void operator()(hs_compile_error_t* e) const noexcept { hs_free_compile_error(e); }
};
struct PcreCodeDeleter {
  void operator()(pcre2_code* c) const noexcept { pcre2_code_free(c); }
};
struct PcreMatchDataDeleter {
  void operator()(pcre2_match_data* m) const noexcept { pcre2_match_data_free(m); }
};
struct PcreMatchContextDeleter {
  void operator()(pcre2_match_context* m) const noexcept { pcre2_match_context_free(m); }
};
struct PcreCompileContextDeleter {
  void operator()(pcre2_compile_context* c) const noexcept { pcre2_compile_context_free(c); }
};
struct PcreJitStackDeleter {
  void operator()(pcre2_jit_stack* s) const noexcept { pcre2_jit_stack_free(s); }
};

using HsDatabase = std::unique_ptr<hs_database_t, HsDatabaseDeleter>;
using HsScratch = std::unique_ptr<hs_scratch_t, HsScratchDeleter>;
using HsCompileError = std::unique_ptr<hs_compile_error_t, HsCompileErrorDeleter>;
using PcreCode = std::unique_ptr<pcre2_code, PcreCodeDeleter>;

// Python's `\Z` is the absolute end of the subject; in PCRE2 and Vectorscan
// that is `\z` (their `\Z` also matches before a final newline). Every other
// escape is copied as it is.
std::string TranslatePythonEscapes(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size());
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      char next = pattern[i + 1];
      out.push_back('\\');
      out.push_back(next == 'Z' ? 'z' : next);
      ++i;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// Leading global inline flags, e.g. "(?i)" or "(?is)", become Vectorscan
// compile flags (Vectorscan accepts inline flags only in some positions).
// Only i, m and s are mapped; any other letter leaves the group in place.
unsigned StripLeadingFlags(std::string& pattern) {
  unsigned flags = 0;
  for (;;) {
    if (pattern.size() < 4 || pattern[0] != '(' || pattern[1] != '?') return flags;
    std::size_t close = pattern.find(')', 2);
    if (close == std::string::npos || close == 2) return flags;
    unsigned group = 0;
    for (std::size_t i = 2; i < close; ++i) {
      switch (pattern[i]) {
        case 'i':
          group |= HS_FLAG_CASELESS;
          break;
        case 'm':
          group |= HS_FLAG_MULTILINE;
          break;
        case 's':
          group |= HS_FLAG_DOTALL;
          break;
        default:
          return flags;
      }
    }
    flags |= group;
    pattern.erase(0, close + 1);
  }
}

std::string PcreErrorText(int code) {
  PCRE2_UCHAR buf[256];
  int n = pcre2_get_error_message(code, buf, sizeof buf);
  if (n < 0) return "pcre2 error " + std::to_string(code);
  return std::string(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

// Compiles `pattern` with Python-compatible options: bytes (never UTF), LF
// newline, `$` before a final newline, no DOTALL. JIT when available.
Result<PcreCode> CompilePcre(std::string_view pattern, pcre2_compile_context* ctx) {
  std::string translated = TranslatePythonEscapes(pattern);
  int err = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(
      reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
      PCRE2_NEVER_UTF | PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C, &err, &offset, ctx);
  if (code == nullptr) {
    return Status::Error(PcreErrorText(err) + " at offset " + std::to_string(offset));
  }
  // JIT is an optimisation only: the interpreter runs when it fails.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return PcreCode(code);
}

struct Pattern {
  const ioc::Indicator* indicator = nullptr;
  PcreCode fp;  // null when none (or it did not compile)
};

struct Fallback {
  std::uint32_t id = 0;  // index into patterns
  PcreCode code;
};

// --- Database cache ----------------------------------------------------------
// File: "TRAWLHS1", 16-byte key, hs_serialize_database bytes. The key hashes
// the Vectorscan version and every (id, flags, expression) compiled.

constexpr char kCacheMagic[8] = {'T', 'R', 'A', 'W', 'L', 'H', 'S', '1'};

struct CacheKey {
  std::uint64_t a = 0xcbf29ce484222325ull;  // FNV-1a, two different seeds
  std::uint64_t b = 0x84222325cbf29ce4ull;
  void Add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      a = (a ^ c) * 0x100000001b3ull;
      b = (b ^ c) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
    }
  }
  void Add(std::uint64_t v) { Add(std::string_view(reinterpret_cast<const char*>(&v), sizeof v)); }
  std::string Hex() const {
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(b));
    return buf;
  }
  std::string Bytes() const {
    std::string out(16, '\0');
    std::memcpy(out.data(), &a, 8);
    std::memcpy(out.data() + 8, &b, 8);
    return out;
  }
};

HsDatabase LoadCachedDatabase(const std::string& file, const CacheKey& key) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return nullptr;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string kb = key.Bytes();
  if (data.size() <= sizeof kCacheMagic + kb.size() ||
      data.compare(0, sizeof kCacheMagic, kCacheMagic, sizeof kCacheMagic) != 0 ||
      data.compare(sizeof kCacheMagic, kb.size(), kb) != 0) {
    return nullptr;
  }
  const std::size_t off = sizeof kCacheMagic + kb.size();
  hs_database_t* db = nullptr;
  // Vectorscan checks the version, platform and the database's own checksum.
  if (hs_deserialize_database(data.data() + off, data.size() - off, &db) != HS_SUCCESS) {
    return nullptr;
  }
  return HsDatabase(db);
}

// Writes atomically (temporary file, then rename). Returns an error text.
std::string StoreCachedDatabase(const std::string& dir, const std::string& file,
                                const CacheKey& key, const hs_database_t* db) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return dir + ": " + ec.message();
  char* bytes = nullptr;
  std::size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS)
    return "hs_serialize_database failed";
  std::unique_ptr<char, decltype(&std::free)> owned(bytes, &std::free);
  const std::string tmp = file + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(kCacheMagic, sizeof kCacheMagic);
    const std::string kb = key.Bytes();
    out.write(kb.data(), static_cast<std::streamsize>(kb.size()));
    out.write(bytes, static_cast<std::streamsize>(length));
    out.flush();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return tmp + ": write failed";
    }
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return file + ": " + ec.message();
  }
  return "";
}

}  // namespace

struct FilenameMatcher::Impl {
  std::vector<Pattern> patterns;  // id -> pattern, in Build order
  HsDatabase db;                  // null when no pattern compiled with Vectorscan
  std::size_t db_bytes = 0;
  std::vector<Fallback> fallbacks;
  std::size_t active = 0;  // patterns that can report (vectorscan + fallback)
};

struct FilenameMatcher::Scratch::Impl {
  HsScratch hs;
  std::unique_ptr<pcre2_match_data, PcreMatchDataDeleter> md;
  std::unique_ptr<pcre2_jit_stack, PcreJitStackDeleter> jit_stack;
  std::unique_ptr<pcre2_match_context, PcreMatchContextDeleter> mctx;
  std::vector<std::uint32_t> candidates;
};

FilenameMatcher::Scratch::Scratch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FilenameMatcher::Scratch::~Scratch() = default;

FilenameMatcher::FilenameMatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FilenameMatcher::FilenameMatcher(FilenameMatcher&&) noexcept = default;
FilenameMatcher& FilenameMatcher::operator=(FilenameMatcher&&) noexcept = default;
FilenameMatcher::~FilenameMatcher() = default;

Result<FilenameMatcher> FilenameMatcher::Build(
    const std::vector<const ioc::Indicator*>& filename_indicators, BuildStats& stats) {
  return Build(filename_indicators, stats, BuildOptions{});
}

Result<FilenameMatcher> FilenameMatcher::Build(
    const std::vector<const ioc::Indicator*>& filename_indicators, BuildStats& stats,
    const BuildOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();

  std::unique_ptr<pcre2_compile_context, PcreCompileContextDeleter> cctx(
      pcre2_compile_context_create(nullptr));
  if (!cctx) return Status::Error("filename matcher: out of memory (pcre2 compile context)");
  pcre2_set_newline(cctx.get(), PCRE2_NEWLINE_LF);
  pcre2_set_bsr(cctx.get(), PCRE2_BSR_ANYCRLF);

  for (const ioc::Indicator* ind : filename_indicators) {
    if (ind == nullptr || ind->kind != ioc::Kind::kFilename) continue;
    Pattern p;
    p.indicator = ind;
    if (!ind->fp_regex.empty()) {
      auto fp = CompilePcre(ind->fp_regex, cctx.get());
      if (fp.ok()) {
        p.fp = std::move(fp).value();
      } else {
        ++stats.fp_failed;
        stats.problems.push_back(
            {ind->source, "false-positive regex does not compile (" + fp.status().message() +
                              "); the indicator applies without it: " + ind->fp_regex});
      }
    }
    impl->patterns.push_back(std::move(p));
  }
  const std::size_t n = impl->patterns.size();
  stats.patterns += n;

  // Vectorscan form of each pattern.
  std::vector<std::string> exprs(n);
  std::vector<unsigned> flags(n);
  std::vector<std::string> hs_error(n);  // non-empty: Vectorscan rejected it
  for (std::size_t i = 0; i < n; ++i) {
    exprs[i] = TranslatePythonEscapes(impl->patterns[i].indicator->value);
    flags[i] = StripLeadingFlags(exprs[i]) | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
    // A cheap parse first: it catches most unsupported constructs without a
    // full database compile per failure.
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_expression_info(exprs[i].c_str(), flags[i], &info, &err) != HS_SUCCESS) {
      hs_error[i] = err != nullptr && err->message != nullptr ? err->message : "rejected";
      hs_free_compile_error(err);
    }
    std::free(info);  // hs_expression_info allocates with the default misc allocator
  }

  // A cached database for exactly these expressions, when a cache is used.
  CacheKey key;
  std::string cache_file;
  if (!options.cache_dir.empty()) {
    key.Add(std::string_view(hs_version()));
    for (std::size_t i = 0; i < n; ++i) {
      if (!hs_error[i].empty()) continue;
      key.Add(static_cast<std::uint64_t>(i));
      key.Add(static_cast<std::uint64_t>(flags[i]));
      key.Add(static_cast<std::uint64_t>(exprs[i].size()));
      key.Add(exprs[i]);
    }
    cache_file = options.cache_dir + "/filenames-" + key.Hex() + ".hsdb";
    impl->db = LoadCachedDatabase(cache_file, key);
    stats.cache_hit = impl->db != nullptr;
  }
  bool first_attempt = true;

  // One database of the rest. A compile error names the expression: move it
  // to the fallback and retry. An error naming no expression (resources)
  // sends every remaining pattern to the fallback.
  while (!impl->db) {
    std::vector<const char*> ptrs;
    std::vector<unsigned> fl;
    std::vector<unsigned> ids;
    for (std::size_t i = 0; i < n; ++i) {
      if (!hs_error[i].empty()) continue;
      ptrs.push_back(exprs[i].c_str());
      fl.push_back(flags[i]);
      ids.push_back(static_cast<unsigned>(i));
    }
    if (ptrs.empty()) break;
    hs_database_t* db = nullptr;
    hs_compile_error_t* raw_err = nullptr;
    hs_error_t rc =
        hs_compile_multi(ptrs.data(), fl.data(), ids.data(), static_cast<unsigned>(ptrs.size()),
                         HS_MODE_BLOCK, nullptr, &db, &raw_err);
    HsCompileError err(raw_err);
    if (rc == HS_SUCCESS) {
      impl->db.reset(db);
      // Cached only when no pattern was moved out here: the key covers
      // exactly what was compiled then.
      if (!cache_file.empty() && first_attempt) {
        stats.cache_error = StoreCachedDatabase(options.cache_dir, cache_file, key, db);
      }
      break;
    }
    first_attempt = false;
    std::string msg = err && err->message != nullptr ? err->message : "compile failed";
    if (err && err->expression >= 0 && static_cast<std::size_t>(err->expression) < ids.size()) {
      hs_error[ids[static_cast<std::size_t>(err->expression)]] = msg;
    } else {
      for (unsigned id : ids) hs_error[id] = "database: " + msg;
    }
  }

  if (impl->db) {
    std::size_t size = 0;
    if (hs_database_size(impl->db.get(), &size) == HS_SUCCESS) impl->db_bytes = size;
  }

  for (std::size_t i = 0; i < n; ++i) {
    const ioc::Indicator* ind = impl->patterns[i].indicator;
    if (hs_error[i].empty()) {
      ++stats.vectorscan;
      continue;
    }
    auto code = CompilePcre(ind->value, cctx.get());
    if (code.ok()) {
      ++stats.fallback;
      impl->fallbacks.push_back({static_cast<std::uint32_t>(i), std::move(code).value()});
      stats.problems.push_back({ind->source, "compiled with PCRE2 fallback (vectorscan: " +
                                                 hs_error[i] + "): " + ind->value});
    } else {
      ++stats.failed;
      stats.problems.push_back(
          {ind->source, "pattern compiles with neither engine (vectorscan: " + hs_error[i] +
                            "; pcre2: " + code.status().message() + "): " + ind->value});
    }
  }
  impl->active = (impl->db ? 1 : 0) + impl->fallbacks.size();
  stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return FilenameMatcher(std::move(impl));
}

std::unique_ptr<FilenameMatcher::Scratch> FilenameMatcher::MakeScratch() const {
  auto s = std::make_unique<Scratch::Impl>();
  if (impl_->db) {
    hs_scratch_t* raw = nullptr;
    if (hs_alloc_scratch(impl_->db.get(), &raw) == HS_SUCCESS) s->hs.reset(raw);
  }
  s->md.reset(pcre2_match_data_create(1, nullptr));
  s->mctx.reset(pcre2_match_context_create(nullptr));
  s->jit_stack.reset(pcre2_jit_stack_create(32 * 1024, 1024 * 1024, nullptr));
  if (s->mctx && s->jit_stack) pcre2_jit_stack_assign(s->mctx.get(), nullptr, s->jit_stack.get());
  return std::unique_ptr<Scratch>(new Scratch(std::move(s)));
}

namespace {

int OnHsMatch(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
              unsigned int /*flags*/, void* ctx) {
  static_cast<std::vector<std::uint32_t>*>(ctx)->push_back(id);
  return 0;  // keep scanning: SINGLEMATCH reports each pattern once
}

// Python re.search on the bytes of `s`. A PCRE2 error (match or depth limit)
// counts as no match and is counted in `errors`.
bool PcreSearch(const pcre2_code* code, std::string_view s, pcre2_match_data* md,
                pcre2_match_context* mctx, std::uint64_t& errors) {
  if (md == nullptr) {
    ++errors;
    return false;
  }
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(s.empty() ? "" : s.data());
  int rc = pcre2_match(code, subject, s.size(), 0, 0, md, mctx);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    rc = pcre2_match(code, subject, s.size(), 0, PCRE2_NO_JIT, md, mctx);
  }
  if (rc >= 0) return true;  // 0: matched, ovector too small (we need none)
  if (rc != PCRE2_ERROR_NOMATCH) ++errors;
  return false;
}

}  // namespace

void FilenameMatcher::Match(std::string_view path, Scratch& scratch,
                            std::vector<const ioc::Indicator*>& hits) const {
  Scratch::Impl& s = *scratch.impl_;
  s.candidates.clear();
  const char* data = path.empty() ? "" : path.data();
  if (impl_->db) {
    if (!s.hs) {
      ++scratch.engine_errors_;
    } else if (hs_scan(impl_->db.get(), data, static_cast<unsigned>(path.size()), 0, s.hs.get(),
                       OnHsMatch, &s.candidates) != HS_SUCCESS) {
      ++scratch.engine_errors_;
    }
  }
  for (const Fallback& f : impl_->fallbacks) {
    if (PcreSearch(f.code.get(), path, s.md.get(), s.mctx.get(), scratch.engine_errors_)) {
      s.candidates.push_back(f.id);
    }
  }
  if (s.candidates.empty()) return;
  std::sort(s.candidates.begin(), s.candidates.end());
  s.candidates.erase(std::unique(s.candidates.begin(), s.candidates.end()), s.candidates.end());
  for (std::uint32_t id : s.candidates) {
    const Pattern& p = impl_->patterns[id];
    if (p.fp && PcreSearch(p.fp.get(), path, s.md.get(), s.mctx.get(), scratch.engine_errors_)) {
      continue;  // this indicator's own false-positive regex cancels it
    }
    hits.push_back(p.indicator);
  }
}

bool FilenameMatcher::empty() const { return impl_->active == 0; }

std::size_t FilenameMatcher::database_bytes() const { return impl_->db_bytes; }

}  // namespace trawl::match

namespace trawl::match {

std::string DefaultCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/trawl";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return std::string(home) + "/.cache/trawl";
  return "";
}

}  // namespace trawl::match
