// libFuzzer target: the reader stage's container walk (read::UnpackBytes)
// over hostile bytes: the magic picks zip, 7z, rar, tar, cpio, ISO 9660, CAB,
// XAR, compressed streams (libarchive) or OLE compound files (libgsf), and
// members that are containers are opened in turn.
// Invariants: never crashes, hangs or reads outside the buffer (ASan); the
// limits hold (no member beyond max_member_bytes is handed out, no member
// deeper than max_depth, unpacked bytes stop within one block of max_bytes);
// every chain starts with the outer name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "trawl/read/unpack.h"

namespace {

struct Check final : trawl::read::MemberVisitor {
  const trawl::read::UnpackLimits& limits;
  explicit Check(const trawl::read::UnpackLimits& l) : limits(l) {}
  void OnMember(const trawl::read::Member& m) override {
    if (m.bytes.size() > limits.max_member_bytes + (64u << 10)) std::abort();
    if (m.depth < 1 || m.depth > limits.max_depth) std::abort();
    if (m.chain.rfind("fuzz!", 0) != 0) std::abort();
  }
  void OnError(const std::string& chain, const std::string&) override {
    if (chain.rfind("fuzz", 0) != 0) std::abort();
  }
  void OnLimit(const std::string&, trawl::read::Limit, const std::string&) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  trawl::read::UnpackLimits limits;
  limits.max_bytes = 64u << 20;
  limits.max_member_bytes = 8u << 20;
  limits.ratio_floor = 1u << 20;
  limits.max_members = 10000;
  limits.max_time = std::chrono::seconds(5);
  limits.max_decoder_memory = 64u << 20;
  Check check(limits);
  trawl::read::UnpackStats st = trawl::read::UnpackBytes({data, size}, "fuzz", limits, check);
  if (st.bytes > limits.max_bytes + (1u << 20)) std::abort();
  return 0;
}
