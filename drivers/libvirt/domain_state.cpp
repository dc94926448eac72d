#include "drivers/libvirt/domain_state.h"

namespace machine::drivers::libvirt {

StateInfo map_domain_state(const std::optional<RawState>& s) {
  if (!s) return {State::Error, "the libvirt domain does not exist"};
  switch (s->state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
      return {State::Running, ""};
    case VIR_DOMAIN_PAUSED:
      switch (s->reason) {
        case VIR_DOMAIN_PAUSED_IOERROR:
          return {State::Error, "paused after an I/O error (disk full?)"};
        case VIR_DOMAIN_PAUSED_CRASHED:
          return {State::Error, "guest crashed (paused)"};
        case VIR_DOMAIN_PAUSED_STARTING_UP:
          return {State::Starting, ""};
        default:
          return {State::Paused, ""};
      }
    case VIR_DOMAIN_SHUTDOWN:
      return {State::Stopping, ""};
    case VIR_DOMAIN_SHUTOFF:
      switch (s->reason) {
        case VIR_DOMAIN_SHUTOFF_CRASHED:
          return {State::Error, "guest crashed"};
        case VIR_DOMAIN_SHUTOFF_FAILED:
          return {State::Error, "domain failed to start"};
        default:
          return {State::Stopped, ""};
      }
    case VIR_DOMAIN_CRASHED:
      return {State::Error, "guest crashed"};
    case VIR_DOMAIN_PMSUSPENDED:
      return {State::Saved, ""};
    default:
      return {State::None, ""};
  }
}

}  // namespace machine::drivers::libvirt
