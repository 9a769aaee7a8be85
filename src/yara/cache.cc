#include "cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "trawl/hash/hash.h"

namespace trawl::yara::cache {
namespace {

constexpr char kMagic[8] = {'T', 'R', 'A', 'W', 'L', 'Y', 'C', '1'};
constexpr std::size_t kTrailer = 8 + 8 + sizeof(kMagic);
// An index larger than this is not ours (the real one is a few hundred KB).
constexpr std::uint64_t kMaxIndex = 256u << 20;

std::string Errno() { return std::strerror(errno); }

bool WriteAll(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool ReadAt(int fd, char* p, std::size_t n, std::uint64_t off) {
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
    off += static_cast<std::uint64_t>(r);
  }
  return true;
}

void PutU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t GetU64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

void Writer::U64(std::uint64_t v) { PutU64(buf_, v); }

void Writer::Str(std::string_view s) {
  U64(s.size());
  buf_.append(s);
}

std::uint64_t Reader::U64() {
  if (!ok_ || data_.size() - pos_ < 8) {
    ok_ = false;
    return 0;
  }
  std::uint64_t v = GetU64(data_.data() + pos_);
  pos_ += 8;
  return v;
}

std::string Reader::Str() {
  std::uint64_t n = U64();
  if (!ok_ || n > data_.size() - pos_) {
    ok_ = false;
    return {};
  }
  std::string s(data_.substr(pos_, static_cast<std::size_t>(n)));
  pos_ += static_cast<std::size_t>(n);
  return s;
}

std::string Sha256Hex(std::string_view data) {
  hash::MultiHasher h(hash::kSha256);
  h.Update(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  auto d = h.Finish();
  auto it = d.find("sha256");
  return it == d.end() ? std::string() : it->second;
}

Result<std::unique_ptr<EntryWriter>> EntryWriter::Create(const std::string& path) {
  std::unique_ptr<EntryWriter> w(new EntryWriter);
  w->path_ = path;
  w->tmp_ = path + ".tmp." + std::to_string(::getpid());
  w->fd_ = ::open(w->tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (w->fd_ < 0) return Status::Error(w->tmp_ + ": " + Errno());
  if (!WriteAll(w->fd_, kMagic, sizeof(kMagic))) return Status::Error(w->tmp_ + ": " + Errno());
  w->offset_ = sizeof(kMagic);
  return w;
}

EntryWriter::~EntryWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!done_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

Result<std::size_t> EntryWriter::AddBlob(std::string_view data) {
  if (!WriteAll(fd_, data.data(), data.size())) return Status::Error(tmp_ + ": " + Errno());
  blobs_.push_back({offset_, data.size(), Sha256Hex(data)});
  offset_ += data.size();
  return blobs_.size() - 1;
}

Status EntryWriter::Finish(std::string_view meta) {
  Writer index;
  index.Str(meta);
  index.Str(Sha256Hex(meta));
  index.U64(blobs_.size());
  for (const BlobRec& b : blobs_) {
    index.U64(b.offset);
    index.U64(b.size);
    index.Str(b.sha256);
  }
  std::string tail = index.data();
  PutU64(tail, offset_);
  PutU64(tail, index.data().size());
  tail.append(kMagic, sizeof(kMagic));
  if (!WriteAll(fd_, tail.data(), tail.size()) || ::fsync(fd_) != 0)
    return Status::Error(tmp_ + ": " + Errno());
  if (::close(fd_) != 0) {
    fd_ = -1;
    return Status::Error(tmp_ + ": " + Errno());
  }
  fd_ = -1;
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    return Status::Error("rename to " + path_ + ": " + Errno());
  done_ = true;
  return Status::Ok();
}

Result<std::shared_ptr<Entry>> Entry::Open(const std::string& path) {
  std::shared_ptr<Entry> e(new Entry);
  e->path_ = path;
  e->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (e->fd_ < 0) return Status::Error(Errno());
  struct stat st;
  if (::fstat(e->fd_, &st) != 0) return Status::Error("fstat: " + Errno());
  if (!S_ISREG(st.st_mode)) return Status::Error("not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  char head[sizeof(kMagic)], tail[kTrailer];
  if (size < sizeof(kMagic) + kTrailer || !ReadAt(e->fd_, head, sizeof(head), 0) ||
      !ReadAt(e->fd_, tail, sizeof(tail), size - kTrailer) ||
      std::memcmp(head, kMagic, sizeof(kMagic)) != 0 ||
      std::memcmp(tail + 16, kMagic, sizeof(kMagic)) != 0)
    return Status::Error("not a trawl YARA cache entry (or truncated)");
  const std::uint64_t index_at = GetU64(tail), index_size = GetU64(tail + 8);
  if (index_size > kMaxIndex || index_at > size - kTrailer ||
      index_size != size - kTrailer - index_at)
    return Status::Error("damaged index");
  std::string index(static_cast<std::size_t>(index_size), '\0');
  if (!ReadAt(e->fd_, index.data(), index.size(), index_at))
    return Status::Error("cannot read the index: " + Errno());
  Reader r(index);
  e->meta_ = r.Str();
  std::string meta_sha = r.Str();
  std::uint64_t n = r.U64();
  if (!r.ok() || meta_sha != Sha256Hex(e->meta_) || n > index.size() / 24)
    return Status::Error("damaged index");
  for (std::uint64_t i = 0; i < n; ++i) {
    BlobRec b;
    b.offset = r.U64();
    b.size = r.U64();
    b.sha256 = r.Str();
    if (!r.ok() || b.offset < sizeof(kMagic) || b.offset > index_at || b.size > index_at - b.offset)
      return Status::Error("damaged index");
    e->blobs_.push_back(std::move(b));
  }
  if (!r.at_end()) return Status::Error("damaged index");
  return e;
}

Entry::~Entry() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::string> Entry::Blob(std::size_t index) const {
  if (index >= blobs_.size()) return Status::Error("no blob " + std::to_string(index));
  const BlobRec& b = blobs_[index];
  if (b.size > std::numeric_limits<std::size_t>::max() / 2)
    return Status::Error("blob too large");
  std::string data(static_cast<std::size_t>(b.size), '\0');
  if (!ReadAt(fd_, data.data(), data.size(), b.offset))
    return Status::Error(path_ + ": read error: " + Errno());
  if (Sha256Hex(data) != b.sha256)
    return Status::Error(path_ + ": blob " + std::to_string(index) + " damaged (SHA-256 differs)");
  return data;
}

}  // namespace trawl::yara::cache
