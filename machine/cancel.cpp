#include "machine/cancel.h"

#include <csignal>
#include <unistd.h>

#include <atomic>

#include "machine/error.h"

namespace machine {
namespace {
std::atomic<int> g_signals{0};

extern "C" void on_signal(int sig) {
  if (g_signals.fetch_add(1) >= 1) {
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
}
}  // namespace

void install_cancel_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking waits return EINTR and notice the flag
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

void request_cancel() noexcept { g_signals.fetch_add(1); }
bool cancel_requested() noexcept { return g_signals.load() > 0; }
void reset_cancel() noexcept { g_signals.store(0); }

void throw_if_cancelled() {
  if (cancel_requested()) throw Error(Code::Cancelled, "interrupted");
}

}  // namespace machine
