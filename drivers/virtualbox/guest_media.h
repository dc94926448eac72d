#pragma once
// Where the VirtualBox driver gets its disk and first-boot seed. The disk must boot on
// its own (BIOS bootloader): VirtualBox has no direct kernel boot. The seed is the NoCloud
// ISO of machine::guest with a private network: the host-only NIC, found by its MAC, gets
// a static address (the machine OS has no DHCP client; stock cloud images honour it too).
#include <filesystem>
#include <memory>
#include <string>

#include "drivers/driver.h"
#include "guest/seed.h"

namespace machine::drivers::virtualbox {

class GuestMedia {
 public:
  virtual ~GuestMedia() = default;
  // The base disk image to convert: `image` (a local path from --virtualbox-boot2docker-url)
  // or the machine OS from the store's image cache (built when missing).
  // Throws Error(NotFound/FailedPrecondition).
  virtual std::filesystem::path base_image(const Context& ctx, const std::string& image) = 0;
  // Writes the seed ISO for `spec` with the host-only NIC as `net` to `iso`.
  virtual void write_seed(const Context& ctx, const CreateSpec& spec, const guest::PrivateNetwork& net,
                          const std::filesystem::path& iso) = 0;
};

// The machine OS from the store's image cache and drivers/common's seed.
std::unique_ptr<GuestMedia> make_default_guest_media();

}  // namespace machine::drivers::virtualbox
