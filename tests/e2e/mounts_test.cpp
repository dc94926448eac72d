// Host folders in the machine (issue 16), end to end on the default qemu driver with the
// real docker CLI: a temp dir mounted with virtiofs, then with reverse sshfs; a container
// writes through `-v <dir>:/data`, the host sees the file with its user's ownership, host
// edits show in containers, and all of it survives `machine restart`. Plus `machine mount`
// and the create-time refusals (nothing made).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/e2e/e2e_env.h"

namespace machine::e2e {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One booted machine per transport, shared by its cases.
class MountFlow : public ::testing::Test {
 protected:
  static void boot(const std::string& name, const std::string& type) {
    store_ = new Store();
    share_ = new machine::testing::TempDir();
    auto r = store_->machine("create --qemu-restrict-network --mount-type " + type + " --mount " +
                             share_->path().string() + " " + name);
    created_ = r.status == 0;
    create_out_ = new std::string(r.out);
    name_ = name;
    if (!created_) return;
    auto tar = busybox_tar(store_->path());  // outside the share
    auto imp = store_->with_env(name, "docker import " + tar.string() + " e2e/busybox");
    imported_ = imp.status == 0;
  }
  static void TearDownTestSuite() {
    delete store_;
    delete share_;
    delete create_out_;
  }
  void SetUp() override {
    ASSERT_TRUE(created_) << *create_out_;
    ASSERT_TRUE(imported_);
  }
  // docker run --rm -v <share>:/data e2e/busybox sh -c '<script>'
  // A run that hangs (the e2e step timeout, status -2) adds the guest's side to the report:
  // its processes and wait channels, mounts, the engine's log and the kernel's.
  static Result in_container(const std::string& script) {
    auto r = store_->with_env(
        name_, "docker run --rm -v " + share_->path().string() + ":/data e2e/busybox sh -c '" + script + "'");
    if (r.status == -2)
      r.out += "\n[e2e] the guest:\n" +
               store_
                   ->machine(
                       "ssh " + name_ +
                       " -- \"sudo ps -eo pid,stat,wchan:30,args; sudo grep -E 'virtiofs|fuse' /proc/mounts; "
                       "sudo tail -40 /var/log/docker.log; sudo dmesg | tail -30\"")
                   .out;
    return r;
  }

  void ContainerWritesShowOnTheHostOwnedByTheUser() {
    auto r = in_container("echo hi > /data/x");
    ASSERT_EQ(r.status, 0) << r.out;
    auto x = share_->path() / "x";
    EXPECT_EQ(slurp(x), "hi\n");
    struct stat st {};
    ASSERT_EQ(::stat(x.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, ::geteuid()) << "the file should belong to the user who ran machine";
  }
  void HostEditsShowInContainers() {
    machine::testing::write_file(share_->path() / "edit.txt", "from-host-1\n");
    auto r = in_container("cat /data/edit.txt");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "from-host-1\n");
    machine::testing::write_file(share_->path() / "edit.txt", "from-host-2\n");
    ::sleep(2);  // attribute caches hold for 1 s
    r = in_container("cat /data/edit.txt");
    EXPECT_EQ(r.out, "from-host-2\n");
  }
  void SurvivesRestart() {
    machine::testing::write_file(share_->path() / "before-restart", "kept\n");
    auto r = store_->machine("restart " + name_);
    ASSERT_EQ(r.status, 0) << r.out;
    r = in_container("cat /data/before-restart && echo after > /data/after-restart");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "kept\n");
    EXPECT_EQ(slurp(share_->path() / "after-restart"), "after\n");
  }
  void StopLeavesNoHelperBehind() {
    auto dir = (store_->path() / "machines" / name_).string();
    auto r = store_->machine("stop " + name_);
    ASSERT_EQ(r.status, 0) << r.out;
    auto ps =
        sh("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -F -- '" +
           dir + "/' | grep -v grep");
    EXPECT_NE(ps.status, 0) << "still running after stop:\n" << ps.out;
    r = store_->machine("start " + name_);
    ASSERT_EQ(r.status, 0) << r.out;
    r = in_container("cat /data/x");
    EXPECT_EQ(r.out, "hi\n") << "mount re-established by start";
  }

  static Store* store_;
  static machine::testing::TempDir* share_;
  static std::string* create_out_;
  static std::string name_;
  static bool created_, imported_;
};
Store* MountFlow::store_ = nullptr;
machine::testing::TempDir* MountFlow::share_ = nullptr;
std::string* MountFlow::create_out_ = nullptr;
std::string MountFlow::name_;
bool MountFlow::created_ = false;
bool MountFlow::imported_ = false;

class Virtiofs : public MountFlow {
 protected:
  static void SetUpTestSuite() { boot("vfs", "virtiofs"); }
};

TEST_F(Virtiofs, ConfigAndInspectShowTheMount) {
  auto r =
      store_->machine("inspect --format '{{json .HostOptions.Mounts}} {{.HostOptions.MountType}}' " + name_);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"HostDir\":\"" + share_->path().string() + "\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("virtiofs"), std::string::npos) << r.out;
}
TEST_F(Virtiofs, ContainerWritesShowOnTheHostOwnedByTheUser) { ContainerWritesShowOnTheHostOwnedByTheUser(); }
TEST_F(Virtiofs, HostEditsShowInContainers) { HostEditsShowInContainers(); }

TEST_F(Virtiofs, MachineMountShowsAVmDirOnTheHostAndUnmounts) {
  auto r = store_->machine("ssh " + name_ + " -- 'mkdir -p /tmp/d && echo made-in-vm > /tmp/d/f'");
  ASSERT_EQ(r.status, 0) << r.out;
  machine::testing::TempDir local;
  r = store_->machine("mount " + name_ + ":/tmp/d " + local.path().string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(slurp(local.path() / "f"), "made-in-vm\n");
  r = store_->machine("mount -u " + name_ + ":/tmp/d " + local.path().string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_FALSE(std::filesystem::exists(local.path() / "f")) << "still mounted";
}

TEST_F(Virtiofs, SurvivesRestart) { SurvivesRestart(); }
TEST_F(Virtiofs, StopLeavesNoHelperBehindAndStartMountsAgain) { StopLeavesNoHelperBehind(); }

class Sshfs : public MountFlow {
 protected:
  static void SetUpTestSuite() { boot("sfs", "sshfs"); }
};

TEST_F(Sshfs, ContainerWritesShowOnTheHostOwnedByTheUser) { ContainerWritesShowOnTheHostOwnedByTheUser(); }
TEST_F(Sshfs, HostEditsShowInContainers) { HostEditsShowInContainers(); }
TEST_F(Sshfs, SurvivesRestart) { SurvivesRestart(); }
TEST_F(Sshfs, StopLeavesNoHelperBehindAndStartMountsAgain) { StopLeavesNoHelperBehind(); }

// Refused at create, before anything is made (no VM boots for these).
TEST(MountRefusals, BadSpecsFailCreateAndLeaveNoMachine) {
  Store s;
  machine::testing::TempDir tmp;
  struct Case {
    std::string flags, mention;
  };
  for (const auto& c : std::vector<Case>{
           {"--mount relative/dir", "relative path"},
           {"--mount " + (tmp.path() / "missing").string(), "does not exist"},
           {"--mount " + tmp.path().string() + ":/usr", "would hide or change /usr"},
           {"--mount " + tmp.path().string() + ":/var/lib/docker", "/var/lib/docker"},
           {"--mount " + tmp.path().string() + ":/", "\"/\""},
           {"--mount " + tmp.path().string() + ":/src --mount " + tmp.path().string() + ":/src/sub",
            "overlap"},
           {"--mount-type nfs", "invalid --mount-type"},
       }) {
    auto r = s.machine("create --qemu-restrict-network " + c.flags + " bad");
    EXPECT_NE(r.status, 0) << c.flags;
    EXPECT_NE(r.out.find(c.mention), std::string::npos) << c.flags << ":\n" << r.out;
    EXPECT_FALSE(std::filesystem::exists(s.path() / "machines" / "bad")) << c.flags;
  }
}

}  // namespace
}  // namespace machine::e2e
