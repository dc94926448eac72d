// `machine image build [--force] [--suite S] | ls | rm NAME`: the machine OS images in the store's cache
// (not a docker-machine command: docker-machine downloaded boot2docker.iso instead).
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/tabwriter.h"
#include "guest/image_cache.h"
#include "machine/error.h"

namespace machine::cli {
namespace {

std::string megabytes(std::uintmax_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
}

std::uintmax_t image_bytes(const guest::Image& img) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (const auto& p : {img.kernel, img.initrd, img.disk}) {
    auto s = std::filesystem::file_size(p, ec);
    if (!ec) total += s;
  }
  return total;
}

std::string usage() { return "Error: Expected a subcommand: build [--force] [--suite SUITE], ls, rm NAME"; }

}  // namespace

namespace {
// Machines' disks are overlays on the image: removing or rebuilding it in place breaks them.
void refuse_if_in_use(Invocation& inv, const guest::Image& img, const std::string& action) {
  auto users = ops::machines_using(*inv.env, img.dir);
  if (users.empty()) return;
  std::string names;
  for (const auto& u : users) names += (names.empty() ? "" : ", ") + u;
  fail(Code::FailedPrecondition,
       fmt::format("image {} is in use by {}: remove those machines before you {}", img.id(), names, action));
}
}  // namespace

int cmd_image(Invocation& inv) {
  const auto& args = inv.cmd.args;
  if (args.empty()) fail(Code::InvalidArgument, usage());
  // --system: the cache every user's store falls back to (root builds there once).
  guest::ImageCache cache(
      inv.cmd.flags.boolean("system") ? guest::ImageCache::system_cache_dir() : inv.store->cache_dir(),
      *inv.runner);
  const std::string& sub = args[0];
  if (sub == "build") {
    if (args.size() != 1) fail(Code::InvalidArgument, "Error: Too many arguments given");
    // The suite create boots unless told otherwise; others are built beside it and booted by
    // their directory (--qemu-image DIR).
    std::string suite = inv.cmd.flags.string("suite");
    if (suite.empty()) suite = guest::kDefaultSuite;
    // Checked under the cache's exclusive lock, which waits for creates in progress.
    auto img = cache.build(
        inv.cmd.flags.boolean("force"),
        [&](std::string_view step) {
          inv.progress->step(step);
          inv.progress->status(step);  // the heartbeat on a terminal while it runs
        },
        [&](const guest::Image& current) { refuse_if_in_use(inv, current, "rebuild it with --force"); },
        suite);
    inv.out() << fmt::format("Image {} is ready in {} ({})\n", img.id(), img.dir.string(),
                             megabytes(image_bytes(img)));
    return kExitOk;
  }
  if (sub == "ls") {
    if (args.size() != 1) fail(Code::InvalidArgument, "Error: Too many arguments given");
    std::string table = "ID\tSUITE\tKERNEL\tSIZE\tBUILT\n";
    std::vector<nlohmann::json> rows;
    for (const auto& img : cache.list()) {
      std::string suite = img.manifest.value("suite", "");
      std::string kernel = img.manifest.value("kernel_version", "");
      std::string built = img.manifest.value("built_at", "");
      table +=
          fmt::format("{}\t{}\t{}\t{}\t{}\n", img.id(), suite, kernel, megabytes(image_bytes(img)), built);
      rows.push_back({{"ID", img.id()},
                      {"Suite", suite},
                      {"Kernel", kernel},
                      {"Size", image_bytes(img)},
                      {"Built", built},
                      {"Dir", img.dir.string()}});
    }
    if (!print_formatted(inv, rows)) inv.out() << tabwrite(table, {5, 1, 3, ' '});
    return kExitOk;
  }
  if (sub == "rm") {
    if (args.size() < 2) fail(Code::InvalidArgument, "Error: Expected one or more image names");
    for (size_t i = 1; i < args.size(); ++i) {
      cache.remove(args[i], [&](const guest::Image& img) { refuse_if_in_use(inv, img, "remove it"); });
      inv.out() << "Removed " << args[i] << "\n";
    }
    return kExitOk;
  }
  fail(Code::InvalidArgument,
       fmt::format("Error: Unknown image subcommand \"{}\". {}", sub, usage().substr(7)));
}

}  // namespace machine::cli
