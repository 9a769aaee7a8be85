// Internal to the yara stage: the file format of the compiled-rules cache
// (--yara-cache, issue 12).
//
// An entry is one file: its blobs (libyara's saved rule sets, Vectorscan's
// serialized database) one after the other, then an index (a meta record
// and, per blob, its offset, size and SHA-256), then a trailer (index
// offset, index size, magic). The writer goes through a temporary file in the
// same folder and a rename, so a reader never sees half an entry; a reader
// checks every blob's SHA-256 before handing it out, so a damaged entry is an
// error (the caller then compiles), never a crash in libyara.
// Nothing here knows what a rule is.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/status.h"

namespace trawl::yara::cache {

// Little-endian integers and length-prefixed strings, for the meta record.
class Writer {
 public:
  void U64(std::uint64_t v);
  void Str(std::string_view s);
  const std::string& data() const { return buf_; }

 private:
  std::string buf_;
};

// Reads what Writer wrote; any read past the end sets !ok() and yields zeros.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::uint64_t U64();
  std::string Str();
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Lower-case hex SHA-256 of a byte string.
std::string Sha256Hex(std::string_view data);

// Writes an entry: blobs first (AddBlob returns its index), then Finish with
// the meta record. Until Finish succeeds nothing is visible at `path`.
class EntryWriter {
 public:
  static Result<std::unique_ptr<EntryWriter>> Create(const std::string& path);
  ~EntryWriter();  // removes the temporary file unless Finish succeeded
  EntryWriter(const EntryWriter&) = delete;
  EntryWriter& operator=(const EntryWriter&) = delete;

  Result<std::size_t> AddBlob(std::string_view data);
  Status Finish(std::string_view meta);

 private:
  EntryWriter() = default;
  struct BlobRec {
    std::uint64_t offset = 0, size = 0;
    std::string sha256;
  };
  std::string path_, tmp_;
  int fd_ = -1;
  std::uint64_t offset_ = 0;
  std::vector<BlobRec> blobs_;
  bool done_ = false;
};

// An entry opened for reading: the meta record in memory, blobs read on
// demand (thread-safe: pread on a descriptor held open).
class Entry {
 public:
  static Result<std::shared_ptr<Entry>> Open(const std::string& path);
  ~Entry();
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

  const std::string& meta() const { return meta_; }
  std::size_t blob_count() const { return blobs_.size(); }
  // The blob's bytes, checked against its SHA-256.
  Result<std::string> Blob(std::size_t index) const;
  const std::string& path() const { return path_; }

 private:
  Entry() = default;
  struct BlobRec {
    std::uint64_t offset = 0, size = 0;
    std::string sha256;
  };
  std::string path_;
  int fd_ = -1;
  std::string meta_;
  std::vector<BlobRec> blobs_;
};

}  // namespace trawl::yara::cache
