#include "trawl/hash/hash.h"

#include <openssl/evp.h>

#include <array>
#include <utility>

#include "trawl/core/text.h"

namespace trawl::hash {
namespace {

struct MdFree {
  void operator()(EVP_MD* md) const noexcept { EVP_MD_free(md); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using MdPtr = std::unique_ptr<EVP_MD, MdFree>;
using CtxPtr = std::unique_ptr<EVP_MD_CTX, CtxFree>;

struct AlgoInfo {
  Algo algo;
  const char* name;      // our key
  const char* evp_name;  // OpenSSL 3 fetch name
};
constexpr std::array<AlgoInfo, 3> kAlgos = {{
    {kMd5, "md5", "MD5"},
    {kSha1, "sha1", "SHA1"},
    {kSha256, "sha256", "SHA2-256"},
}};

// Fetched once per process (explicit fetch avoids the implicit per-init lookup
// that EVP_get_digestbyname + EVP_DigestInit_ex would do for every file).
const EVP_MD* FetchedMd(std::size_t i) {
  static const std::array<MdPtr, kAlgos.size()> mds = [] {
    std::array<MdPtr, kAlgos.size()> a;
    for (std::size_t k = 0; k < kAlgos.size(); ++k) {
      a[k].reset(EVP_MD_fetch(nullptr, kAlgos[k].evp_name, nullptr));
    }
    return a;
  }();
  return mds[i].get();
}

}  // namespace

const char* AlgoName(Algo a) {
  for (const auto& info : kAlgos) {
    if (info.algo == a) return info.name;
  }
  return "";
}

Result<unsigned> ParseAlgos(const std::string& list) {
  unsigned out = 0;
  for (std::string_view tok : Split(list, ',')) {
    std::string t = ToLowerAscii(TrimAscii(tok));
    if (t.empty()) continue;
    if (t == "sha-1") t = "sha1";
    if (t == "sha-256") t = "sha256";
    bool found = false;
    for (const auto& info : kAlgos) {
      if (t == info.name) {
        out |= info.algo;
        found = true;
      }
    }
    if (!found) return Status::Error("unknown hash algorithm '" + std::string(tok) + "'");
  }
  return out;
}

struct MultiHasher::Impl {
  struct Slot {
    std::size_t index;  // into kAlgos
    const EVP_MD* md;
    CtxPtr ctx;
    bool failed = false;
  };
  std::vector<Slot> slots;
  unsigned algos = 0;
  Status status;
};

MultiHasher::MultiHasher(unsigned algos) : impl_(std::make_unique<Impl>()) {
  for (std::size_t i = 0; i < kAlgos.size(); ++i) {
    if (!(algos & kAlgos[i].algo)) continue;
    const EVP_MD* md = FetchedMd(i);
    CtxPtr ctx(md ? EVP_MD_CTX_new() : nullptr);
    if (!md || !ctx) {
      if (impl_->status.ok()) {
        impl_->status = Status::Error(std::string("OpenSSL cannot provide ") + kAlgos[i].name);
      }
      continue;
    }
    impl_->slots.push_back({i, md, std::move(ctx)});
    impl_->algos |= kAlgos[i].algo;
  }
  Reset();
}

Result<MultiHasher> MultiHasher::Create(unsigned algos) {
  MultiHasher h(algos);
  if (!h.status().ok()) return h.status();
  return h;
}

MultiHasher::~MultiHasher() = default;
MultiHasher::MultiHasher(MultiHasher&&) noexcept = default;
MultiHasher& MultiHasher::operator=(MultiHasher&&) noexcept = default;

void MultiHasher::Reset() {
  for (auto& s : impl_->slots) {
    s.failed = EVP_DigestInit_ex2(s.ctx.get(), s.md, nullptr) != 1;
  }
}

void MultiHasher::Update(const std::uint8_t* data, std::size_t n) {
  if (n == 0) return;
  for (auto& s : impl_->slots) {
    if (!s.failed && EVP_DigestUpdate(s.ctx.get(), data, n) != 1) s.failed = true;
  }
}

std::map<std::string, std::string> MultiHasher::Finish() {
  std::map<std::string, std::string> out;
  for (auto& s : impl_->slots) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!s.failed && EVP_DigestFinal_ex(s.ctx.get(), md, &len) == 1) {
      out.emplace(kAlgos[s.index].name, ToHex(md, len));
    } else if (impl_->status.ok()) {
      // Never hand back a wrong or empty digest: leave it out and say so.
      impl_->status =
          Status::Error(std::string("OpenSSL failed computing ") + kAlgos[s.index].name);
    }
  }
  Reset();
  return out;
}

unsigned MultiHasher::algos() const { return impl_->algos; }
const Status& MultiHasher::status() const { return impl_->status; }

std::string ToHex(const std::uint8_t* d, std::size_t n) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(d), n));
}

}  // namespace trawl::hash
