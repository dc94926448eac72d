// The mount model: spec grammar, validation (nothing half-made: every bad spec is refused
// before create touches anything), the default home mount, the transport choice, and the
// config.json form.
#include "drivers/common/mounts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "machine/error.h"
#include "machine/host.h"
#include "machine/store.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers::common {
namespace {

using ::testing::HasSubstr;

// The message of the InvalidArgument error `f` throws ("" when it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument) << e.what();
    return e.what();
  }
  return "";
}

class Mounts : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(tmp_ / "a" / "b");
    std::filesystem::create_directories(tmp_ / "ab");
    machine::testing::write_file(tmp_ / "file", "x");
  }
  std::string dir(const std::string& rel) const { return (tmp_ / rel).string(); }
  std::string validate_error(std::vector<Mount> ms) {
    return error_of([&] { validate_mounts(ms); });
  }

  machine::testing::TempDir tmp_;
};

TEST(ParseMount, GuestDirDefaultsToTheHostPathWritable) {
  auto m = parse_mount("/home/u/src");
  EXPECT_EQ(m.host_dir, "/home/u/src");
  EXPECT_EQ(m.guest_dir, "/home/u/src");
  EXPECT_FALSE(m.read_only);
}

TEST(ParseMount, TakesAGuestDirAndReadOnly) {
  auto m = parse_mount("/home/u/src:/src:ro");
  EXPECT_EQ(m.host_dir, "/home/u/src");
  EXPECT_EQ(m.guest_dir, "/src");
  EXPECT_TRUE(m.read_only);
  m = parse_mount("/data:ro");
  EXPECT_EQ(m.guest_dir, "/data");
  EXPECT_TRUE(m.read_only);
  EXPECT_FALSE(parse_mount("/data:/d:rw").read_only);
}

TEST(ParseMount, RefusesMalformedSpecsNamingTheGrammar) {
  for (const char* bad : {"", ":/b", "/a::ro", "/a:/b:/c", "/a:/b:ro:x", "/a:"}) {
    auto msg = error_of([&] { parse_mount(bad); });
    EXPECT_THAT(msg, HasSubstr("HOST_DIR[:GUEST_DIR][:ro]")) << "spec: " << bad;
  }
}

TEST_F(Mounts, AcceptsExistingAbsoluteDirsAndNormalisesThem) {
  auto ms = validate_mounts({{dir("a") + "/", "/work/a/", false}, {dir("ab"), dir("ab"), true}});
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].host_dir, dir("a"));
  EXPECT_EQ(ms[0].guest_dir, "/work/a");
  EXPECT_EQ(ms[1].guest_dir, dir("ab"));  // "/x/a" and "/x/ab" do not overlap
  EXPECT_TRUE(ms[1].read_only);
}

TEST_F(Mounts, RefusesRelativePaths) {
  EXPECT_THAT(validate_error({{"src", "/src", false}}), HasSubstr("\"src\" is a relative path"));
  EXPECT_THAT(validate_error({{dir("a"), "src", false}}), HasSubstr("\"src\" is a relative path"));
}

TEST_F(Mounts, RefusesMissingHostDirsAndFiles) {
  EXPECT_THAT(validate_error({{dir("nope"), "/nope", false}}), HasSubstr("does not exist; create it first"));
  EXPECT_THAT(validate_error({{dir("file"), "/f", false}}), HasSubstr("is not a directory"));
}

TEST_F(Mounts, RefusesGuestDirsThatHideWhatTheMachineNeeds) {
  for (const char* guest :
       {"/", "/usr", "/usr/local/src", "/etc", "/proc", "/sys/x", "/var/lib/docker",
        "/var/lib/docker/volumes", "/var", "/var/lib", "/home", "/home/docker", "/tmp", "/run/x", "/lib"}) {
    auto msg = validate_error({{dir("a"), guest, false}});
    EXPECT_THAT(msg, HasSubstr("invalid --mount")) << "guest dir: " << guest;
    EXPECT_THAT(msg, HasSubstr(std::string("\"") + guest + "\"")) << msg;
  }
  EXPECT_EQ(validate_error({{dir("a"), "/home/u/src", false}, {dir("ab"), "/mnt/x", false}}), "");
  EXPECT_EQ(validate_error({{dir("a"), "/root", false}}), "");  // the home of a root user
}

TEST_F(Mounts, RefusesOverlappingGuestDirs) {
  auto msg = validate_error({{dir("a"), "/src", false}, {dir("a/b"), "/src/b", false}});
  EXPECT_THAT(msg, HasSubstr("overlap"));
  EXPECT_THAT(msg, HasSubstr("/src/b"));
  EXPECT_THAT(validate_error({{dir("a"), "/src", false}, {dir("ab"), "/src/", false}}), HasSubstr("overlap"));
}

TEST_F(Mounts, RefusesCommasThatWouldSplitVirtiofsdOptions) {
  std::filesystem::create_directories(tmp_ / "x,y");
  EXPECT_THAT(validate_error({{dir("x,y"), "/m", false}}), HasSubstr("comma"));
}

TEST_F(Mounts, DefaultIsTheHomeDirWritableAtTheSamePath) {
  auto m = default_home_mount(dir("a"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->host_dir, dir("a"));
  EXPECT_EQ(m->guest_dir, dir("a"));
  EXPECT_FALSE(m->read_only);
  EXPECT_FALSE(default_home_mount(""));
  EXPECT_FALSE(default_home_mount("/"));
  EXPECT_FALSE(default_home_mount(dir("missing")));
}

TEST(MountType, AutomaticPrefersVirtiofsThenSshfs) {
  EXPECT_EQ(choose_mount_type("", {true, "", true}), "virtiofs");
  EXPECT_EQ(choose_mount_type("", {false, "not root", true}), "sshfs");
  EXPECT_EQ(choose_mount_type("sshfs", {true, "", true}), "sshfs");
  EXPECT_THAT(error_of([] { choose_mount_type("", {false, "", false}); }), HasSubstr("--no-mounts"));
}

TEST(MountType, ExplicitVirtiofsWithoutSupportSaysWhyAndWhatToUse) {
  auto msg = error_of([] { choose_mount_type("virtiofs", {false, "virtiofsd is not installed", true}); });
  EXPECT_THAT(msg, HasSubstr("virtiofsd is not installed"));
  EXPECT_THAT(msg, HasSubstr("--mount-type sshfs"));
  EXPECT_THAT(error_of([] {
                choose_mount_type("9p", {true, "", true});
              }),
              HasSubstr("invalid --mount-type \"9p\""));
  EXPECT_THAT(error_of([] { choose_mount_type("sshfs", {true, "", false}); }), HasSubstr("SSH"));
}

TEST(MountConfig, RoundTripsThroughConfigJson) {
  Host h;
  h.name = "vm1";
  h.driver_name = "qemu";
  h.options.mounts = {{"/home/u", "/home/u", false}, {"/data", "/mnt/data", true}};
  h.options.mount_type = "virtiofs";
  auto j = to_json(h);
  EXPECT_EQ(j["HostOptions"]["Mounts"][1]["GuestDir"], "/mnt/data");
  EXPECT_EQ(j["HostOptions"]["Mounts"][1]["ReadOnly"], true);
  auto back = host_from_json(j);
  ASSERT_EQ(back.options.mounts.size(), 2u);
  EXPECT_EQ(back.options.mounts[1].host_dir, "/data");
  EXPECT_TRUE(back.options.mounts[1].read_only);
  EXPECT_EQ(back.options.mount_type, "virtiofs");
  // A docker-machine config has neither field: no mounts.
  j["HostOptions"].erase("Mounts");
  j["HostOptions"].erase("MountType");
  EXPECT_TRUE(host_from_json(j).options.mounts.empty());
}

}  // namespace
}  // namespace machine::drivers::common
