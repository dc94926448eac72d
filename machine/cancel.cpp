#include "machine/cancel.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

#include "machine/error.h"

namespace machine {
namespace {
std::atomic<int> g_signal{0};
std::atomic<int> g_shields{0};

extern "C" void on_signal(int sig) {
  int none = 0;
  g_signal.compare_exchange_strong(none, sig);  // the first signal names the exit status
}
}  // namespace

void install_cancel_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking waits return EINTR and notice the flag
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

void request_cancel() noexcept {
  int none = 0;
  g_signal.compare_exchange_strong(none, SIGINT);
}
bool cancel_requested() noexcept { return g_signal.load() != 0; }
int cancel_exit_status() noexcept {
  int sig = g_signal.load();
  return 128 + (sig ? sig : SIGINT);
}
void reset_cancel() noexcept { g_signal.store(0); }

void throw_if_cancelled() {
  if (cancel_requested() && g_shields.load() == 0) throw Error(Code::Cancelled, "interrupted");
}

CancelShield::CancelShield() noexcept { g_shields.fetch_add(1); }
CancelShield::~CancelShield() { g_shields.fetch_sub(1); }

}  // namespace machine
