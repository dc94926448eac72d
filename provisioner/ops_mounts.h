#pragma once
// Host folders in a machine (ops side): which mounts a create request asks for, and
// bringing them up in a running machine over SSH after every boot (create, start,
// restart), for every driver and both transports (drivers/common/mounts.h).
#include <string>

#include "provisioner/ops.h"
#include "provisioner/ops_common.h"

namespace machine::ops::detail {

// Validates the request's --mount/--no-mounts/--mount-type against the driver and stores
// the result in m.host.options (mounts, mount_type). Runs before anything is made; throws
// Error(InvalidArgument) naming the bad spec.
void plan_mounts(Env& env, const CreateRequest& req, Loaded& m);

// Mounts every host dir of the machine in the guest: virtiofs shares are mounted by tag;
// sshfs mounts get a host-side helper each (one whose mount still answers is kept). Waits
// until each mount answers. Throws Error(Unavailable) with the helper's log when not.
void establish_mounts(Env& env, Loaded& m);

// Stops the machine's host-side mount helpers (reverse sshfs). Idempotent.
void stop_mount_helpers(Env& env, const std::string& name);

}  // namespace machine::ops::detail
