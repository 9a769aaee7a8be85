// PCRE2 regex shared by rule copies; JIT-compiled when available.
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>
#include <string>
#include <string_view>

namespace trawl::sigma::detail {

struct Regex {
  pcre2_code* code = nullptr;
  ~Regex() { pcre2_code_free(code); }
  static std::shared_ptr<const Regex> Compile(const std::string& pattern, std::uint32_t flags,
                                              std::string& why) {
    int err = 0;
    PCRE2_SIZE off = 0;
    pcre2_code* c = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                  flags, &err, &off, nullptr);
    if (!c) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(err, buf, sizeof buf);
      why = std::string(reinterpret_cast<char*>(buf)) + " at offset " + std::to_string(off);
      return nullptr;
    }
    pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);  // falls back to the interpreter on failure
    auto r = std::make_shared<Regex>();
    r->code = c;
    return r;
  }
  // Unanchored search. Per-thread match data.
  bool Search(std::string_view s) const {
    struct Data {
      pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
      ~Data() { pcre2_match_data_free(md); }
    };
    thread_local Data data;
    int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, data.md,
                         nullptr);
    return rc >= 0;
  }
};

}  // namespace trawl::sigma::detail
