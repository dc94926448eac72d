// The recipe's command lines and embedded files.
#include "guest/recipe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "guest/recipe_files.h"
#include "machine/error.h"

namespace machine::guest {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

BuildPaths paths() {
  BuildPaths p;
  p.work_dir = "/cache/images/.build-x";
  p.deb_cache = "/cache/debs";
  return p;
}

TEST(Recipe, MmdebstrapInstallsOurPackagesIntoTheWorkDir) {
  RecipeOptions o;
  o.version = "0.1.0-abcd1234";
  Command c = mmdebstrap_command(paths(), o);
  EXPECT_EQ(c.program, "mmdebstrap");
  EXPECT_THAT(c.args, Contains("--variant=essential"));
  EXPECT_THAT(c.args, Contains("--mode=root"));
  EXPECT_THAT(c.args, Contains("--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr"));
  EXPECT_THAT(
      c.args,
      Contains(
          "--include=usr-is-merged,tiny-initramfs,linux-image-cloud-amd64,docker.io,docker-cli,containerd,"
          "runc,"
          "iptables,dropbear-bin,openssh-sftp-server,sshfs,fuse3,ca-certificates,sudo,busybox-static,mount,"
          "kmod,e2fsprogs,procps"));
  EXPECT_THAT(c.args, Contains("--dpkgopt=path-exclude=/usr/share/man/*"));
  EXPECT_THAT(c.args, Contains("--dpkgopt=path-exclude=/usr/share/locale/*"));
  EXPECT_THAT(c.args, Contains("--dpkgopt=path-exclude=/usr/share/doc/*"));
  EXPECT_THAT(c.args, Contains("--setup-hook=sync-in /cache/debs /var/cache/apt/archives"));
  EXPECT_THAT(c.args, Contains("--customize-hook=sync-out /var/cache/apt/archives /cache/debs"));
  EXPECT_THAT(c.args,
              Contains("--customize-hook=sh /cache/images/.build-x/recipe/customize.sh \"$1\" "
                       "/cache/images/.build-x/recipe 0.1.0-abcd1234 /cache/images/.build-x/out trixie"));
  ASSERT_GE(c.args.size(), 2u);
  EXPECT_EQ(c.args[c.args.size() - 2], "trixie");
  EXPECT_EQ(c.args.back(), "/cache/images/.build-x/rootfs");
}

TEST(Recipe, BookwormStaysBuildable) {
  RecipeOptions o;
  o.version = "0.1.0-abcd1234-bookworm";
  o.suite = "bookworm";
  Command c = mmdebstrap_command(paths(), o);
  Command trixie = mmdebstrap_command(paths(), RecipeOptions{o.version, "", "2G", "trixie"});
  // Only the suite and the docker CLI differ: bookworm's docker.io carries the CLI itself.
  EXPECT_THAT(
      c.args,
      Contains(
          "--include=usr-is-merged,tiny-initramfs,linux-image-cloud-amd64,docker.io,containerd,runc,"
          "iptables,dropbear-bin,openssh-sftp-server,sshfs,fuse3,ca-certificates,sudo,busybox-static,mount,"
          "kmod,e2fsprogs,procps"));
  ASSERT_EQ(c.args.size(), trixie.args.size());
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (c.args[i] == trixie.args[i] || c.args[i].starts_with("--include=")) continue;
    EXPECT_TRUE(c.args[i] == "bookworm" || c.args[i].ends_with(" bookworm")) << c.args[i];
  }
  EXPECT_EQ(c.args[c.args.size() - 2], "bookworm");
  EXPECT_THAT(c.args, Contains(::testing::EndsWith("/cache/images/.build-x/out bookworm")));
}

TEST(Recipe, SuitesAreTrixieByDefaultAndBookworm) {
  EXPECT_EQ(std::string(kDefaultSuite), "trixie");
  EXPECT_EQ(suites(), (std::vector<std::string>{"trixie", "bookworm"}));
  EXPECT_NO_THROW(check_suite("bookworm"));
  try {
    check_suite("buster");
    FAIL() << "buster accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("\"buster\""));
    EXPECT_THAT(e.what(), HasSubstr("trixie, bookworm"));
  }
}

TEST(Recipe, MirrorGoesLast) {
  RecipeOptions o;
  o.version = "v";
  o.mirror = "http://mirror.example/debian";
  EXPECT_EQ(mmdebstrap_command(paths(), o).args.back(), "http://mirror.example/debian");
}

TEST(Recipe, RootFilesystemIsLabelledForTheInitrd) {
  RecipeOptions o;
  Command c = mkfs_command(paths(), o);
  EXPECT_EQ(c.program, "mkfs.ext4");
  EXPECT_EQ(c.args,
            (std::vector<std::string>{"-q", "-F", "-L", "machineos", "-d", "/cache/images/.build-x/rootfs",
                                      "-E", "root_owner=0:0", "/cache/images/.build-x/disk.raw", "2G"}));
  EXPECT_THAT(kernel_cmdline(), HasSubstr("root=LABEL=machineos"));
  EXPECT_THAT(kernel_cmdline(), HasSubstr("console=ttyS0"));
}

TEST(Recipe, DiskIsZstdCompressedQcow2) {
  Command c = convert_command("/w/disk.raw", "/w/out/disk.qcow2");
  EXPECT_EQ(c.program, "qemu-img");
  EXPECT_EQ(c.args, (std::vector<std::string>{"convert", "-c", "-f", "raw", "-O", "qcow2", "-o",
                                              "compression_type=zstd", "/w/disk.raw", "/w/out/disk.qcow2"}));
}

TEST(Recipe, ExtlinuxBootsTheSameKernelAndCmdline) {
  EXPECT_THAT(extlinux_conf(), HasSubstr("LINUX /boot/vmlinuz\n"));
  EXPECT_THAT(extlinux_conf(), HasSubstr("INITRD /boot/initrd.img\n"));
  EXPECT_THAT(extlinux_conf(), HasSubstr("APPEND " + kernel_cmdline() + "\n"));
}

TEST(Recipe, EmbedsEveryShellPart) {
  std::vector<std::string> names;
  for (const auto& f : recipe_files()) names.push_back(f.name);
  for (const char* want : {"customize.sh", "boot.sh", "shutdown.sh", "seed.sh", "machine-docker",
                           "udhcpc.script", "initrd-init", "modules.keep", "containerd.toml"})
    EXPECT_THAT(names, Contains(want));
  auto boot = std::find_if(recipe_files().begin(), recipe_files().end(),
                           [](const RecipeFile& f) { return std::string(f.name) == "boot.sh"; });
  ASSERT_NE(boot, recipe_files().end());
  // the serial markers the QEMU driver and the provisioner parse
  EXPECT_THAT(std::string(boot->content), HasSubstr("machine-hostkey: "));
  EXPECT_THAT(std::string(boot->content), HasSubstr("machine-docker-ready"));
  EXPECT_THAT(std::string(boot->content), HasSubstr("machine-boot-done"));
}

TEST(Recipe, VersionCarriesProjectVersionRecipeHashAndSuite) {
  std::string r = recipe_version();
  EXPECT_EQ(r.rfind(std::string(MACHINE_VERSION) + "-", 0), 0u) << r;
  EXPECT_EQ(r.size(), std::string(MACHINE_VERSION).size() + 9) << r;
  // Each suite has an image of its own; the default is what create boots.
  EXPECT_EQ(image_version("bookworm"), r + "-bookworm");
  EXPECT_EQ(image_version(), r + "-trixie");
  EXPECT_NE(image_version("bookworm"), image_version("trixie"));
}

}  // namespace
}  // namespace machine::guest
