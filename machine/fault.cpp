#include "machine/fault.h"

namespace machine {
namespace {
FaultHook g_hook = nullptr;
}  // namespace

void set_fault_hook(FaultHook hook) { g_hook = hook; }

void fault_point(std::string_view point) {
  if (g_hook) g_hook(point);
}

}  // namespace machine
