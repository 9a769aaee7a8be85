// Parallel, forensically safe directory walk.
//
// Walk() lists every entry under the given roots and hands each to a Visitor:
//   - It never opens anything but directories (and never reads a file), so a
//     FIFO, socket or device in the tree cannot block it or trigger a driver.
//     Entries are looked at with fstatat(AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT).
//   - Directories are opened relative to their parent's descriptor with
//     O_NOFOLLOW (no symlink anywhere in the path is followed unless asked),
//     O_NOATIME where the kernel permits, and O_CLOEXEC. At most a bounded
//     number of directory descriptors is retained at once
//     (Options::dir_fd_budget); past that, a child is opened from the
//     nearest retained ancestor, one name at a time (openat with O_NOFOLLOW,
//     each directory on the way checked against the device and inode the
//     walk saw), never by full path: trees deeper than PATH_MAX and than the
//     budget are walked completely, and a directory renamed or swapped for a
//     symlink above one still to be entered is never followed (an error
//     record for what lies below it).
//   - Excluded paths and globs are pruned (not descended) and reported via
//     OnSkip, as are other file systems (one_filesystem) and symlinks that are
//     not followed (follow_symlinks: loops, targets outside the roots, ...).
//   - An unreadable directory or a failed stat is reported via OnError and the
//     walk goes on. Nothing is dropped silently.
//   - Paths are raw bytes (newlines, escapes, invalid UTF-8 kept as they are);
//     escaping them for output is the sinks' job.
//   - Once a stop is requested (trawl::ProcessStop(), set by SIGINT/SIGTERM)
//     no further directory is opened and no further entry is visited; Walk()
//     returns normally, and the caller tells the scan was interrupted.
// Roots themselves are always walked (the user named them): a root that is a
// symlink is followed, and exclude lists apply only below the roots.
// The walk knows nothing of indicators or content: what to do with an entry is
// the Visitor's business.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/status.h"

namespace trawl::walk {

enum class EntryType {
  kRegular,
  kDirectory,
  kSymlink,
  kFifo,
  kSocket,
  kCharDevice,
  kBlockDevice,
  kOther
};
const char* EntryTypeName(EntryType t);  // "regular", "directory", "symlink", ...
EntryType TypeOf(mode_t mode);

struct Entry {
  // As reached: the root as given (trailing '/' removed) joined with the
  // names below it. Raw bytes.
  std::string path;
  EntryType type = EntryType::kOther;
  // lstat-style: of the link itself, unless the link was followed
  // (follow_symlinks), in which case of its target and `type` is the target's.
  struct stat st {};
  int depth = 0;  // 0 for a root, 1 for its children, ...
  // Only for a followed symlink to a non-directory: the canonical path of the
  // target (no symlinks in it). Open this, not `path`, since readers refuse
  // symlinks (trawl::read::File::Open uses O_NOFOLLOW). Empty otherwise.
  std::string real_path;
  // The open directory the entry was listed in and its name there, valid
  // only during OnEntry: open `name` relative to `dir_fd` (read::File::
  // OpenWalkedAt) to read the very entry listed, at any path length.
  // dir_fd is -1 (open `path`, or `real_path`) for roots and followed links.
  int dir_fd = -1;
  std::string_view name;
};

struct Options {
  // fnmatch(3) (no flags: '*' also matches '/') against the full path as
  // reported AND against the base name; matching directories are pruned,
  // matching other entries are skipped. Not applied to the roots.
  std::vector<std::string> exclude_globs;
  // Pruned when the walk reaches them (the path itself and everything below
  // it). Compared after canonicalising both sides (realpath of the root and of
  // the exclude path), and also by (st_dev, st_ino) of the excluded directory,
  // so `/`, `.` from `/`, a symlinked root or a bind mount all prune /proc.
  std::vector<std::string> exclude_paths = {"/proc", "/sys", "/dev"};
  // Follow symlinks, but never out of the roots (the target's canonical path
  // must be a root or inside one) and never into a directory already entered
  // (loops, and link bombs where many links lead to one directory). A link
  // that is not followed is still reported as a kSymlink entry, and OnSkip
  // says why ("symlink loop", "symlink outside root", "already visited",
  // "broken symlink"). Real directories are always walked, so a directory
  // reached through a link first may be listed twice (once per path), never
  // more. Deciding "inside the roots" needs the target's canonical path
  // (realpath), so a link deeper than PATH_MAX is not followed: a kSymlink
  // entry, OnSkip "symlink target unreadable" and an OnError naming why.
  bool follow_symlinks = false;
  // Do not enter a directory whose st_dev differs from its root's.
  bool one_filesystem = false;
  int threads = 0;  // 0 = hardware concurrency
  // Directory descriptors retained for children to open relative to (beyond
  // those being listed right now, one per thread); 0 = a quarter of
  // RLIMIT_NOFILE, 16 to 256. Past it, children open from an ancestor that
  // is retained, through the names in between (any depth, any budget >= 1).
  int dir_fd_budget = 0;
};

// Called concurrently from worker threads: implementations must be
// thread-safe and must not throw.
class Visitor {
 public:
  virtual ~Visitor() = default;
  // Every non-directory entry: regular files, symlinks, FIFOs, sockets,
  // devices. Each reached path exactly once.
  virtual void OnEntry(const Entry& e) = 0;
  // The directory could not be listed, an entry could not be stat'ed, ...:
  // the walk goes on. message is e.g. "open directory: Permission denied".
  virtual void OnError(const std::string& path, const std::string& message) = 0;
  // Not descended / not reported as an entry: "excluded", "other filesystem",
  // plus the symlink reasons listed under Options::follow_symlinks.
  virtual void OnSkip(const std::string& path, const std::string& reason) {
    (void)path;
    (void)reason;
  }
  // Every directory entered (roots included), after it was opened and before
  // its entries are visited. Optional.
  virtual void OnDirectory(const Entry& e) { (void)e; }
};

// Walks every root (a root may itself be a regular file, or any other type:
// it is then reported like an entry at depth 0). Returns when everything was
// visited. Error Status only if no root could be opened at all (each failing
// root was also reported via OnError), or if the walk itself failed (e.g. a
// Visitor threw).
Status Walk(const std::vector<std::string>& roots, const Options& opts, Visitor& visitor);

}  // namespace trawl::walk
