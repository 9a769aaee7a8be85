// Evaluation context for one event (internal).
#pragma once

#include <string>
#include <vector>

#include "internal.h"

namespace trawl::sigma::detail {

struct EvalContext {
  const Event* ev = nullptr;
  std::vector<std::string> folded;  // lower-case copies, index = field (size() = raw)
  std::vector<char> folded_ok;
  std::vector<std::pair<std::string, std::string>> recorded;
  int no_record = 0;  // > 0 under `not`

  void Reset(const Event& e) {
    ev = &e;
    std::size_t n = e.fields.size() + 1;
    if (folded.size() < n) folded.resize(n);
    folded_ok.assign(n, 0);
    recorded.clear();
    no_record = 0;
  }
  std::string_view Value(std::size_t i) const {
    return i < ev->fields.size() ? ev->fields[i].second : ev->raw;
  }
  std::string_view Folded(std::size_t i) {
    if (!folded_ok[i]) {
      std::string_view v = Value(i);
      std::string& f = folded[i];
      f.assign(v.data(), v.size());
      for (char& c : f)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      folded_ok[i] = 1;
    }
    return folded[i];
  }
};

}  // namespace trawl::sigma::detail
