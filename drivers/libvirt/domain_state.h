#pragma once
// virDomainGetState (state + reason) mapped onto machine states, as a pure function.
#include <optional>

#include "drivers/driver.h"
#include "drivers/libvirt/connection.h"

namespace machine::drivers::libvirt {

// nullopt (domain not defined) is Error; crashed guests and failed starts are Error with
// a reason; a paused domain is Paused; PM-suspended is Saved.
StateInfo map_domain_state(const std::optional<RawState>& s);

}  // namespace machine::drivers::libvirt
