// CRC32 (IEEE 802.3, reflected polynomial 0xEDB88320), as EVTX uses for its
// file header, chunk headers and event-record data.
//
// Two implementations: a slice-by-8 table version (portable, also the tail
// handler), and on x86-64 CPUs with PCLMULQDQ a carry-less-multiply folding
// version (the method of Intel's "Fast CRC Computation for Generic Polynomials
// Using PCLMULQDQ"), chosen at run time. A 64 KiB chunk is checked ~10x faster,
// which matters because every chunk's records are checksummed before use.
#include <cstddef>
#include <cstdint>

#include "internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TRAWL_EVTX_CLMUL 1
#include <immintrin.h>
#endif

namespace trawl::evtx::detail {
namespace {

struct CrcTables {
  std::uint32_t t[8][256];
  CrcTables() {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (0xedb88320u ^ (c >> 1)) : (c >> 1);
      t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
};

const CrcTables& Tables() {
  static const CrcTables tables;
  return tables;
}

// Raw (not pre/post-inverted) table CRC update.
std::uint32_t TableUpdate(std::uint32_t crc, const std::uint8_t* p, std::size_t n) {
  const CrcTables& tb = Tables();
  while (n >= 8) {
    std::uint32_t lo = Le32(p) ^ crc;
    std::uint32_t hi = Le32(p + 4);
    crc = tb.t[7][lo & 0xff] ^ tb.t[6][(lo >> 8) & 0xff] ^ tb.t[5][(lo >> 16) & 0xff] ^
          tb.t[4][lo >> 24] ^ tb.t[3][hi & 0xff] ^ tb.t[2][(hi >> 8) & 0xff] ^
          tb.t[1][(hi >> 16) & 0xff] ^ tb.t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = tb.t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#ifdef TRAWL_EVTX_CLMUL
#define TRAWL_CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))

TRAWL_CLMUL_TARGET inline __m128i load(const std::uint8_t* q) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
}

// a.lo * k.lo + a.hi * k.hi + b: folds 128 bits of `a` forward onto `b`.
TRAWL_CLMUL_TARGET inline __m128i fold(__m128i a, __m128i k, __m128i b) {
  __m128i lo = _mm_clmulepi64_si128(a, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(a, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), b);
}

// Raw CRC update over n bytes, n >= 64 and a multiple of 16.
TRAWL_CLMUL_TARGET std::uint32_t ClmulUpdate(std::uint32_t crc, const std::uint8_t* p,
                                             std::size_t n) {
  // Folding constants for the reflected CRC32 polynomial: x^(4*128+64) mod P
  // and x^(4*128) mod P (fold by 4 x 128 bits), then the same for 128 bits,
  // the 64->32 bit step and the Barrett reduction constants (mu, P).
  const __m128i k_fold4 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
  const __m128i k_fold1 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  const __m128i k_fold64 = _mm_set_epi64x(0, 0x0163cd6124);
  const __m128i k_barrett = _mm_set_epi64x(0x01f7011641, 0x01db710641);
  const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);

  __m128i a0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(crc)));
  __m128i a1 = load(p + 16);
  __m128i a2 = load(p + 32);
  __m128i a3 = load(p + 48);
  p += 64;
  n -= 64;
  while (n >= 64) {
    a0 = fold(a0, k_fold4, load(p));
    a1 = fold(a1, k_fold4, load(p + 16));
    a2 = fold(a2, k_fold4, load(p + 32));
    a3 = fold(a3, k_fold4, load(p + 48));
    p += 64;
    n -= 64;
  }
  __m128i x = fold(a0, k_fold1, a1);
  x = fold(x, k_fold1, a2);
  x = fold(x, k_fold1, a3);
  while (n >= 16) {
    x = fold(x, k_fold1, load(p));
    p += 16;
    n -= 16;
  }
  // 128 -> 64 bits.
  __m128i t = _mm_clmulepi64_si128(x, k_fold1, 0x10);
  x = _mm_xor_si128(_mm_srli_si128(x, 8), t);
  // 64 -> 32 bits.
  t = _mm_srli_si128(x, 4);
  x = _mm_clmulepi64_si128(_mm_and_si128(x, low32), k_fold64, 0x00);
  x = _mm_xor_si128(x, t);
  // Barrett reduction.
  t = _mm_clmulepi64_si128(_mm_and_si128(x, low32), k_barrett, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), k_barrett, 0x00);
  x = _mm_xor_si128(x, t);
  return static_cast<std::uint32_t>(_mm_extract_epi32(x, 1));
}

bool HaveClmul() {
  static const bool have = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return have;
}
#endif

}  // namespace

std::uint32_t Crc32Portable(const std::uint8_t* p, std::size_t n, std::uint32_t crc) {
  return ~TableUpdate(~crc, p, n);
}

std::uint32_t Crc32(const std::uint8_t* p, std::size_t n, std::uint32_t crc) {
  std::uint32_t c = ~crc;
#ifdef TRAWL_EVTX_CLMUL
  if (n >= 64 && HaveClmul()) {
    std::size_t bulk = n & ~static_cast<std::size_t>(15);
    c = ClmulUpdate(c, p, bulk);
    p += bulk;
    n -= bulk;
  }
#endif
  return ~TableUpdate(c, p, n);
}

}  // namespace trawl::evtx::detail
