// ImageCache over hand-made image dirs: what counts as an image, listing, removal, and
// the build's preconditions. The real build runs in the e2e boot test.
#include "guest/image_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "guest/recipe.h"
#include "guest/recipe_files.h"
#include "machine/error.h"
#include "tests/support/fake_process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::guest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A complete-looking image dir: three files and a manifest recording their sizes.
fs::path make_image(const fs::path& cache, const std::string& version, const std::string& built_at) {
  fs::path dir = cache / "images" / (std::string(kImageName) + "-" + version);
  fs::create_directories(dir);
  testing::write_file(dir / "vmlinuz", "kernel");
  testing::write_file(dir / "initrd.img", "initrd");
  testing::write_file(dir / "disk.qcow2", "disk!");
  nlohmann::json m = {{"name", kImageName},
                      {"version", version},
                      {"built_at", built_at},
                      {"kernel_cmdline", "console=ttyS0 root=LABEL=machineos"},
                      {"files",
                       {{"kernel", {{"name", "vmlinuz"}, {"size", 6}}},
                        {"initrd", {{"name", "initrd.img"}, {"size", 6}}},
                        {"disk", {{"name", "disk.qcow2"}, {"size", 5}}}}}};
  testing::write_file(dir / "manifest.json", m.dump());
  return dir;
}

TEST(ImageCache, FindsTheImageOfThisRecipeVersion) {
  testing::TempDir cache;
  testing::FakeProcessRunner runner;
  ImageCache images(cache.path(), runner);
  EXPECT_FALSE(images.find_default());
  fs::path dir = make_image(cache.path(), image_version(), "2026-11-23T10:00:00Z");
  auto img = images.find_default();
  ASSERT_TRUE(img);
  EXPECT_EQ(img->dir, dir);
  EXPECT_EQ(img->kernel, dir / "vmlinuz");
  EXPECT_EQ(img->initrd, dir / "initrd.img");
  EXPECT_EQ(img->disk, dir / "disk.qcow2");
  EXPECT_EQ(img->kernel_cmdline(), "console=ttyS0 root=LABEL=machineos");
  EXPECT_EQ(img->id(), std::string(kImageName) + "-" + image_version());
  EXPECT_TRUE(runner.commands().empty());
}

// Non-root users read the image root built once into the system-wide cache; a store's own
// image wins when both exist.
TEST(ImageCache, FallsBackToTheSystemWideCache) {
  testing::TempDir own, system;
  ::setenv("MACHINE_SYSTEM_IMAGE_CACHE", system.path().c_str(), 1);
  testing::FakeProcessRunner runner;
  ImageCache images(own.path(), runner);
  EXPECT_EQ(ImageCache::system_cache_dir(), system.path());
  EXPECT_FALSE(images.find_default());
  fs::path shared = make_image(system.path(), image_version(), "2026-11-23T10:00:00Z");
  ASSERT_TRUE(images.find_default());
  EXPECT_EQ(images.find_default()->dir, shared);
  EXPECT_EQ(images.ensure().dir, shared);  // nothing to build
  fs::path mine = make_image(own.path(), image_version(), "2026-11-24T10:00:00Z");
  EXPECT_EQ(images.find_default()->dir, mine);
  EXPECT_TRUE(runner.commands().empty());
  ::unsetenv("MACHINE_SYSTEM_IMAGE_CACHE");
  EXPECT_EQ(ImageCache::system_cache_dir(), "/var/cache/machine");
}

TEST(ImageCache, HalfMadeImagesDoNotCount) {
  testing::TempDir cache;
  testing::FakeProcessRunner runner;
  ImageCache images(cache.path(), runner);
  fs::path dir = make_image(cache.path(), image_version(), "2026-11-23T10:00:00Z");
  testing::write_file(dir / "disk.qcow2", "trunc");  // same size: still fine
  EXPECT_TRUE(images.find_default());
  testing::write_file(dir / "disk.qcow2", "tr");  // truncated
  EXPECT_FALSE(images.find_default());
  fs::remove(dir / "manifest.json");
  EXPECT_FALSE(images.find_default());
  testing::write_file(dir / "manifest.json", "{not json");
  EXPECT_FALSE(images.find_default());
  EXPECT_TRUE(images.list().empty());
}

TEST(ImageCache, ListsNewestFirstAndSkipsBuildDirs) {
  testing::TempDir cache;
  testing::FakeProcessRunner runner;
  ImageCache images(cache.path(), runner);
  make_image(cache.path(), "0.1.0-aaaaaaaa", "2026-11-20T10:00:00Z");
  make_image(cache.path(), "0.1.0-bbbbbbbb", "2026-11-23T10:00:00Z");
  fs::create_directories(cache / "images" / ".build-machineos-x-1");
  auto all = images.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].version, "0.1.0-bbbbbbbb");
  EXPECT_EQ(all[1].version, "0.1.0-aaaaaaaa");
}

TEST(ImageCache, RemovesByVersionOrId) {
  testing::TempDir cache;
  testing::FakeProcessRunner runner;
  ImageCache images(cache.path(), runner);
  fs::path a = make_image(cache.path(), "0.1.0-aaaaaaaa", "2026-11-20T10:00:00Z");
  fs::path b = make_image(cache.path(), "0.1.0-bbbbbbbb", "2026-11-23T10:00:00Z");
  images.remove("0.1.0-aaaaaaaa");
  EXPECT_FALSE(fs::exists(a));
  images.remove("machineos-0.1.0-bbbbbbbb");
  EXPECT_FALSE(fs::exists(b));
  try {
    images.remove("0.1.0-cccccccc");
    FAIL() << "expected NotFound";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::NotFound);
  }
}

TEST(ImageCache, BuildNamesTheMissingDebianPackage) {
  if (::geteuid() != 0) GTEST_SKIP() << "the root check comes first when not root";
  testing::TempDir cache;
  testing::FakeProcessRunner runner;  // provides no programs at all
  ImageCache images(cache.path(), runner);
  try {
    images.build(false);
    FAIL() << "expected FailedPrecondition";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_THAT(std::string(e.what()), HasSubstr("mmdebstrap"));
  }
  EXPECT_FALSE(fs::exists(cache / "images" / (std::string(kImageName) + "-" + image_version())));
}

// A failing step leaves no image and no work dir behind.
TEST(ImageCache, FailedBuildLeavesNothingHalfMade) {
  if (::geteuid() != 0) GTEST_SKIP() << "build needs root";
  testing::TempDir cache;
  testing::FakeProcessRunner runner;
  for (const char* p : {"mmdebstrap", "mkfs.ext4", "qemu-img", "extlinux", "mount", "xz", "bash"})
    runner.provide(p);
  // mmdebstrap runs through bash (which closes inherited fds first)
  runner.on("bash", [](const Command& c) {
    EXPECT_EQ(c.args.at(2), "mmdebstrap");
    return testing::fail_result(1, "E: cannot reach the mirror");
  });
  ImageCache images(cache.path(), runner);
  try {
    images.build(false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("cannot reach the mirror"));
  }
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(cache / "images"))
    if (e.path().filename() != ".lock") left.push_back(e.path().filename().string());
  EXPECT_TRUE(left.empty()) << left.front();
}

}  // namespace
}  // namespace machine::guest
