// trawl: compromise assessment. The command line is built and run by
// trawl::app::Main (cli.h); this file adds only the top-level guard.
//
// Exit codes (a contract): 0 = nothing at warning or above, 1 = a finding at
// warning or above, 2 = could not run (bad arguments, unreadable indicators
// or rules, no path scannable).
#include <cstdio>
#include <exception>

#include "cli.h"

// The top-level guard: whatever escapes (a library's exception, a bad
// allocation) ends the run with its message and exit 2, never an abort.
int main(int argc, char** argv) {
  try {
    return trawl::app::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trawl: cannot run: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "trawl: cannot run: unknown error\n");
  }
  return trawl::app::kExitError;
}
