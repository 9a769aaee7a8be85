// Hashing: one pass over a file's bytes feeds every selected digest.
//
// A MultiHasher computes MD5, SHA-1 and/or SHA-256 (OpenSSL EVP) over the same
// byte stream, so the reader reads each file once whatever the indicators
// need. Only the algorithms selected at construction are computed: a scan whose
// indicators hold no MD5 never pays for MD5. This module knows bytes, not
// files: reading, size caps and special files belong to trawl::read.
//
// Thread safety: the EVP_MD objects are fetched once per process and shared
// read-only; a MultiHasher itself is per worker and not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "trawl/core/status.h"

namespace trawl::hash {

enum Algo : unsigned { kMd5 = 1, kSha1 = 2, kSha256 = 4 };
inline constexpr unsigned kAllAlgos = kMd5 | kSha1 | kSha256;

// "md5", "sha1", "sha256" for one algorithm; "" for anything else.
const char* AlgoName(Algo a);
// Parses a comma-separated list ("md5,sha256"); error names the bad token.
Result<unsigned> ParseAlgos(const std::string& list);

class MultiHasher {
 public:
  // Computes exactly the algorithms in `algos` (bits of Algo; unknown bits are
  // ignored). If OpenSSL cannot provide one (e.g. MD5 under a FIPS-only
  // configuration), status() says so and Finish() leaves it out: use Create()
  // to get that as an error up front.
  explicit MultiHasher(unsigned algos);
  // Like the constructor, but an algorithm OpenSSL cannot provide is an error.
  static Result<MultiHasher> Create(unsigned algos);
  ~MultiHasher();
  MultiHasher(MultiHasher&&) noexcept;
  MultiHasher& operator=(MultiHasher&&) noexcept;
  MultiHasher(const MultiHasher&) = delete;
  MultiHasher& operator=(const MultiHasher&) = delete;

  // Starts a new stream. The constructor and Finish() already do this, so a
  // caller needs Reset() only to abandon a stream half way.
  void Reset();
  void Update(const std::uint8_t* data, std::size_t n);
  // Lower-case hex digests keyed "md5", "sha1", "sha256" for the selected
  // algorithms, then resets for the next stream.
  std::map<std::string, std::string> Finish();

  // The algorithms actually computed (selected and available).
  unsigned algos() const;
  // OK, or which selected algorithm OpenSSL could not provide.
  const Status& status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Lower-case hex of n bytes.
std::string ToHex(const std::uint8_t* d, std::size_t n);

}  // namespace trawl::hash
