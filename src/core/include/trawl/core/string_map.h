// StringMap<V>: a hash map from byte strings to V for tallies of many short
// distinct strings (the contact index counts hundreds of thousands of host
// names and addresses per scan). Keys are copied once into one arena (no
// allocation per key), entries live in one vector (no node per entry), and
// lookup is open addressing over a slot array holding entry indexes, with
// the full hash kept beside each entry so a probe compares bytes only when
// the hashes agree. Entries are never removed one by one; clear() empties the
// map and keeps its memory for reuse.
//
// Not thread-safe; references to values are invalidated by the next insert.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace trawl {

// A fast 64-bit hash of a byte string (8 bytes per step, multiply-xorshift
// mixing). Not for adversarial inputs' sake alone: a hostile log can collide
// keys, which only slows the probe (open addressing stays correct).
inline std::uint64_t HashBytes(std::string_view s) noexcept {
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  std::uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ w) * 0x94d049bb133111ebull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

template <class V>
class StringMap {
 public:
  struct Entry {
    std::uint64_t hash;
    std::size_t off;    // of the key in the arena
    std::uint32_t len;  // of the key
    V value;
  };

  // The value of `key`, inserted as V{} when absent (`fresh` says so).
  // REQUIRES: key.size() < 4 GiB.
  V& FindOrInsert(std::string_view key, bool& fresh) {
    if ((entries_.size() + 1) * 2 > slots_.size()) Grow();
    const std::uint64_t h = HashBytes(key);
    std::size_t i = static_cast<std::size_t>(h) & mask_;
    while (std::uint32_t s = slots_[i]) {
      Entry& e = entries_[s - 1];
      if (e.hash == h && e.len == key.size() &&
          std::memcmp(arena_.data() + e.off, key.data(), key.size()) == 0) {
        fresh = false;
        return e.value;
      }
      i = (i + 1) & mask_;
    }
    fresh = true;
    entries_.push_back({h, arena_.size(), static_cast<std::uint32_t>(key.size()), V{}});
    arena_.append(key);
    slots_[i] = static_cast<std::uint32_t>(entries_.size());
    return entries_.back().value;
  }

  std::string_view Key(const Entry& e) const { return {arena_.data() + e.off, e.len}; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<Entry>& entries() { return entries_; }
  const std::vector<Entry>& entries() const { return entries_; }
  // Bytes held by keys.
  std::size_t key_bytes() const { return arena_.size(); }

  void clear() {
    arena_.clear();
    entries_.clear();
    std::fill(slots_.begin(), slots_.end(), 0u);
  }

 private:
  void Grow() {
    std::size_t n = std::max<std::size_t>(slots_.size() * 2, 1024);
    slots_.assign(n, 0u);
    mask_ = n - 1;
    for (std::size_t k = 0; k < entries_.size(); ++k) {
      std::size_t i = static_cast<std::size_t>(entries_[k].hash) & mask_;
      while (slots_[i]) i = (i + 1) & mask_;
      slots_[i] = static_cast<std::uint32_t>(k + 1);
    }
  }

  std::string arena_;
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> slots_;
  std::size_t mask_ = 0;
};

}  // namespace trawl
