#include "guest/image_build.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "guest/image_cache.h"
#include "guest/manifest.h"
#include "guest/recipe_files.h"
#include "machine/cancel.h"
#include "machine/error.h"

namespace machine::guest {
namespace fs = std::filesystem;
namespace {

// Reports each step and records how long the previous one took (manifest step_seconds).
class Steps {
 public:
  explicit Steps(const StepCallback& progress) : progress_(progress) {}
  void next(std::string_view label, std::string key) {
    finish();
    key_ = std::move(key);
    start_ = std::chrono::steady_clock::now();
    if (progress_) progress_(label);
  }
  void finish() {
    if (!key_.empty())
      done_.emplace_back(key_,
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    key_.clear();
  }
  const std::vector<std::pair<std::string, double>>& done() const { return done_; }

 private:
  const StepCallback& progress_;
  std::string key_;
  std::chrono::steady_clock::time_point start_;
  std::vector<std::pair<std::string, double>> done_;
};

void write_text(const fs::path& path, std::string_view content, fs::perms mode) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out.flush()) fail(Code::Internal, fmt::format("cannot write {}", path.string()));
  fs::permissions(path, mode);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Code::Internal, fmt::format("the recipe did not produce {}", path.string()));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::uintmax_t tree_bytes(const fs::path& root) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  }
  return total;
}

// Installs extlinux into the filesystem image so the disk boots without -kernel. extlinux
// only works on a mounted filesystem, hence the loop mount.
void install_bootloader(ProcessRunner& runner, const BuildPaths& p) {
  fs::create_directories(p.mount_dir());
  const std::string mnt = p.mount_dir().string();
  run_checked(runner,
              Command{"mount",
                      {"-o", "loop", p.raw_disk().string(), mnt},
                      {},
                      std::nullopt,
                      std::chrono::seconds(60),
                      {}},
              "cannot loop-mount the root filesystem");
  try {
    run_checked(runner,
                Command{"extlinux",
                        {"--install", mnt + "/boot/extlinux"},
                        {},
                        std::nullopt,
                        std::chrono::seconds(60),
                        {}},
                "extlinux");
  } catch (...) {
    runner.run(Command{"umount", {mnt}, {}, std::nullopt, std::chrono::seconds(60), {}});
    throw;
  }
  run_checked(runner, Command{"umount", {mnt}, {}, std::nullopt, std::chrono::seconds(60), {}},
              "cannot unmount the root filesystem");
}

// mmdebstrap hands apt a pipe by fd number and dash ("cat >&N") only takes N < 10. File
// descriptors our process leaks into children push that pipe past 9, so close every
// inherited descriptor above 2 before exec.
Command without_inherited_fds(Command c) {
  std::vector<std::string> args = {"-c",
                                   "for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ \"$fd\" -gt 2 ] && eval "
                                   "\"exec $fd>&-\"; done; exec \"$0\" \"$@\"",
                                   c.program};
  args.insert(args.end(), c.args.begin(), c.args.end());
  c.program = "bash";
  c.args = std::move(args);
  return c;
}

}  // namespace

void check_build_prerequisites(ProcessRunner& runner) {
  if (::geteuid() != 0)
    fail(Code::FailedPrecondition,
         "building the machine OS image needs root (mmdebstrap, mkfs.ext4 -d, loop mount): have root run "
         "`sudo machine image build --system` once; every user's machines then use it from " +
             ImageCache::system_cache_dir().string());
  require_program(runner, "mmdebstrap", "mmdebstrap");
  require_program(runner, "mkfs.ext4", "e2fsprogs");
  require_program(runner, "qemu-img", "qemu-utils");
  require_program(runner, "extlinux", "extlinux");
  require_program(runner, "mount", "mount");
  // trixie's kernel modules come xz-compressed; customize.sh stores the kept ones plain
  require_program(runner, "xz", "xz-utils");
}

void build_image(ProcessRunner& runner, const BuildPaths& p, const RecipeOptions& opts,
                 const StepCallback& progress) {
  const auto started = std::chrono::steady_clock::now();
  const auto built_at = std::chrono::system_clock::now();
  fs::create_directories(p.recipe_dir());
  fs::create_directories(p.out_dir());
  fs::create_directories(p.deb_cache);
  for (const auto& f : recipe_files()) write_text(p.recipe_dir() / f.name, f.content, fs::perms(0755));

  Steps steps(progress);
  steps.next("installing Debian packages (mmdebstrap)", "mmdebstrap");
  run_checked(runner, without_inherited_fds(mmdebstrap_command(p, opts)), "mmdebstrap");
  throw_if_cancelled();
  write_text(p.rootfs() / "boot/extlinux/extlinux.conf", extlinux_conf(), fs::perms(0644));
  const std::uintmax_t rootfs_bytes = tree_bytes(p.rootfs());

  steps.next("creating the root filesystem", "mkfs");
  run_checked(runner, mkfs_command(p, opts), "mkfs.ext4");
  std::error_code ec;
  fs::remove_all(p.rootfs(), ec);
  throw_if_cancelled();

  steps.next("installing the boot loader", "extlinux");
  install_bootloader(runner, p);

  steps.next("compressing the disk", "qcow2");
  const fs::path disk = p.out_dir() / "disk.qcow2";
  run_checked(runner, convert_command(p.raw_disk(), disk), "qemu-img convert");
  fs::remove(p.raw_disk(), ec);
  throw_if_cancelled();

  steps.next("writing the manifest", "manifest");
  ManifestInput in;
  in.name = kImageName;
  in.version = opts.version;
  in.suite = opts.suite;
  in.kernel_version = read_text(p.out_dir() / "kernel-version");
  while (!in.kernel_version.empty() && std::isspace(static_cast<unsigned char>(in.kernel_version.back())))
    in.kernel_version.pop_back();
  in.kernel_cmdline = kernel_cmdline();
  in.built_at = built_at;
  in.rootfs_bytes = rootfs_bytes;
  in.packages = parse_packages_tsv(read_text(p.out_dir() / "packages.tsv"));
  for (auto [role, name] :
       {std::pair{"kernel", "vmlinuz"}, {"initrd", "initrd.img"}, {"disk", "disk.qcow2"}}) {
    const fs::path f = p.out_dir() / name;
    in.files.push_back({role, name, fs::file_size(f), sha256_file(f)});
    fs::permissions(f, fs::perms(0644));
  }
  fs::remove(p.out_dir() / "packages.tsv", ec);
  fs::remove(p.out_dir() / "kernel-version", ec);
  steps.finish();
  in.step_seconds = steps.done();
  in.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  write_text(p.out_dir() / "manifest.json", make_manifest(in).dump(2) + "\n", fs::perms(0644));
}

}  // namespace machine::guest
