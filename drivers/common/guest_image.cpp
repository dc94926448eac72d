#include "drivers/common/guest_image.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "guest/image_cache.h"
#include "guest/seed.h"
#include "machine/error.h"

namespace machine::drivers::common {
namespace {

BootImage from_guest(const guest::Image& img) {
  return BootImage{img.disk.string(), img.kernel.string(), img.initrd.string(), img.kernel_cmdline()};
}

guest::ImageCache cache(const Context& ctx) {
  return guest::ImageCache(ctx.store_root / "cache", ctx.runner);
}

}  // namespace

BootImage resolve_boot_image(const Context& ctx, const std::string& image, std::string_view flag) {
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
           fmt::format("{} {}: not a complete machine OS image (manifest.json and its files)", flag, image));
    return from_guest(*img);
  }
  if (!std::filesystem::is_regular_file(path, ec))
    fail(Code::NotFound, fmt::format("{} {}: no such file or directory", flag, image));
  return BootImage{path.string(), "", "", ""};  // a stock cloud image boots its own kernel
}

std::optional<BootImage> find_boot_image(const Context& ctx) {
  auto img = cache(ctx).find_default();
  if (!img) return std::nullopt;
  return from_guest(*img);
}

guest::SeedConfig seed_config(const CreateSpec& spec,
                              const std::optional<guest::PrivateNetwork>& private_network) {
  guest::SeedConfig seed;
  // A fresh instance id per create: the guest applies keys and files once per instance.
  auto now = std::chrono::system_clock::now().time_since_epoch();
  seed.instance_id =
      fmt::format("{}-{}", spec.hostname, std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
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
  return seed;
}

void write_seed(const Context& ctx, const CreateSpec& spec, const std::filesystem::path& iso,
                const std::optional<guest::PrivateNetwork>& private_network) {
  with_context("cannot write the first-boot seed",
               [&] { guest::write_seed_iso(ctx.runner, seed_config(spec, private_network), iso); });
}

DiskImageInfo disk_image_info(ProcessRunner& runner, const std::filesystem::path& image) {
  Command info{"qemu-img", {"info", "--output=json", image.string()}};
  info.timeout = std::chrono::seconds(60);
  auto j = nlohmann::json::parse(run_checked(runner, info, "qemu-img").out, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("format") || !j["format"].is_string())
    fail(Code::Internal, "qemu-img info gave no format for " + image.string());
  return {j["format"].get<std::string>(), j.value("virtual-size", std::uint64_t{0})};
}

}  // namespace machine::drivers::common
