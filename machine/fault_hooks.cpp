#include "machine/fault_hooks.h"

#include <csignal>
#include <cstdlib>

#include "machine/fault.h"

namespace machine {
namespace {

void stop_at_env_point(std::string_view point) {
  const char* spec = std::getenv("MACHINE_FAULT_POINT");
  if (!spec) return;
  std::string_view s(spec);
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || s.substr(0, colon) != point) return;
  auto sig = s.substr(colon + 1);
  int n = sig == "KILL"   ? SIGKILL
          : sig == "INT"  ? SIGINT
          : sig == "TERM" ? SIGTERM
          : sig == "HUP"  ? SIGHUP
                          : 0;
  if (n == 0) return;
  ::unsetenv("MACHINE_FAULT_POINT");  // once: helpers this process starts later do not inherit it
  ::raise(n);
}

}  // namespace

void install_env_fault_hook() { set_fault_hook(&stop_at_env_point); }

}  // namespace machine
