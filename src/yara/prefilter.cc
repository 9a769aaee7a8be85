#include "prefilter.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <unordered_map>

namespace trawl::yara::prefilter {
namespace {

unsigned FlagsOf(const route::StringPattern& p) {
  unsigned f = HS_FLAG_SINGLEMATCH;
  if (!p.literal) f |= HS_FLAG_PREFILTER;
  if (p.caseless) f |= HS_FLAG_CASELESS;
  if (p.dotall) f |= HS_FLAG_DOTALL;
  return f;
}

struct HitContext {
  const route::RouteMask* routes;
  int route;
  bool hit = false;
};

int OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
            unsigned int /*flags*/, void* user) {
  auto* ctx = static_cast<HitContext*>(user);
  if ((ctx->routes[id] >> ctx->route) & 1u) {
    ctx->hit = true;
    return 1;  // stop: one hit is enough
  }
  return 0;
}

}  // namespace

bool Usable(const route::StringPattern& p) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  hs_error_t rc = hs_expression_info(p.expr.c_str(), FlagsOf(p), &info, &err);
  if (err != nullptr) hs_free_compile_error(err);
  std::free(info);  // allocated with the default misc allocator
  return rc == HS_SUCCESS;
}

void Database::Add(const route::StringPattern& p, route::RouteMask routes) {
  unsigned flags = FlagsOf(p);
  std::string key = p.expr;
  key += '\0';
  key += std::to_string(flags);
  if (lookup_ == nullptr)
    lookup_ = std::make_unique<std::unordered_map<std::string, std::size_t>>();
  auto [it, fresh] = lookup_->emplace(std::move(key), exprs_.size());
  if (fresh) {
    exprs_.push_back({p.expr, flags});
    routes_.push_back(routes);
  } else {
    routes_[it->second] |= routes;
  }
}

bool Database::Build(std::string& error, std::string& bad) {
  bad.clear();
  lookup_.reset();
  if (exprs_.empty()) {
    error = "no patterns";
    return false;
  }
  if (exprs_.size() > std::numeric_limits<unsigned>::max()) {
    error = "too many patterns";
    return false;
  }
  std::vector<const char*> ptrs;
  std::vector<unsigned> flags, ids;
  for (std::size_t i = 0; i < exprs_.size(); ++i) {
    ptrs.push_back(exprs_[i].expr.c_str());
    flags.push_back(exprs_[i].flags);
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  hs_error_t rc =
      hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(ptrs.size()),
                       HS_MODE_BLOCK, nullptr, &db, &err);
  if (rc != HS_SUCCESS) {
    error = err != nullptr && err->message != nullptr ? err->message : "hs_compile_multi failed";
    if (err != nullptr && err->expression >= 0 &&
        static_cast<std::size_t>(err->expression) < exprs_.size())
      bad = exprs_[static_cast<std::size_t>(err->expression)].expr;
    if (err != nullptr) hs_free_compile_error(err);
    return false;
  }
  db_.reset(db);
  return true;
}

std::string Database::Serialize() const {
  if (!db_) return {};
  char* bytes = nullptr;
  std::size_t length = 0;
  if (hs_serialize_database(db_.get(), &bytes, &length) != HS_SUCCESS || bytes == nullptr) return {};
  std::string out(bytes, length);
  std::free(bytes);  // the default misc allocator
  return out;
}

bool Database::Adopt(std::string_view bytes) {
  lookup_.reset();
  hs_database_t* db = nullptr;
  if (bytes.empty() || hs_deserialize_database(bytes.data(), bytes.size(), &db) != HS_SUCCESS)
    return false;
  DatabasePtr owned(db);
  // The database must run here: one scan of nothing with a scratch of its own.
  hs_scratch_t* s = nullptr;
  if (hs_alloc_scratch(db, &s) != HS_SUCCESS) return false;
  ScratchPtr scratch(s);
  static const char kEmpty[1] = {0};
  auto none = [](unsigned int, unsigned long long, unsigned long long, unsigned int,
                 void*) -> int { return 0; };
  if (hs_scan(db, kEmpty, 0, 0, s, none, nullptr) != HS_SUCCESS) return false;
  db_ = std::move(owned);
  return true;
}

ScratchPtr Database::NewScratch() const {
  hs_scratch_t* s = nullptr;
  if (!db_ || hs_alloc_scratch(db_.get(), &s) != HS_SUCCESS) return nullptr;
  return ScratchPtr(s);
}

bool Database::AnyHit(const std::uint8_t* data, std::size_t n, int route,
                      hs_scratch_t* scratch) const {
  if (n > std::numeric_limits<unsigned>::max() || scratch == nullptr) return true;
  HitContext ctx{routes_.data(), route};
  static const char kEmpty[1] = {0};
  hs_error_t rc = hs_scan(db_.get(), n == 0 ? kEmpty : reinterpret_cast<const char*>(data),
                          static_cast<unsigned>(n), 0, scratch, OnMatch, &ctx);
  if (rc == HS_SUCCESS) return ctx.hit;
  return true;  // HS_SCAN_TERMINATED (a hit) or an error: scan with the full set
}

}  // namespace trawl::yara::prefilter
