#include "plist_shape.h"

#include <fmt/format.h>

#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

namespace trawl::inventory::detail {
namespace {

std::uint64_t BigEndian(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

Status TooDeep(int max_depth) {
  return Status::Error(fmt::format(
      "property list nested deeper than {} levels (not parsed: a planted plist)", max_depth));
}

// Binary plist ("bplist00"): walk the object graph from the top object,
// expanding shared references as libplist does, with an explicit stack.
Status CheckBinary(const std::uint8_t* d, std::size_t n, const PlistLimits& lim) {
  if (n < 8 + 32) return Status::Ok();  // libplist refuses it
  const std::uint8_t* t = d + n - 32;
  const std::size_t off_size = t[6], ref_size = t[7];
  const std::uint64_t count = BigEndian(t + 8, 8), top = BigEndian(t + 16, 8),
                      table = BigEndian(t + 24, 8);
  if (off_size < 1 || off_size > 8 || ref_size < 1 || ref_size > 8 || count == 0 || top >= count ||
      table >= n - 32 || count > (n - 32 - table) / off_size)
    return Status::Ok();  // malformed trailer: libplist refuses it
  auto offset_of = [&](std::uint64_t obj) -> std::uint64_t {
    return BigEndian(d + table + obj * off_size, off_size);
  };
  struct Frame {
    std::uint64_t obj;
    int depth;
  };
  std::vector<Frame> stack{{top, 1}};
  std::uint64_t nodes = 0;
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    if (++nodes > lim.max_nodes)
      return Status::Error(fmt::format(
          "binary property list expands to more than {} objects (not parsed: a planted plist)",
          lim.max_nodes));
    if (f.depth > lim.max_depth) return TooDeep(lim.max_depth);
    std::uint64_t at = offset_of(f.obj);
    if (at >= table) continue;  // object outside the object area: libplist refuses it
    std::uint8_t marker = d[at];
    std::uint8_t type = marker >> 4;
    if (type != 0xA && type != 0xC && type != 0xD) continue;  // not a container
    std::uint64_t len = marker & 0x0F;
    std::uint64_t p = at + 1;
    if (len == 0x0F) {  // the count follows as an int object: 0x1m, then 2^m bytes
      if (p >= table || (d[p] >> 4) != 0x1) continue;
      std::size_t bytes = std::size_t{1} << (d[p] & 0x0F);
      if (bytes > 8 || p + 1 + bytes > table) continue;
      len = BigEndian(d + p + 1, bytes);
      p += 1 + bytes;
    }
    std::uint64_t refs = type == 0xD ? 2 * len : len;
    if (len > table || refs > (table - p) / ref_size) continue;  // beyond the data: refused later
    for (std::uint64_t i = 0; i < refs; ++i) {
      std::uint64_t child = BigEndian(d + p + i * ref_size, ref_size);
      if (child >= count) continue;
      stack.push_back({child, f.depth + 1});
      if (stack.size() > lim.max_nodes)
        return Status::Error(fmt::format(
            "binary property list expands to more than {} objects (not parsed: a planted plist)",
            lim.max_nodes));
    }
  }
  return Status::Ok();
}

bool StartsWith(std::string_view s, std::size_t at, std::string_view prefix) {
  return s.size() - at >= prefix.size() && s.compare(at, prefix.size(), prefix) == 0;
}

// XML plist: the nesting of <dict> and <array> elements (self-closing ones do
// not nest). Tags inside comments or CDATA are counted too: a deliberately
// odd file is refused, never parsed unbounded.
Status CheckXml(std::string_view s, const PlistLimits& lim) {
  int depth = 0;
  for (std::size_t at = s.find('<'); at != std::string_view::npos; at = s.find('<', at + 1)) {
    bool open = StartsWith(s, at, "<dict") || StartsWith(s, at, "<array");
    bool close = StartsWith(s, at, "</dict") || StartsWith(s, at, "</array");
    if (open) {
      std::size_t end = s.find('>', at);
      if (end != std::string_view::npos && end > at && s[end - 1] == '/') continue;  // <dict/>
      if (++depth > lim.max_depth) return TooDeep(lim.max_depth);
    } else if (close && depth > 0) {
      --depth;
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckPlistShape(const std::uint8_t* data, std::size_t n, PlistLimits limits) {
  if (n >= 8 && std::memcmp(data, "bplist00", 8) == 0) return CheckBinary(data, n, limits);
  return CheckXml(std::string_view(reinterpret_cast<const char*>(data), n), limits);
}

}  // namespace trawl::inventory::detail
