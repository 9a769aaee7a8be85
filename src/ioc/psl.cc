// The Public Suffix List through libpsl (psl.h).
#include "trawl/ioc/psl.h"

#include <libpsl.h>

#include <memory>

namespace trawl::ioc {
namespace {

struct PslFree {
  void operator()(psl_ctx_t* p) const noexcept { psl_free(p); }
};

struct Psl {
  std::unique_ptr<psl_ctx_t, PslFree> ctx;
  std::string source;
};

// Debian's publicsuffix package installs the list here; libpsl names the same
// file as its distribution file when built for Debian.
constexpr const char* kPackagedFiles[] = {
    "/usr/share/publicsuffix/public_suffix_list.dafsa",
    "/usr/share/publicsuffix/public_suffix_list.dat",
};

const Psl& Get() {
  static const Psl psl = [] {
    Psl p;
    std::string tried;
    auto load = [&](const char* file) {
      if (!file || !*file || p.ctx) return;
      p.ctx.reset(psl_load_file(file));
      if (p.ctx) {
        p.source = file;
      } else {
        tried += std::string(tried.empty() ? "" : ", ") + file;
      }
    };
    load(psl_dist_filename());
    for (const char* f : kPackagedFiles) load(f);
    if (!p.ctx) p.source = "unavailable (cannot load " + tried + "; install publicsuffix)";
    return p;
  }();
  return psl;
}

bool IsSuffix(const psl_ctx_t* ctx, const std::string& s) {
  return psl_is_public_suffix2(ctx, s.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

}  // namespace

bool PslAvailable() { return Get().ctx != nullptr; }
std::string PslSource() { return Get().source; }

std::string PublicSuffix(std::string_view host) {
  const Psl& p = Get();
  if (!p.ctx || host.empty()) return {};
  // The longest suffix that is on the list (rules with exceptions and
  // wildcards are libpsl's business; the default "*" rule is off).
  std::string h(host);
  for (std::size_t at = 0; at < h.size();) {
    std::string cand = h.substr(at);
    if (IsSuffix(p.ctx.get(), cand)) return cand;
    std::size_t dot = h.find('.', at);
    if (dot == std::string::npos) break;
    at = dot + 1;
  }
  return {};
}

std::string RegistrableDomain(std::string_view host) {
  std::string suffix = PublicSuffix(host);
  if (suffix.empty() || suffix.size() >= host.size()) return {};
  std::string_view rest = host.substr(0, host.size() - suffix.size());
  if (rest.back() != '.') return {};
  rest.remove_suffix(1);
  std::size_t dot = rest.rfind('.');
  std::string_view label = dot == std::string_view::npos ? rest : rest.substr(dot + 1);
  if (label.empty()) return {};
  return std::string(label) + "." + suffix;
}

}  // namespace trawl::ioc
