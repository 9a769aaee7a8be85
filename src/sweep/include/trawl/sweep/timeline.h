// The contact timeline across every sweep: per network indicator, first and
// last contact, hits and sources (files). Fed through Context::AddContacts;
// Add is thread-safe.
#pragma once

#include <mutex>

#include "trawl/sweep/sweep.h"

namespace trawl::sweep {

class ContactTimeline {
 public:
  struct Entry {
    const ioc::Indicator* indicator = nullptr;
    std::uint64_t hits = 0;
    std::uint64_t files = 0;
    std::optional<std::int64_t> first_ms, last_ms;
  };
  void Add(const std::map<const ioc::Indicator*, Context::Contact>& contacts);
  // Sorted by first contact (entries without a time last), then by `value_of`
  // (the indicator's value; sweep does not know ioc's types).
  std::vector<Entry> Entries(std::string_view (*value_of)(const ioc::Indicator*)) const;

 private:
  mutable std::mutex mu_;
  std::map<const ioc::Indicator*, Entry> entries_;
};

}  // namespace trawl::sweep
