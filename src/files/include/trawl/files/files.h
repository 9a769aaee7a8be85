// The file sweep (module "file"): every walked entry's name against the
// filename indicators (and, on a --map volume, the Windows-written ones
// caselessly), and every regular file up to --max-file-size through the
// content stage (hashes, trusted hashes, name-AND-hash, YARA).
//
// A trusted file gets no finding and is hidden from later sweeps
// (Verdict::kTrusted). A file over the size cap is counted as skipped
// "too_large" and only its name is checked. A filename-matcher engine error
// (a PCRE2 match limit) is an error record, not a silent non-match.
#pragma once

#include "trawl/sweep/sweep.h"

namespace trawl::files {

// The registration of module "file".
sweep::Registration FileSweepRegistration();

}  // namespace trawl::files
