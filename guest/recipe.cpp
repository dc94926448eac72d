#include "guest/recipe.h"

#include <fmt/format.h>

#include "guest/recipe_files.h"
#include "machine/error.h"

namespace machine::guest {

std::string kernel_cmdline() { return std::string("console=ttyS0 root=LABEL=") + kDiskLabel + " rw quiet"; }

const std::vector<std::string>& suites() {
  static const std::vector<std::string> list = {kDefaultSuite, "bookworm"};
  return list;
}

void check_suite(std::string_view suite) {
  for (const auto& s : suites())
    if (s == suite) return;
  std::string known;
  for (const auto& s : suites()) known += (known.empty() ? "" : ", ") + s;
  fail(Code::InvalidArgument,
       fmt::format("unknown Debian suite \"{}\" for the machine OS: use one of {}", suite, known));
}

std::string image_version(std::string_view suite) { return recipe_version() + "-" + std::string(suite); }

std::vector<std::string> packages(std::string_view suite) {
  std::vector<std::string> list = {
      // usr-is-merged and tiny-initramfs stand in for usrmerge (pulls perl) and
      // initramfs-tools (pulls udev): the tree is merged already and we build our own initrd.
      "usr-is-merged",
      "tiny-initramfs",
      "linux-image-cloud-amd64",
      "docker.io",
      "containerd",
      "runc",
      "iptables",
      // dropbear is small and starts at once; sftp-server gives it SFTP (machine scp)
      "dropbear-bin",
      "openssh-sftp-server",
      // host folders: sshfs for the reverse-sshfs transport (virtiofs is in the kernel)
      "sshfs",
      "fuse3",
      "ca-certificates",
      "sudo",
      // init, acpid, findfs, ip come from busybox; mount, kmod, e2fsprogs for the rest
      "busybox-static",
      "mount",
      "kmod",
      "e2fsprogs",
      // boot2docker's everyday tools scripts call over `machine ssh` (pgrep, pkill, ps, free,
      // top, watch): busybox-static 1.35 has no pgrep/pkill, procps has them all (~1 MB)
      "procps",
  };
  // From trixie on the docker CLI is a package of its own that docker.io only recommends;
  // boot2docker had it, and scripts run `machine ssh vm docker ...`.
  if (suite != "bookworm") list.insert(list.begin() + 4, "docker-cli");
  return list;
}

Command mmdebstrap_command(const BuildPaths& p, const RecipeOptions& o) {
  Command c;
  c.program = "mmdebstrap";
  std::string include;
  for (const auto& pkg : packages(o.suite)) include += (include.empty() ? "" : ",") + pkg;
  const std::string recipe = p.recipe_dir().string();
  const std::string cache = p.deb_cache.string();
  c.args = {
      "--variant=essential",
      "--mode=root",
      "--format=directory",
      // a merged /usr from the start, so apt never pulls usrmerge (and perl) in
      "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
      "--aptopt=APT::Install-Recommends \"false\"",
      "--dpkgopt=force-unsafe-io",
      "--include=" + include,
      "--dpkgopt=path-exclude=/usr/share/man/*",
      "--dpkgopt=path-exclude=/usr/share/locale/*",
      "--dpkgopt=path-exclude=/usr/share/info/*",
      "--dpkgopt=path-exclude=/usr/share/doc/*",
      "--dpkgopt=path-include=/usr/share/doc/*/copyright",
      "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives",
      "--setup-hook=sync-in " + cache + " /var/cache/apt/archives",
      "--customize-hook=sync-out /var/cache/apt/archives " + cache,
      "--customize-hook=sh " + recipe + "/customize.sh \"$1\" " + recipe + " " + o.version + " " +
          p.out_dir().string() + " " + o.suite,
      o.suite,
      p.rootfs().string(),
  };
  if (!o.mirror.empty()) c.args.push_back(o.mirror);
  c.timeout = std::chrono::minutes(30);
  return c;
}

Command mkfs_command(const BuildPaths& p, const RecipeOptions& o) {
  return Command{"mkfs.ext4",
                 {"-q", "-F", "-L", kDiskLabel, "-d", p.rootfs().string(), "-E", "root_owner=0:0",
                  p.raw_disk().string(), o.disk_size},
                 {},
                 std::nullopt,
                 std::chrono::minutes(5),
                 {}};
}

Command convert_command(const std::filesystem::path& raw, const std::filesystem::path& qcow2) {
  return Command{"qemu-img",
                 {"convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "compression_type=zstd", raw.string(),
                  qcow2.string()},
                 {},
                 std::nullopt,
                 std::chrono::minutes(10),
                 {}};
}

std::string extlinux_conf() {
  return "DEFAULT machineos\nTIMEOUT 0\nPROMPT 0\n\nLABEL machineos\n  LINUX /boot/vmlinuz\n"
         "  INITRD /boot/initrd.img\n  APPEND " +
         kernel_cmdline() + "\n";
}

}  // namespace machine::guest
