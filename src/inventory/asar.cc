#include "trawl/inventory/asar.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "trawl/core/text.h"

namespace trawl::inventory {
namespace {

constexpr std::uint64_t kMaxHeader = 64u << 20;
constexpr std::uint64_t kMaxMember = 16u << 20;

std::uint32_t U32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8) |
         (static_cast<std::uint32_t>(b[at + 2]) << 16) |
         (static_cast<std::uint32_t>(b[at + 3]) << 24);
}

struct Header {
  nlohmann::json tree;
  std::uint64_t data_start = 0;
};

Result<Header> ReadHeader(const ReadAtFn& read_at, std::uint64_t file_size) {
  std::vector<std::uint8_t> b;
  if (Status st = read_at(0, 16, b); !st.ok()) return st;
  if (b.size() < 16) return Status::Error("asar: shorter than its 16-byte prefix");
  // Pickle 1: payload size 4, then the size of pickle 2.
  if (U32(b, 0) != 4) return Status::Error("asar: not an asar archive (bad size pickle)");
  std::uint64_t header_size = U32(b, 4);
  // Pickle 2: payload size, then the JSON string's length and bytes.
  std::uint64_t payload = U32(b, 8);
  std::uint64_t json_len = U32(b, 12);
  if (payload + 4 != header_size || json_len + 4 > payload)
    return Status::Error(fmt::format("asar: inconsistent header sizes ({}, {}, {})", header_size,
                                     payload, json_len));
  if (json_len > kMaxHeader) return Status::Error("asar: header larger than 64 MiB");
  if (8 + header_size > file_size) return Status::Error("asar: header beyond the end of the file");
  std::vector<std::uint8_t> js;
  if (Status st = read_at(16, static_cast<std::size_t>(json_len), js); !st.ok()) return st;
  if (js.size() != json_len) return Status::Error("asar: truncated header");
  Header h;
  h.tree = nlohmann::json::parse(js.begin(), js.end(), nullptr, /*allow_exceptions=*/false);
  if (h.tree.is_discarded()) return Status::Error("asar: header is not valid JSON");
  if (!h.tree.is_object()) return Status::Error("asar: header is not a JSON object");
  h.data_start = 8 + header_size;
  return h;
}

bool ToUint(const nlohmann::json& v, std::uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<std::uint64_t>();
    return true;
  }
  if (v.is_number_integer()) {
    std::int64_t i = v.get<std::int64_t>();
    if (i < 0) return false;
    out = static_cast<std::uint64_t>(i);
    return true;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > 19) return false;
    out = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      out = out * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
  }
  return false;
}

std::string StringOr(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace

Result<AsarMember> FindAsarMember(const ReadAtFn& read_at, std::uint64_t file_size,
                                  std::string_view member_path) {
  auto h = ReadHeader(read_at, file_size);
  if (!h.ok()) return h.status();
  const nlohmann::json* node = &h->tree;
  for (std::string_view part : Split(member_path, '/')) {
    if (part.empty()) continue;
    auto files = node->find("files");
    if (files == node->end() || !files->is_object())
      return Status::Error(fmt::format("asar: no {}", member_path));
    auto it = files->find(std::string(part));
    if (it == files->end() || !it->is_object())
      return Status::Error(fmt::format("asar: no {}", member_path));
    node = &*it;
  }
  AsarMember m;
  auto unpacked = node->find("unpacked");
  m.unpacked = unpacked != node->end() && unpacked->is_boolean() && unpacked->get<bool>();
  auto size = node->find("size");
  if (size == node->end() || !ToUint(*size, m.size))
    return Status::Error(fmt::format("asar: {} has no valid size", member_path));
  if (m.unpacked) return m;
  auto off = node->find("offset");
  std::uint64_t rel;
  if (off == node->end() || !ToUint(*off, rel))
    return Status::Error(fmt::format("asar: {} has no valid offset", member_path));
  if (rel > file_size || m.size > file_size - rel || h->data_start > file_size - rel - m.size)
    return Status::Error(fmt::format("asar: {} lies beyond the end of the archive", member_path));
  m.offset = h->data_start + rel;
  return m;
}

Result<PackageInfo> ParsePackageJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Error("package.json: not a JSON object");
  PackageInfo p;
  p.name = StringOr(j, "name");
  p.product_name = StringOr(j, "productName");
  p.version = StringOr(j, "version");
  return p;
}

Result<PackageInfo> ReadAsarPackage(const ReadAtFn& read_at, std::uint64_t file_size) {
  auto m = FindAsarMember(read_at, file_size, "package.json");
  if (!m.ok()) return m.status();
  if (m->unpacked) return Status::Error("asar: package.json is stored unpacked");
  if (m->size > kMaxMember) return Status::Error("asar: package.json larger than 16 MiB");
  std::vector<std::uint8_t> b;
  if (Status st = read_at(m->offset, static_cast<std::size_t>(m->size), b); !st.ok()) return st;
  if (b.size() != m->size) return Status::Error("asar: package.json truncated");
  return ParsePackageJson(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

Result<PackageInfo> ReadAsarPackage(const std::uint8_t* data, std::size_t n) {
  auto read_at = [&](std::uint64_t off, std::size_t len, std::vector<std::uint8_t>& out) {
    out.clear();
    if (off < n) out.assign(data + off, data + off + std::min<std::uint64_t>(len, n - off));
    return Status::Ok();
  };
  return ReadAsarPackage(read_at, n);
}

}  // namespace trawl::inventory
