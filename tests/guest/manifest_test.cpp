#include "guest/manifest.h"

#include <gtest/gtest.h>

#include "machine/error.h"
#include "tests/support/temp_dir.h"

namespace machine::guest {
namespace {

TEST(Manifest, ParsesDpkgQueryOutput) {
  auto pkgs =
      parse_packages_tsv("docker.io\t20.10.24+dfsg1-1+deb12u1+b6\t147576\nusr-is-merged\t37~deb12u1\t\n");
  ASSERT_EQ(pkgs.size(), 2u);
  EXPECT_EQ(pkgs[0].name, "docker.io");
  EXPECT_EQ(pkgs[0].version, "20.10.24+dfsg1-1+deb12u1+b6");
  EXPECT_EQ(pkgs[0].installed_kib, 147576);
  EXPECT_EQ(pkgs[1].installed_kib, 0);
}

TEST(Manifest, RecordsFilesPackagesAndBuildTime) {
  ManifestInput in;
  in.name = "machineos";
  in.version = "0.1.0-abcd1234";
  in.suite = "bookworm";
  in.kernel_version = "6.1.0-56-cloud-amd64";
  in.kernel_cmdline = "console=ttyS0";
  in.built_at = std::chrono::system_clock::from_time_t(1795430000);
  in.build_seconds = 41.5;
  in.step_seconds = {{"mmdebstrap", 38.0}, {"qcow2", 2.5}};
  in.rootfs_bytes = 123;
  in.packages = {{"runc", "1.1.5", 8633}};
  in.files = {{"disk", "disk.qcow2", 42, "ab"}};
  auto m = make_manifest(in);
  EXPECT_EQ(m["schema"], kManifestSchema);
  EXPECT_EQ(m["version"], "0.1.0-abcd1234");
  EXPECT_EQ(m["built_at"], "2026-11-23T10:33:20Z");
  EXPECT_EQ(m["build_seconds"], 41.5);
  EXPECT_EQ(m["files"]["disk"]["name"], "disk.qcow2");
  EXPECT_EQ(m["files"]["disk"]["size"], 42);
  EXPECT_EQ(m["files"]["disk"]["sha256"], "ab");
  EXPECT_EQ(m["packages"][0]["name"], "runc");
  EXPECT_EQ(m["packages"][0]["version"], "1.1.5");
  EXPECT_EQ(m["kernel_cmdline"], "console=ttyS0");
  EXPECT_EQ(m["step_seconds"]["mmdebstrap"], 38.0);
  EXPECT_EQ(m["step_seconds"]["qcow2"], 2.5);
}

TEST(Manifest, Sha256MatchesKnownDigest) {
  testing::TempDir dir;
  testing::write_file(dir / "f", "abc");
  EXPECT_EQ(sha256_file(dir / "f"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_THROW(sha256_file(dir / "missing"), Error);
}

}  // namespace
}  // namespace machine::guest
