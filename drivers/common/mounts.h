#pragma once
// Host directories shared into a machine (`create --mount HOST_DIR[:GUEST_DIR][:ro]`): the
// spec grammar, its validation and the choice of transport. Shared by every driver; the
// transports themselves are in virtiofs.h and reverse_sshfs.h.
#include <optional>
#include <string>
#include <vector>

#include "machine/host.h"

namespace machine::drivers::common {

inline constexpr const char* kVirtiofs = "virtiofs";
inline constexpr const char* kSshfs = "sshfs";

// "HOST_DIR[:GUEST_DIR][:ro]" (a trailing ":rw" is accepted too). Only the grammar is
// checked here; Error(InvalidArgument) names the spec.
Mount parse_mount(const std::string& spec);

// Checks a whole mount list: host dirs absolute, existing directories; guest dirs absolute,
// not hiding or inside a directory the machine needs (/, /usr, /etc, /var/lib/docker ...),
// not overlapping each other. Paths are normalised ("/a/b/" -> "/a/b"). Throws
// Error(InvalidArgument) naming the offending spec and what to do.
std::vector<Mount> validate_mounts(std::vector<Mount> mounts);

// The default mount (`create` without --mount or --no-mounts): the user's home directory,
// writable, at the same path. nullopt when `home` is unset, missing or not mountable
// (e.g. HOME=/): creating a machine never fails because of the default.
std::optional<Mount> default_home_mount(const std::string& home);

// What a driver and this host allow for the transports.
struct MountSupport {
  bool virtiofs = false;         // the driver can attach vhost-user-fs (and virtiofsd can run here)
  std::string virtiofs_missing;  // why not, for the error when it was asked for
  bool ssh = false;              // the machine is reachable over SSH (reverse sshfs)
};

// `--mount-type` ("" = automatic): virtiofs where the driver supports it, else sshfs.
// Throws Error(InvalidArgument) for an unknown type, or one this driver cannot do.
std::string choose_mount_type(const std::string& requested, const MountSupport& support);

// The virtiofs tag of the i-th mount ("mount0", ...): short and free of path characters.
std::string mount_tag(size_t index);

// Single-quotes `s` for a POSIX shell (the guest command line travels as one SSH string).
std::string shell_quote(const std::string& s);

}  // namespace machine::drivers::common
