// A guard for code that reads memory-mapped evidence (libsystemd's
// sd-journal maps journal files; any mmap reader).
//
// A mapped file that shrinks under the reader -- truncated by an attacker or
// rotated by the system -- turns the next access to a page past its new end
// into SIGBUS, which ends the process. Guarded(f) runs f on this thread with
// a SIGBUS handler armed (sigsetjmp/siglongjmp, as libyara does around its
// mapped scans): a SIGBUS raised by this thread while f runs unwinds straight
// back to Guarded, which returns false. The process-wide handler is
// installed on first use; a SIGBUS outside a guard goes to the handler that
// was there before (or the default action), so real faults still crash.
//
// REQUIRES: f holds no object with a non-trivial destructor on its own frame
// (siglongjmp skips destructors): wrap single C calls, such as one
// sd_journal_next(), and keep the C++ work outside. After a false return the
// C library's state for that object is unknown: do not use or free it again
// (leak it). Guards may nest; each thread has its own.
#pragma once

namespace trawl::read {

// Runs fn(arg); false when a SIGBUS on this thread cut it short.
bool CallGuarded(void (*fn)(void*), void* arg) noexcept;

template <typename F>
bool Guarded(F& f) noexcept {
  return CallGuarded([](void* p) { (*static_cast<F*>(p))(); }, &f);
}

}  // namespace trawl::read
