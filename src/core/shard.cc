#include "trawl/core/shard.h"

#include <charconv>

namespace trawl {

std::uint64_t StableHash64(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a offset basis
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;  // FNV prime
  }
  return h;
}

std::string Shard::Name() const { return std::to_string(index) + "/" + std::to_string(count); }

namespace {

constexpr std::uint32_t kMaxShards = 65536;

bool ParseNumber(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s.size() > 6) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<Shard> ParseShard(std::string_view text) {
  std::string shown(text.substr(0, 40));
  auto bad = [&](const char* why) {
    return Status::Error("--shard " + shown + ": " + why + " (expected I/N, 1 <= I <= N)");
  };
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad("no '/'");
  Shard s;
  if (!ParseNumber(text.substr(0, slash), s.index) || !ParseNumber(text.substr(slash + 1), s.count))
    return bad("not two decimal numbers");
  if (s.count == 0) return bad("N must be at least 1");
  if (s.count > kMaxShards) return bad("N must be at most 65536");
  if (s.index == 0) return bad("I counts from 1");
  if (s.index > s.count) return bad("I is larger than N");
  return s;
}

}  // namespace trawl
