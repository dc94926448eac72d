// Seed contents: what the guest's seed.sh and cloud-init read.
#include "guest/seed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "machine/error.h"
#include "tests/support/fake_process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::guest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

SeedConfig basic() {
  SeedConfig c;
  c.instance_id = "iid-vm1-1234";
  c.hostname = "vm1";
  c.ssh_authorized_keys = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc machine@host"};
  return c;
}

TEST(SeedFiles, MetaDataCarriesInstanceIdAndHostname) {
  auto files = seed_files(basic());
  EXPECT_EQ(files.at("meta-data"), "instance-id: iid-vm1-1234\nlocal-hostname: vm1\n");
  EXPECT_EQ(files.count("network-config"), 0u);
}

TEST(SeedFiles, UserDataIsCloudConfigWithKeys) {
  auto files = seed_files(basic());
  EXPECT_EQ(files.at("user-data"),
            "#cloud-config\n"
            "hostname: vm1\n"
            "ssh_authorized_keys:\n"
            "  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc machine@host\n");
}

TEST(SeedFiles, WriteFilesAreBase64ByDefault) {
  auto c = basic();
  c.write_files.push_back({"/etc/docker/daemon.json", "{\"tlsverify\": true}\n", "0644"});
  c.write_files.push_back({"/etc/docker/server-key.pem", "KEY", "0600"});
  auto ud = seed_files(c).at("user-data");
  EXPECT_THAT(ud, HasSubstr("write_files:\n"
                            "  - path: /etc/docker/daemon.json\n"
                            "    permissions: '0644'\n"
                            "    owner: 'root:root'\n"
                            "    encoding: b64\n"
                            "    content: eyJ0bHN2ZXJpZnkiOiB0cnVlfQo=\n"));
  EXPECT_THAT(ud, HasSubstr("  - path: /etc/docker/server-key.pem\n"
                            "    permissions: '0600'\n"
                            "    owner: 'root:root'\n"
                            "    encoding: b64\n"
                            "    content: S0VZ\n"));
}

TEST(SeedFiles, PlainTextWriteFileBecomesLiteralBlock) {
  auto c = basic();
  WriteFile f{"/etc/motd", "hello\n\nworld\n", "0644"};
  f.b64 = false;
  c.write_files.push_back(f);
  EXPECT_THAT(seed_files(c).at("user-data"), HasSubstr("    content: |\n      hello\n\n      world\n"));
}

TEST(SeedFiles, TextWithoutTrailingNewlineStaysBase64) {
  auto c = basic();
  WriteFile f{"/etc/x", "no newline", "0644"};
  f.b64 = false;
  c.write_files.push_back(f);
  EXPECT_THAT(seed_files(c).at("user-data"), HasSubstr("    encoding: b64\n    content: bm8gbmV3bGluZQ==\n"));
}

TEST(SeedFiles, UsersKeepTheDefaultUser) {
  auto c = basic();
  c.users = {"alice"};
  EXPECT_THAT(seed_files(c).at("user-data"), HasSubstr("users:\n  - default\n  - name: alice\n"));
}

TEST(SeedFiles, PrivateNetworkListsTheNatNicFirst) {
  auto c = basic();
  c.private_network = PrivateNetwork{"192.168.76.2/24", "52:54:00:aa:bb:cc", "52:54:00:11:22:33"};
  EXPECT_EQ(seed_files(c).at("network-config"),
            "version: 2\n"
            "ethernets:\n"
            "  primary:\n"
            "    match:\n"
            "      macaddress: \"52:54:00:11:22:33\"\n"
            "    dhcp4: true\n"
            "  private0:\n"
            "    match:\n"
            "      macaddress: \"52:54:00:aa:bb:cc\"\n"
            "    addresses:\n"
            "      - 192.168.76.2/24\n");
}

TEST(SeedFiles, KeysWithQuotesAreSingleQuoted) {
  auto c = basic();
  c.ssh_authorized_keys = {"ssh-ed25519 AAAA it's me"};
  EXPECT_THAT(seed_files(c).at("user-data"), HasSubstr("  - 'ssh-ed25519 AAAA it''s me'\n"));
}

TEST(SeedFiles, RejectsWhatTheSubsetCannotCarry) {
  auto bad_host = basic();
  bad_host.hostname = "vm 1";
  EXPECT_THROW(seed_files(bad_host), Error);
  auto newline_key = basic();
  newline_key.ssh_authorized_keys = {"ssh-ed25519 AAAA\nrm -rf /"};
  EXPECT_THROW(seed_files(newline_key), Error);
  auto relative = basic();
  relative.write_files.push_back({"etc/x", "x", "0644"});
  EXPECT_THROW(seed_files(relative), Error);
  auto perms = basic();
  perms.write_files.push_back({"/etc/x", "x", "rw-r--r--"});
  EXPECT_THROW(seed_files(perms), Error);
  auto no_prefix = basic();
  no_prefix.private_network = PrivateNetwork{"192.168.76.2", "52:54:00:aa:bb:cc", ""};
  EXPECT_THROW(seed_files(no_prefix), Error);
  try {
    seed_files(bad_host);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
  }
}

TEST(SeedIso, MissingXorrisoNamesThePackage) {
  testing::FakeProcessRunner runner;
  testing::TempDir dir;
  try {
    write_seed_iso(runner, basic(), dir / "seed.iso");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_THAT(std::string(e.what()), HasSubstr("xorriso"));
  }
}

// Real xorriso: the ISO carries label cidata and the three files, and nothing is left
// beside it.
TEST(SeedIso, WritesCidataIsoWithRealXorriso) {
  auto runner = make_system_process_runner();
  if (!runner->find_program("xorriso")) GTEST_SKIP() << "xorriso not installed";
  testing::TempDir dir;
  auto c = basic();
  c.private_network = PrivateNetwork{"192.168.76.2/24", "52:54:00:aa:bb:cc", ""};
  write_seed_iso(*runner, c, dir / "seed.iso");
  std::string iso = testing::read_file(dir / "seed.iso");
  ASSERT_GT(iso.size(), 32808u + 32);
  EXPECT_EQ(iso.substr(32808, 6), "cidata");
  auto listing = runner->run(Command{"xorriso",
                                     {"-indev", (dir / "seed.iso").string(), "-find", "/", "-type", "f"},
                                     {},
                                     std::nullopt,
                                     std::chrono::seconds(30),
                                     {}});
  ASSERT_TRUE(listing.ok()) << listing.err;
  EXPECT_THAT(listing.out, HasSubstr("'/meta-data'"));
  EXPECT_THAT(listing.out, HasSubstr("'/user-data'"));
  EXPECT_THAT(listing.out, HasSubstr("'/network-config'"));
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

}  // namespace
}  // namespace machine::guest
