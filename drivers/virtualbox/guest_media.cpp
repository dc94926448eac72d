#include "drivers/virtualbox/guest_media.h"

#include <fmt/format.h>

#include "guest/image_cache.h"
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
    guest::ImageCache cache(ctx.store_root / "cache", ctx.runner);
    return cache.ensure([&](std::string_view step) { ctx.progress.status(step); }).disk;
  }

  void write_seed(const Context& ctx, const CreateSpec& spec, const guest::PrivateNetwork& net,
                  const std::filesystem::path& iso) override {
    guest::write_seed_iso(ctx.runner, seed_config(ctx, spec, net), iso);
  }
};

}  // namespace

guest::SeedConfig seed_config(const Context& ctx, const CreateSpec& spec, const guest::PrivateNetwork& net) {
  guest::SeedConfig c;
  c.instance_id = ctx.machine_name;
  c.hostname = spec.hostname;
  if (!spec.ssh_public_key.empty()) c.ssh_authorized_keys.push_back(spec.ssh_public_key);
  for (const auto& f : spec.seed_files) {
    guest::WriteFile w;
    w.path = f.path;
    w.content = f.content;
    w.permissions = fmt::format("{:04o}", f.mode);
    c.write_files.push_back(std::move(w));
  }
  c.private_network = net;
  return c;
}

std::unique_ptr<GuestMedia> make_default_guest_media() { return std::make_unique<DefaultGuestMedia>(); }

}  // namespace machine::drivers::virtualbox
