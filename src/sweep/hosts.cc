#include "trawl/sweep/hosts.h"

#include <fmt/format.h>

namespace trawl::sweep {

std::string_view HostTally::KindName(int k) {
  static constexpr std::string_view kNames[kKinds] = {"domain", "ipv4", "ipv6", "url"};
  return kNames[k];
}

int HostTally::KindIndex(std::string_view kind) {
  if (kind == "ipv4") return 1;
  if (kind == "ipv6") return 2;
  if (kind == "url") return 3;
  return 0;  // "domain"
}

void HostTally::Count(std::string_view kind, std::string_view value,
                      std::optional<std::int64_t> t, std::uint64_t where) {
  bool fresh = false;
  Agg& a = maps_[KindIndex(kind)].FindOrInsert(value, fresh);
  if (fresh) {
    a.where = where;
    ++size_;
  }
  a.count++;
  if (t) {
    if (!a.first_ms || *t < *a.first_ms) a.first_ms = t;
    if (!a.last_ms || *t > *a.last_ms) a.last_ms = t;
  }
}

void HostTally::AddText(std::string_view text, std::optional<std::int64_t> time_ms,
                        std::string_view example) {
  netmatch::ExtractHosts(text, [&](std::string_view kind, std::string_view value, std::size_t) {
    std::size_t before = size_;
    Count(kind, value, time_ms, 0);
    if (size_ != before) maps_[KindIndex(kind)].entries().back().value.example = std::string(example);
  });
  if (flush_ && size_ >= max_) Flush();
}

std::vector<Context::HostSighting> HostTally::Take(std::uint64_t where_base) {
  std::vector<Context::HostSighting> out;
  out.reserve(size_);
  Drain([&](std::string_view kind, std::string&& value, Agg& a) {
    std::string example = std::move(a.example);
    if (example.empty()) {
      example.reserve(prefix_.size() + 21);
      example.assign(prefix_);
      example.push_back(':');
      fmt::format_to(std::back_inserter(example), "{}", a.where + where_base);
    }
    out.push_back({std::move(value), std::string(kind), a.count, a.first_ms, a.last_ms,
                   std::move(example)});
  });
  return out;
}

void HostTally::Flush() {
  if (!flush_ || size_ == 0) return;
  flush_(Take());
}

void HostTally::Clear() {
  for (Map& m : maps_) m.clear();
  size_ = 0;
}

}  // namespace trawl::sweep
