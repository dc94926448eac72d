#include "drivers/virtualbox/guest_media.h"

#include <fmt/format.h>

#include "drivers/common/guest_image.h"
#include "machine/error.h"

namespace machine::drivers::virtualbox {
namespace {

class DefaultGuestMedia final : public GuestMedia {
 public:
  std::filesystem::path base_image(const Context& ctx, const std::string& image) override {
    if (!image.empty()) {
      if (!std::filesystem::is_regular_file(image))
        fail(Code::NotFound, fmt::format("--virtualbox-boot2docker-url {}: no such file", image));
      return std::filesystem::absolute(image);
    }
    return common::resolve_boot_image(ctx, "", "--virtualbox-boot2docker-url").disk;
  }

  void write_seed(const Context& ctx, const CreateSpec& spec, const guest::PrivateNetwork& net,
                  const std::filesystem::path& iso) override {
    common::write_seed(ctx, spec, iso, net);
  }
};

}  // namespace

std::unique_ptr<GuestMedia> make_default_guest_media() { return std::make_unique<DefaultGuestMedia>(); }

}  // namespace machine::drivers::virtualbox
