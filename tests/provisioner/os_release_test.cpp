// OS detection from real /etc/os-release files (tests/provisioner/golden/os-release/).
#include "provisioner/os_release.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace machine::provision {
namespace {

std::string sample(const std::string& name) {
  return machine::testing::read_file(std::string(MACHINE_SOURCE_DIR) +
                                     "/tests/provisioner/golden/os-release/" + name);
}

struct Expected {
  std::string file;
  std::string id;
  OsFamily family;
  InitSystem init;
  std::string display;
  std::string version_id;
};

class OsReleaseSamples : public ::testing::TestWithParam<Expected> {};

TEST_P(OsReleaseSamples, DetectsFamilyInitAndName) {
  const auto& e = GetParam();
  auto os = parse_os_release(sample(e.file));
  EXPECT_EQ(os.id, e.id);
  EXPECT_EQ(os.family, e.family);
  EXPECT_EQ(os.init(), e.init);
  EXPECT_EQ(os.display_name(), e.display);
  EXPECT_EQ(os.version_id, e.version_id);
  EXPECT_FALSE(os.pretty_name.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Distributions, OsReleaseSamples,
    ::testing::Values(
        Expected{"debian-12", "debian", OsFamily::Debian, InitSystem::Systemd, "debian(systemd)", "12"},
        Expected{"ubuntu-22.04", "ubuntu", OsFamily::Debian, InitSystem::Systemd, "ubuntu(systemd)", "22.04"},
        Expected{"fedora-39", "fedora", OsFamily::RedHat, InitSystem::Systemd, "fedora(systemd)", "39"},
        Expected{"centos-stream-9", "centos", OsFamily::RedHat, InitSystem::Systemd, "centos(systemd)", "9"},
        Expected{"rhel-9", "rhel", OsFamily::RedHat, InitSystem::Systemd, "rhel(systemd)", "9.3"},
        Expected{"alpine-3.19", "alpine", OsFamily::Alpine, InitSystem::OpenRc, "alpine(openrc)", "3.19.1"},
        Expected{"arch", "arch", OsFamily::Arch, InitSystem::Systemd, "arch(systemd)", ""},
        Expected{"machineos", "machineos", OsFamily::MachineOs, InitSystem::MachineDocker, "machineos",
                 "0.1.0"}),
    [](const auto& p) {
      std::string n = p.param.file;
      for (auto& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST(OsRelease, ReadsQuotedValuesAndIdLikeWords) {
  auto os = parse_os_release(sample("centos-stream-9"));
  EXPECT_EQ(os.name, "CentOS Stream");
  EXPECT_EQ(os.pretty_name, "CentOS Stream 9");
  EXPECT_EQ(os.id_like, (std::vector<std::string>{"rhel", "fedora"}));
}

TEST(OsRelease, MachineOsIsNotMistakenForDebian) {
  auto os = parse_os_release(sample("machineos"));
  EXPECT_EQ(os.id_like, std::vector<std::string>{"debian"});
  EXPECT_EQ(os.family, OsFamily::MachineOs);
}

TEST(OsRelease, UnknownIdFallsBackToIdLike) {
  auto rocky = parse_os_release("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n");
  EXPECT_EQ(rocky.family, OsFamily::RedHat);
  auto mint = parse_os_release("ID=somederivative\nID_LIKE=\"ubuntu debian\"\n");
  EXPECT_EQ(mint.family, OsFamily::Debian);
  EXPECT_EQ(mint.display_name(), "somederivative(systemd)");
  auto other = parse_os_release("ID=nixos\n");
  EXPECT_EQ(other.family, OsFamily::Unknown);
  EXPECT_EQ(other.init(), InitSystem::Systemd);
}

TEST(OsRelease, IdLikeMachineOsDoesNotMakeADerivativeMachineOs) {
  // Only our own image runs machine-docker; a derivative claiming it gets the generic path.
  EXPECT_EQ(parse_os_release("ID=fork\nID_LIKE=machineos\n").family, OsFamily::Unknown);
}

TEST(OsRelease, HandlesEscapesCommentsAndMissingFields) {
  auto os = parse_os_release(
      "# comment\n\n  NAME='Single Quoted'\nPRETTY_NAME=\"say \\\"hi\\\" \\$HOME\"\r\nID=Debian\nGARBAGE\n");
  EXPECT_EQ(os.name, "Single Quoted");
  EXPECT_EQ(os.pretty_name, "say \"hi\" $HOME");
  EXPECT_EQ(os.id, "debian");  // IDs are compared lowercase
  EXPECT_EQ(os.family, OsFamily::Debian);
  EXPECT_EQ(parse_os_release("").id, "linux");  // os-release(5)'s default
}

}  // namespace
}  // namespace machine::provision
