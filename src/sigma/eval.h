// Evaluation context for one event (internal).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "internal.h"

namespace trawl::sigma::detail {

// Field names the rules use, interned to small ids (built by Engine::Finish).
using FieldIds = std::unordered_map<std::string_view, std::int32_t>;

struct EvalContext {
  const Event* ev = nullptr;
  const FieldIds* ids = nullptr;
  // Per event: the fields of each interned name, as a chain in document order.
  std::vector<std::uint32_t> stamp;  // id -> gen when head is valid
  std::vector<std::int32_t> head;    // id -> first field index
  std::vector<std::int32_t> next;    // field index -> next field index of the same name
  std::vector<std::int32_t> fid;     // field index -> interned id of its name, or -1
  std::uint32_t gen = 0;
  std::vector<std::string> folded;  // lower-case copies, index = field (size() = raw)
  std::vector<char> folded_ok;
  std::vector<std::pair<std::string_view, std::string_view>> recorded;  // views: rule / event
  int no_record = 0;  // > 0 under `not`

  void Reset(const Event& e) {
    ev = &e;
    std::size_t n = e.fields.size() + 1;
    if (folded.size() < n) folded.resize(n);
    folded_ok.assign(n, 0);
    recorded.clear();
    no_record = 0;
    if (!ids) return;
    if (stamp.size() < ids->size()) {
      stamp.resize(ids->size(), 0);
      head.resize(ids->size(), -1);
    }
    if (++gen == 0) {
      std::fill(stamp.begin(), stamp.end(), 0);
      gen = 1;
    }
    next.resize(e.fields.size());
    fid.resize(e.fields.size());
    for (std::size_t i = e.fields.size(); i-- > 0;) {
      auto it = ids->find(e.fields[i].first);
      if (it == ids->end()) {
        fid[i] = -1;
        continue;
      }
      std::int32_t id = it->second;
      fid[i] = id;
      next[i] = stamp[static_cast<std::size_t>(id)] == gen ? head[static_cast<std::size_t>(id)] : -1;
      head[static_cast<std::size_t>(id)] = static_cast<std::int32_t>(i);
      stamp[static_cast<std::size_t>(id)] = gen;
    }
  }
  // First field index named by interned id `id`, or -1.
  std::int32_t First(std::int32_t id) const {
    return (ids && id >= 0 && stamp[static_cast<std::size_t>(id)] == gen)
               ? head[static_cast<std::size_t>(id)]
               : -1;
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
