// A user who is not root, made by this test with useradd (and removed with every process it
// left): create -> docker run -> rm with the image root built into the system-wide cache
// (MACHINE_SYSTEM_IMAGE_CACHE pointed at the run's prebuilt one), the store, docker config
// and machine binary all in the user's own home.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "tests/e2e/e2e_env.h"

namespace machine::e2e {
namespace {

class NonRootUser {
 public:
  explicit NonRootUser(const std::filesystem::path& home)
      : name_("mt" + std::to_string(::getpid())), home_(home) {
    // kvm: where KVM works, a non-root user needs the group (here QEMU runs TCG anyway).
    std::string groups = sh("getent group kvm").status == 0 ? " -G kvm" : "";
    created_ = sh("useradd -M -N -s /bin/bash -d " + home_.string() + groups + " " + name_).status == 0;
    if (created_) sh("mkdir -p " + home_.string() + " && chown " + name_ + " " + home_.string());
  }
  ~NonRootUser() {
    if (!created_) return;
    // Whatever the user still runs was started by this test (a VM, a forwarder, sshfs
    // helpers after a failure): end those processes by pid, then remove the user.
    for (int round = 0; round < 3; ++round) {
      auto uid = sh("id -u " + name_).out;
      if (uid.empty()) break;
      sh("for p in $(pgrep -U " + uid.substr(0, uid.find('\n')) + "); do kill -9 \"$p\"; done; sleep 1");
    }
    sh("userdel " + name_);
  }
  bool created() const { return created_; }
  const std::string& name() const { return name_; }
  // Runs a shell command line as the user, with only the environment given here.
  Result run(const std::string& script, const std::string& image_cache) const {
    std::string env = "env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=" + home_.string() +
                      " SHELL=/bin/bash" + " DOCKER_CONFIG=" + (home_ / ".docker").string() +
                      " MACHINE_SYSTEM_IMAGE_CACHE=" + image_cache;
    std::string quoted = "'";
    for (char c : script) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    quoted += "'";
    return sh("cd " + home_.string() + " && runuser -u " + name_ + " -- " + env + " bash -c " + quoted);
  }

 private:
  std::string name_;
  std::filesystem::path home_;
  bool created_ = false;
};

TEST(NonRoot, AUserCreatesUsesAndRemovesAMachine) {
  if (::geteuid() != 0) GTEST_SKIP() << "making a user needs root";
  machine::testing::TempDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  auto home = dir.path() / "home";
  NonRootUser user(home);
  ASSERT_TRUE(user.created());
  // The binary and a busybox image tarball where the user can read them.
  Store root_store;  // only for its binary path
  ASSERT_EQ(sh("install -m 0755 " + root_store.binary() + " " + (home / "machine").string()).status, 0);
  auto tar = busybox_tar(home);
  sh("chown -R " + user.name() + " " + home.string());
  const char* cache = std::getenv("MACHINE_TEST_IMAGE_CACHE");
  std::string image_cache = cache ? cache : "/var/tmp/machine-test-cache";

  auto id = user.run("id -u", image_cache);
  ASSERT_NE(id.out, "0\n") << id.out;
  auto create = user.run("./machine -s store create --qemu-restrict-network vmu", image_cache);
  ASSERT_EQ(create.status, 0) << create.out;
  EXPECT_EQ(create.out.find("Building the machine OS image"), std::string::npos) << create.out;
  EXPECT_NE(create.out.find("Docker is up and running!"), std::string::npos) << create.out;
  auto docker =
      user.run("eval \"$(./machine -s store env vmu)\" && docker import " + tar.string() +
                   " e2e/busybox >/dev/null && docker run --rm e2e/busybox echo hello-from-$(id -un)",
               image_cache);
  EXPECT_EQ(docker.status, 0) << docker.out;
  EXPECT_NE(docker.out.find("hello-from-" + user.name()), std::string::npos) << docker.out;
  // Everything the machine made belongs to the user.
  EXPECT_EQ(sh("find " + (home / "store").string() + " ! -user " + user.name() + " | head -3").out, "");
  auto rm = user.run("./machine -s store rm -y vmu", image_cache);
  EXPECT_EQ(rm.status, 0) << rm.out;
  EXPECT_FALSE(qemu_running_with((home / "store").string()));
  EXPECT_EQ(user.run("./machine -s store ls -q", image_cache).out, "");
}

}  // namespace
}  // namespace machine::e2e
