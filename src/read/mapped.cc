#include "trawl/read/mapped.h"

#include <setjmp.h>
#include <signal.h>

#include <cstring>
#include <mutex>

namespace trawl::read {
namespace {

thread_local sigjmp_buf* t_jump = nullptr;  // the innermost guard of this thread
struct sigaction g_previous;
std::once_flag g_installed;

extern "C" void OnSigbus(int signo, siginfo_t* info, void* context) {
  if (sigjmp_buf* jump = t_jump) {
    t_jump = nullptr;
    siglongjmp(*jump, 1);
  }
  // Not from a guarded read: what was there before decides.
  if ((g_previous.sa_flags & SA_SIGINFO) && g_previous.sa_sigaction) {
    g_previous.sa_sigaction(signo, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN &&
      g_previous.sa_handler != nullptr) {
    g_previous.sa_handler(signo);
    return;
  }
  // Default action: returning re-executes the faulting access, which now
  // ends the process as SIGBUS always did.
  ::signal(SIGBUS, SIG_DFL);
}

void Install() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = OnSigbus;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  ::sigaction(SIGBUS, &sa, &g_previous);
}

}  // namespace

bool CallGuarded(void (*fn)(void*), void* arg) noexcept {
  std::call_once(g_installed, Install);
  sigjmp_buf jump;
  sigjmp_buf* const outer = t_jump;
  if (sigsetjmp(jump, 1) != 0) {  // 1: the signal mask is restored on the way back
    t_jump = outer;
    return false;
  }
  t_jump = &jump;
  fn(arg);
  t_jump = outer;
  return true;
}

}  // namespace trawl::read
