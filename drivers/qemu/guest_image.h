#pragma once
// Where the QEMU driver gets what it boots and the first-boot seed: the machine OS from
// the guest image cache (machine::guest), or a stock cloud image given by --qemu-image.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "drivers/driver.h"
#include "guest/seed.h"

namespace machine::drivers::qemu {

struct BootImage {
  std::string disk;            // base image the overlay is backed by
  std::string kernel;          // "" = boot the disk's own bootloader (stock cloud image)
  std::string initrd;
  std::string kernel_cmdline;
  // The cache's shared lock (guest::ImageUse) for a cached image: kept by the create that
  // uses it, so `image build --force`/`image rm` cannot replace it underneath (null otherwise).
  std::shared_ptr<const void> hold;
  bool machine_os() const { return !kernel.empty(); }
};

// Resolves --qemu-image (`image`, "" = the machine OS from the store's cache, built or
// fetched if missing, reporting through ctx.progress). A directory is read as a machine
// OS image; a file as a stock cloud image. Throws Error(NotFound/FailedPrecondition).
BootImage resolve_boot_image(const Context& ctx, const std::string& image);

// The machine OS image already in the store's cache, without building or fetching.
std::optional<BootImage> find_boot_image(const Context& ctx);

// Writes the NoCloud seed (ISO 9660 labelled cidata) for `spec` to `iso`; user "docker".
// `private_network`: the static address of a second NIC (--qemu-network).
void write_seed(const Context& ctx, const CreateSpec& spec, const std::filesystem::path& iso,
                const std::optional<guest::PrivateNetwork>& private_network = std::nullopt);

// The guest user the seed creates and SSH logs in as.
inline constexpr std::string_view kGuestUser = "docker";

}  // namespace machine::drivers::qemu
