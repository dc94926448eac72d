#include "drivers/qemu/guest_image.h"

#include <fmt/format.h>

#include <chrono>

#include "guest/image_cache.h"
#include "guest/seed.h"
#include "machine/error.h"

namespace machine::drivers::qemu {
namespace {

BootImage from_guest(const guest::Image& img) {
  return BootImage{img.disk.string(), img.kernel.string(), img.initrd.string(), img.kernel_cmdline()};
}

guest::ImageCache cache(const Context& ctx) { return guest::ImageCache(ctx.store_root / "cache", ctx.runner); }

}  // namespace

BootImage resolve_boot_image(const Context& ctx, const std::string& image) {
  if (image.empty()) {
    auto c = cache(ctx);
    for (int attempt = 0;; ++attempt) {
      auto hold = std::make_shared<guest::ImageUse>(c.use());
      if (auto found = c.find_default()) {
        auto boot = from_guest(*found);
        boot.hold = hold;
        return boot;
      }
      hold.reset();  // building takes the lock exclusively
      if (attempt > 0) fail(Code::Internal, "the machine OS image vanished right after it was built");
      ctx.progress.step("Building the machine OS image (once per version of machine)...");
      c.ensure([&](std::string_view step) { ctx.progress.status(step); });
    }
  }
  std::error_code ec;
  auto path = std::filesystem::absolute(image, ec);
  if (std::filesystem::is_directory(path, ec)) {
    auto img = guest::ImageCache::load(path);
    if (!img)
      fail(Code::FailedPrecondition,
           fmt::format("--qemu-image {}: not a complete machine OS image (manifest.json and its files)", image));
    return from_guest(*img);
  }
  if (!std::filesystem::is_regular_file(path, ec))
    fail(Code::NotFound, fmt::format("--qemu-image {}: no such file or directory", image));
  return BootImage{path.string(), "", "", ""};  // a stock cloud image boots its own kernel
}

std::optional<BootImage> find_boot_image(const Context& ctx) {
  auto img = cache(ctx).find_default();
  if (!img) return std::nullopt;
  return from_guest(*img);
}

void write_seed(const Context& ctx, const CreateSpec& spec, const std::filesystem::path& iso,
                const std::optional<guest::PrivateNetwork>& private_network) {
  guest::SeedConfig seed;
  // A fresh instance id per create: the guest applies keys and files once per instance.
  auto now = std::chrono::system_clock::now().time_since_epoch();
  seed.instance_id = fmt::format("{}-{}", spec.hostname,
                                 std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  seed.hostname = spec.hostname;
  if (!spec.ssh_public_key.empty()) seed.ssh_authorized_keys.push_back(spec.ssh_public_key);
  for (const auto& f : spec.seed_files) {
    guest::WriteFile w;
    w.path = f.path;
    w.content = f.content;
    w.permissions = fmt::format("{:04o}", f.mode);
    seed.write_files.push_back(std::move(w));
  }
  seed.private_network = private_network;
  with_context("cannot write the first-boot seed", [&] { guest::write_seed_iso(ctx.runner, seed, iso); });
}

}  // namespace machine::drivers::qemu
