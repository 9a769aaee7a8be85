// Opening the files trawl writes (--json, --csv, --html).
//
// The output path may sit in a directory an attacker can write to (/tmp, a
// shared share), so opening it must not be steered: OpenOutputFile never
// follows a symlink at the path (O_NOFOLLOW), never opens anything but a
// regular file (a FIFO or device planted there is refused without blocking:
// O_NONBLOCK), and truncates an existing file only when it is ours: owned by
// the effective user and with a single link (a hard link planted to another
// file, such as a system file, is refused rather than emptied). A new file is
// created 0666 less the umask, as fopen does. Errors are values naming the path.
#pragma once

#include <cstdio>
#include <string>

#include "trawl/core/status.h"

namespace trawl::report {

// A stdio stream for writing `path` from its start, or why not.
Result<std::FILE*> OpenOutputFile(const std::string& path);

}  // namespace trawl::report
