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
  std::vector<std::uint8_t> json;  // the header's JSON text, parsed by FindInHeader
  std::uint64_t data_start = 0;
};

// Deeper JSON in a header is refused: real archives nest two levels per
// directory, and a DOM of a planted 60 MB nested header cost 2.26 GB.
constexpr std::size_t kMaxHeaderDepth = 1024;

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
  Header h;
  if (Status st = read_at(16, static_cast<std::size_t>(json_len), h.json); !st.ok()) return st;
  if (h.json.size() != json_len) return Status::Error("asar: truncated header");
  h.data_start = 8 + header_size;
  return h;
}

// A SAX pass over the header that keeps only the member's own fields (size,
// offset, unpacked): memory is O(depth), not O(header). Duplicate keys behave
// as in a DOM parse (the last one wins).
class MemberFinder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit MemberFinder(std::string_view member_path) {
    for (std::string_view part : Split(member_path, '/')) {
      if (part.empty()) continue;
      target_.emplace_back("files");
      target_.emplace_back(part);
    }
  }

  bool found = false, root_is_object = false, too_deep = false;
  nlohmann::json size, offset, unpacked;  // as written, from the last matching node

  bool null() override { return Scalar(nullptr); }
  bool boolean(bool v) override { return Scalar(v); }
  bool number_integer(number_integer_t v) override { return Scalar(v); }
  bool number_unsigned(number_unsigned_t v) override { return Scalar(v); }
  bool number_float(number_float_t v, const string_t&) override { return Scalar(v); }
  bool string(string_t& v) override { return Scalar(v); }
  bool binary(binary_t&) override { return Scalar(nullptr); }
  bool start_object(std::size_t) override { return Open(true); }
  bool start_array(std::size_t) override { return Open(false); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  struct Frame {
    bool object;
    bool on_path;     // its key path is a prefix of target_
    std::size_t level;  // keys from the root to it
  };
  // Whether the value now starting sits on the target path.
  bool ChildOnPath() const {
    const Frame& p = stack_.back();
    return p.object && p.on_path && p.level < target_.size() && key_ == target_[p.level];
  }
  bool Open(bool object) {
    if (stack_.size() >= kMaxHeaderDepth) {
      too_deep = true;
      return false;
    }
    if (stack_.empty()) {
      root_is_object = object;
      stack_.push_back({object, object, 0});
      if (object && target_.empty()) Reset(true);
      return true;
    }
    bool on = object && ChildOnPath();
    bool was = !object && ChildOnPath();
    std::size_t level = stack_.back().level + 1;
    if (on || was) Reset(on && level == target_.size());  // a later duplicate replaces it
    stack_.push_back({object, on, level});
    return true;
  }
  bool Close() {
    if (!stack_.empty()) stack_.pop_back();
    return true;
  }
  template <typename T>
  bool Scalar(T&& v) {
    if (stack_.empty()) return true;  // a bare scalar header: refused by the caller
    const Frame& p = stack_.back();
    if (!p.object) return true;
    if (ChildOnPath()) {  // a non-object where the path goes on: no member (as a DOM says)
      Reset(false);
    } else if (p.on_path && p.level == target_.size()) {
      if (key_ == "size") size = std::forward<T>(v);
      else if (key_ == "offset") offset = std::forward<T>(v);
      else if (key_ == "unpacked") unpacked = std::forward<T>(v);
    }
    return true;
  }
  void Reset(bool now_found) {
    found = now_found;
    size = offset = unpacked = nlohmann::json();
  }

  std::vector<std::string> target_;
  std::vector<Frame> stack_;
  std::string key_;
};

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
  MemberFinder finder(member_path);
  bool parsed = nlohmann::json::sax_parse(h->json.begin(), h->json.end(), &finder);
  if (finder.too_deep)
    return Status::Error(fmt::format("asar: header nested deeper than {} levels (not parsed)",
                                     kMaxHeaderDepth));
  if (!parsed) return Status::Error("asar: header is not valid JSON");
  if (!finder.root_is_object) return Status::Error("asar: header is not a JSON object");
  if (!finder.found) return Status::Error(fmt::format("asar: no {}", member_path));
  AsarMember m;
  m.unpacked = finder.unpacked.is_boolean() && finder.unpacked.get<bool>();
  if (!ToUint(finder.size, m.size))
    return Status::Error(fmt::format("asar: {} has no valid size", member_path));
  if (m.unpacked) return m;
  std::uint64_t rel;
  if (!ToUint(finder.offset, rel))
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
