#pragma once
// The machine OS recipe as data: the Debian packages and the exact command lines of each
// build step. Pure functions, so tests pin them without running anything.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "machine/process_runner.h"

namespace machine::guest {

inline constexpr const char* kImageName = "machineos";
inline constexpr const char* kDiskLabel = "machineos";
// Debian's current stable (docker.io 26, kernel 6.12). bookworm (docker.io 20.10, kernel 6.1)
// stays buildable with `machine image build --suite bookworm`.
inline constexpr const char* kDefaultSuite = "trixie";

// The Debian suites the recipe is known to build, the default first.
const std::vector<std::string>& suites();
// Throws Error(InvalidArgument) naming the suites that are supported.
void check_suite(std::string_view suite);

// Kernel command line for direct kernel boot; the disk's extlinux.conf uses the same.
// The root is found by label, so the disk may be vda (virtio) or sda/hda (VirtualBox).
std::string kernel_cmdline();

// Debian packages installed on top of the essential set (the rest come as dependencies),
// for `suite` (one of suites()).
std::vector<std::string> packages(std::string_view suite = kDefaultSuite);

// Where one build works. Everything lives under work_dir until the final rename.
struct BuildPaths {
  std::filesystem::path work_dir;   // temp dir beside the final image dir (same filesystem)
  std::filesystem::path deb_cache;  // persistent .deb cache shared by builds (warm builds)
  std::filesystem::path recipe_dir() const { return work_dir / "recipe"; }
  std::filesystem::path rootfs() const { return work_dir / "rootfs"; }
  std::filesystem::path out_dir() const { return work_dir / "out"; }
  std::filesystem::path raw_disk() const { return work_dir / "disk.raw"; }
  std::filesystem::path mount_dir() const { return work_dir / "mnt"; }
};

struct RecipeOptions {
  std::string version;                // image version (os-release VERSION_ID)
  std::string mirror;                 // Debian mirror URL; empty = mmdebstrap's default
  std::string disk_size = "2G";       // base disk; machines grow it (the guest runs resize2fs)
  std::string suite = kDefaultSuite;  // Debian suite the packages come from (one of suites())
};

// mmdebstrap: essential variant, our packages, no docs/man/locales, the .deb cache synced
// in and out, and customize.sh turning the tree into machine OS (kernel and initrd to out/).
Command mmdebstrap_command(const BuildPaths& paths, const RecipeOptions& opts);

// mkfs.ext4 -d: the root filesystem image straight from the tree, without mounting.
Command mkfs_command(const BuildPaths& paths, const RecipeOptions& opts);

// qemu-img convert to a zstd-compressed qcow2 (half the size of zlib, and faster).
Command convert_command(const std::filesystem::path& raw, const std::filesystem::path& qcow2);

// extlinux.conf for booting the disk on its own (BIOS, no -kernel): VirtualBox, plain QEMU.
std::string extlinux_conf();

}  // namespace machine::guest
