// e2e: build (or reuse) the machine OS image, boot it under QEMU TCG with a NoCloud seed,
// and check the contract over real SSH with the host key pinned from the serial console.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "guest/image_cache.h"
#include "guest/seed.h"
#include "machine/error.h"
#include "tests/guest/guest_vm.h"
#include "tests/support/temp_dir.h"

namespace machine::guest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

class GuestBoot : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    runner_ = make_system_process_runner().release();
    for (const char* p : {"qemu-system-x86_64", "qemu-img", "ssh", "ssh-keygen", "xorriso", "e2fsck"})
      if (!runner_->find_program(p)) skip_reason_ = std::string(p) + " not installed";
    if (!skip_reason_.empty()) return;
    // MACHINE_TEST_GUEST_SUITE=bookworm boots the older suite's image instead of the default.
    const char* env = std::getenv("MACHINE_TEST_GUEST_SUITE");
    const std::string suite = env && *env ? env : kDefaultSuite;
    ImageCache cache(guest::testing::test_image_cache_dir(), *runner_);
    if (auto img = cache.find(suite)) {
      image_ = new Image(*img);
      return;
    }
    if (::geteuid() != 0) {
      skip_reason_ = "no cached image and building one needs root";
      return;
    }
    image_ = new Image(cache.build(false, {}, {}, suite));
  }
  static void TearDownTestSuite() {
    delete image_;
    image_ = nullptr;
    delete runner_;
    runner_ = nullptr;
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  }

  // Runs `cmd` in the guest as docker@ with the host key pinned.
  // The limit is generous: importing an image and starting three containers took over
  // 120 s under TCG on this 2-core host at load 15-18.
  ProcessResult ssh(const guest::testing::GuestVm& vm, const fs::path& key, const fs::path& known_hosts,
                    const std::string& cmd, std::chrono::seconds limit = std::chrono::seconds(120)) {
    return runner_->run(
        Command{"ssh",
                {"-i", key.string(), "-o", "UserKnownHostsFile=" + known_hosts.string(), "-o",
                 "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o",
                 "ConnectTimeout=30", "-p", std::to_string(vm.ssh_port()), "docker@127.0.0.1", cmd},
                {},
                std::nullopt,
                limit,
                {}});
  }

  static ProcessRunner* runner_;
  static Image* image_;
  static std::string skip_reason_;
};
ProcessRunner* GuestBoot::runner_ = nullptr;
Image* GuestBoot::image_ = nullptr;
std::string GuestBoot::skip_reason_;

TEST_F(GuestBoot, SeededBootServesSshAndDockerThenPowersOffClean) {
  machine::testing::TempDir dir;
  run_checked(*runner_,
              Command{"ssh-keygen",
                      {"-q", "-t", "ed25519", "-N", "", "-C", "guest-test", "-f", (dir / "id").string()},
                      {},
                      std::nullopt,
                      30s,
                      {}},
              "ssh-keygen");
  const std::string pub = machine::testing::read_file(dir / "id.pub");
  SeedConfig seed;
  seed.instance_id = "iid-guest-test-1";
  seed.hostname = "guest-e2e";
  seed.ssh_authorized_keys = {pub.substr(0, pub.find('\n'))};
  // dockerd must start with the seeded daemon.json on the first boot
  seed.write_files.push_back({"/etc/docker/daemon.json", "{\"labels\": [\"seeded=yes\"]}\n", "0644"});
  WriteFile text{"/etc/machine-test.txt", "line one\nline two\n", "0600"};
  text.b64 = false;
  seed.write_files.push_back(text);
  // The private NIC only gets an address (TEST-NET-1, no traffic is sent to it).
  seed.private_network = PrivateNetwork{"192.0.2.10/24", "52:54:00:12:34:99", ""};
  write_seed_iso(*runner_, seed, dir / "seed.iso");

  // A third NIC with no address in the seed gets one from QEMU's user-mode DHCP server.
  guest::testing::GuestVm vm(*runner_, *image_, dir.path(),
                             {true, dir / "seed.iso", "", "52:54:00:12:34:99", "52:54:00:12:34:55"});
  vm.start();
  ASSERT_TRUE(vm.wait_for_serial("machine-boot-done", 600s)) << vm.serial();
  EXPECT_TRUE(vm.wait_for_serial("machine-docker-ready", 1s));

  auto keys = vm.host_keys();
  ASSERT_FALSE(keys.empty()) << vm.serial();
  std::string known;
  for (const auto& k : keys) known += "[127.0.0.1]:" + std::to_string(vm.ssh_port()) + " " + k + "\n";
  machine::testing::write_file(dir / "known_hosts", known);

  auto r = ssh(vm, dir / "id", dir / "known_hosts", "hostname");
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_EQ(r.out, "guest-e2e\n");
  r = ssh(vm, dir / "id", dir / "known_hosts", "cat ~/.ssh/authorized_keys; id -nG");
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_THAT(r.out, HasSubstr(seed.ssh_authorized_keys[0]));
  EXPECT_THAT(r.out, HasSubstr("docker"));
  r = ssh(vm, dir / "id", dir / "known_hosts", ". /etc/os-release; echo $ID $ID_LIKE $VERSION_ID");
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_EQ(r.out, "machineos debian " + image_->version + "\n");
  r = ssh(vm, dir / "id", dir / "known_hosts", "docker info --format '{{.ServerVersion}} {{json .Labels}}'");
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_THAT(r.out, HasSubstr("seeded=yes"));
  // The engine is the suite's docker.io (package 26.1.5+dfsg1-9... reports 26.1.5[+dfsg1]).
  std::string engine_pkg;
  for (const auto& p : image_->manifest.at("packages"))
    if (p.value("name", "") == "docker.io") engine_pkg = p.value("version", "");
  ASSERT_FALSE(engine_pkg.empty());
  EXPECT_TRUE(r.out.starts_with(engine_pkg.substr(0, engine_pkg.find('+')))) << r.out << " vs " << engine_pkg;
  r = ssh(vm, dir / "id", dir / "known_hosts",
          "sudo cat /etc/machine-test.txt; sudo stat -c %a /etc/machine-test.txt");
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_EQ(r.out, "line one\nline two\n600\n");
  r = ssh(vm, dir / "id", dir / "known_hosts",
          "for d in /sys/class/net/*; do [ \"$(cat $d/address)\" = 52:54:00:12:34:99 ] && /sbin/ip -4 -o "
          "addr show ${d##*/}; done; true");
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_THAT(r.out, HasSubstr("inet 192.0.2.10/24"));
  // DHCP (issue 17 item 12): the first NIC's lease is user networking's 10.0.2.15 with its
  // gateway as the default route; the NIC without a seeded address leased 10.0.5.15 from
  // the second user network, without taking the default route.
  r = ssh(
      vm, dir / "id", dir / "known_hosts",
      "for i in $(seq 40); do [ -n \"$(cat /run/machine/dhcp-* 2>/dev/null | grep -F 10.0.5.)\" ] && break; "
      "sleep 0.5; done; cat /run/machine/dhcp-*; "
      "for d in /sys/class/net/*; do [ \"$(cat $d/address)\" = 52:54:00:12:34:55 ] && /sbin/ip -4 -o addr "
      "show ${d##*/}; "
      "done; /sbin/ip route show default; true");
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_THAT(r.out, HasSubstr("10.0.2.15/24 router=10.0.2.2"));
  EXPECT_THAT(r.out, HasSubstr("inet 10.0.5.15/24"));
  EXPECT_THAT(r.out, HasSubstr("default via 10.0.2.2"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("default via 10.0.5.")));
  r = ssh(vm, dir / "id", dir / "known_hosts", "sudo /usr/sbin/machine-docker status");
  EXPECT_TRUE(r.ok()) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("running"));

  // Default bridge networking and a published port (iptables DNAT + docker-proxy) work:
  // an image made from the guest's own static busybox, no registry needed.
  r = ssh(vm, dir / "id", dir / "known_hosts",
          "set -e; tar -C /usr/bin -c busybox | docker import - bb >/dev/null; "
          "docker run --rm bb /busybox ip -4 addr show eth0; "
          "docker run -d --name web -p 127.0.0.1:8080:80 bb /busybox httpd -f -p 80 -h / >/dev/null; "
          "for i in $(seq 60); do busybox wget -q -O /dev/null http://127.0.0.1:8080/busybox && echo served "
          "&& break; "
          "sleep 0.5; done; docker rm -f web >/dev/null",
          std::chrono::seconds(400));
  ASSERT_TRUE(r.ok()) << (r.timed_out ? "timed out\n" : "") << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("inet 172.17."));
  EXPECT_THAT(r.out, HasSubstr("served"));

  // SFTP (machine scp) through the same pinned key
  auto sftp = runner_->run(
      Command{"sftp",
              {"-b", "-", "-i", (dir / "id").string(), "-o",
               "UserKnownHostsFile=" + (dir / "known_hosts").string(), "-o", "StrictHostKeyChecking=yes",
               "-o", "BatchMode=yes", "-P", std::to_string(vm.ssh_port()), "docker@127.0.0.1"},
              {},
              "get /etc/hostname " + (dir / "hostname.txt").string() + "\n",
              60s,
              {}});
  ASSERT_TRUE(sftp.ok()) << sftp.err;
  EXPECT_EQ(machine::testing::read_file(dir / "hostname.txt"), "guest-e2e\n");

  // A wrong pinned key is refused.
  machine::testing::write_file(dir / "wrong_hosts", "[127.0.0.1]:" + std::to_string(vm.ssh_port()) + " " +
                                                        pub.substr(0, pub.find('\n')) + "\n");
  EXPECT_FALSE(ssh(vm, dir / "id", dir / "wrong_hosts", "true").ok());

  ASSERT_TRUE(vm.power_down(180s)) << vm.serial();
  run_checked(*runner_,
              Command{"qemu-img",
                      {"convert", "-O", "raw", vm.overlay().string(), (dir / "root.raw").string()},
                      {},
                      std::nullopt,
                      300s,
                      {}},
              "qemu-img convert");
  auto fsck =
      runner_->run(Command{"e2fsck", {"-n", "-f", (dir / "root.raw").string()}, {}, std::nullopt, 300s, {}});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
  EXPECT_THAT(fsck.out, HasSubstr("machineos"));
}

// VirtualBox has no direct kernel boot: the disk must boot on its own (extlinux).
TEST_F(GuestBoot, DiskBootsWithoutKernelOrSeed) {
  machine::testing::TempDir dir;
  guest::testing::GuestVm vm(*runner_, *image_, dir.path(), {false, std::nullopt, "", ""});
  vm.start();
  ASSERT_TRUE(vm.wait_for_serial("machine-boot-done", 600s)) << vm.serial();
  EXPECT_FALSE(vm.host_keys().empty());
  EXPECT_TRUE(vm.power_down(180s)) << vm.serial();
}

}  // namespace
}  // namespace machine::guest
