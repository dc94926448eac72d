#pragma once
// What a VM driver boots and the first-boot seed it hands the guest: the machine OS from
// the guest image cache (machine::guest), or a stock cloud image given by path; the NoCloud
// seed (one rule for its instance id).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/common/guest.h"
#include "drivers/driver.h"
#include "guest/seed.h"
#include "machine/process_runner.h"

namespace machine::drivers::common {

struct BootImage {
  std::string disk;    // base image the overlay is backed by
  std::string kernel;  // "" = boot the disk's own bootloader (stock cloud image)
  std::string initrd;
  std::string kernel_cmdline;
  // The cache's shared lock (guest::ImageUse) for a cached image: kept by the create that
  // uses it, so `image build --force`/`image rm` cannot replace it underneath (null otherwise).
  std::shared_ptr<const void> hold;
  bool machine_os() const { return !kernel.empty(); }
};

// Resolves the image flag `flag` (named in errors) whose value is `image` ("" = the machine OS from the
// store's cache, built or fetched if missing, reporting through ctx.progress). A directory is read as a
// machine OS image; a file as a stock cloud image. Throws Error(NotFound/FailedPrecondition).
BootImage resolve_boot_image(const Context& ctx, const std::string& image, std::string_view flag);

// The machine OS image already in the store's cache, without building or fetching.
std::optional<BootImage> find_boot_image(const Context& ctx);

// The NoCloud seed for `spec`: user kGuestUser with the machine's key, the seed files, and
// `private_network` (the static address of a second NIC). The instance id is new on every
// create, so the guest applies keys and files for this machine even on a reused disk.
guest::SeedConfig seed_config(const CreateSpec& spec,
                              const std::optional<guest::PrivateNetwork>& private_network = std::nullopt);

// Writes seed_config(spec, private_network) as an ISO 9660 image labelled cidata to `iso`.
void write_seed(const Context& ctx, const CreateSpec& spec, const std::filesystem::path& iso,
                const std::optional<guest::PrivateNetwork>& private_network = std::nullopt);

// `qemu-img info --output=json` of a disk image (60 s at most).
struct DiskImageInfo {
  std::string format;          // "qcow2", "raw", "vmdk" ...
  std::uint64_t virtual_size;  // bytes
};
// Throws Error(Internal) when qemu-img fails or prints no format, Error(Unavailable) on timeout.
DiskImageInfo disk_image_info(ProcessRunner& runner, const std::filesystem::path& image);

}  // namespace machine::drivers::common
