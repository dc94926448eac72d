// e2e: the machine OS boots on the VM the VirtualBox driver defines. VirtualBox cannot run
// here, so the VM the driver registered with the fake VBoxManage is replayed on QEMU with
// VirtualBox-like hardware: i440fx + BIOS booting the converted disk.vmdk (no -kernel),
// PIIX IDE with the disk and the seed where the driver attached them, virtio NICs with the
// driver's MACs, the NAT SSH forward on 127.0.0.1 and COM1 logged to the driver's file.
// Checks wait_ready, host keys from the console, the static host-only address from the
// seed (over SSH with the pinned host key) and the ACPI power button. Skipped without a
// built machine OS image (MACHINE_TEST_IMAGE, MACHINE_TEST_IMAGE_CACHE or
// /var/tmp/machine-test-cache).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "drivers/virtualbox/vm_commands.h"
#include "guest/image_cache.h"
#include "tests/drivers/virtualbox/vbox_fixture.h"

namespace machine::testing {
namespace {

// MACHINE_TEST_IMAGE (an image dir), else this recipe's image, else the newest cached one:
// any machine OS image shows whether the VirtualBox hardware choices boot.
std::optional<guest::Image> find_image(ProcessRunner& runner, bool this_recipe = false) {
  if (const char* dir = std::getenv("MACHINE_TEST_IMAGE"); dir && *dir) return guest::ImageCache::load(dir);
  const char* env = std::getenv("MACHINE_TEST_IMAGE_CACHE");
  std::filesystem::path base = env && *env ? env : "/var/tmp/machine-test-cache";
  for (const auto& dir : {base, base / "store" / "cache"}) {
    guest::ImageCache cache(dir, runner);
    if (auto image = cache.find_default()) return image;
    if (auto all = cache.list(); !all.empty() && !this_recipe) return all.front();
  }
  return std::nullopt;
}

// QEMU arguments for the VM as the fake VBoxManage recorded it.
std::vector<std::string> qemu_args_for(const nlohmann::json& vm, const std::filesystem::path& dir) {
  std::vector<std::string> a{"-machine",    "pc",
                             "-accel",      "tcg,thread=multi",
                             "-cpu",        "max",
                             "-smp",        std::to_string(vm["cpus"].get<int>()),
                             "-m",          std::to_string(vm["memory"].get<int>()),
                             "-nodefaults", "-vga",
                             "std",         "-display",
                             "none",        "-boot",
                             "c",  // VirtualBox always has a VGA
                             "-monitor",    "unix:" + (dir / "mon.sock").string() + ",server,nowait",
                             "-pidfile",    (dir / "qemu.pid").string(),
                             "-daemonize"};
  for (const auto& [slot, m] : vm["attached"].items()) {
    auto port = slot[slot.size() - 3] - '0', device = slot.back() - '0';
    bool cd = m["type"] == "dvddrive";
    a.insert(a.end(), {"-drive", "file=" + m["medium"].get<std::string>() +
                                     ",if=ide,index=" + std::to_string(port * 2 + device) +
                                     (cd ? ",media=cdrom,readonly=on" : ",media=disk")});
  }
  for (const auto& [n, nic] : vm["nics"].items()) {
    std::string mac = drivers::virtualbox::mac_with_colons(nic["macaddress"]);
    std::string netdev = "user,id=n" + n + ",restrict=on";
    if (nic["type"] == "nat")
      for (const auto& rule : vm["natpf"][n]) {  // "ssh,tcp,127.0.0.1,PORT,,22"
        std::vector<std::string> f;
        std::stringstream s(rule.get<std::string>());
        for (std::string part; std::getline(s, part, ',');) f.push_back(part);
        netdev += ",hostfwd=tcp:" + f[2] + ":" + f[3] + "-:" + f[5];
      }
    a.insert(a.end(), {"-netdev", netdev, "-device", "virtio-net-pci,netdev=n" + n + ",mac=" + mac});
  }
  std::string uart = vm["settings"]["--uartmode1"];  // "file <path>"
  a.insert(a.end(), {"-serial", "file:" + uart.substr(5)});
  return a;
}

void monitor(const std::filesystem::path& sock, const std::string& command, ProcessRunner& runner) {
  runner.run(Command{"python3",
                     {"-c",
                      "import socket,time,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
                      "time.sleep(0.3)\ns.recv(4096)\ns.send(sys.argv[2].encode()+b'\\n')\ntime.sleep(0.5)",
                      sock.string(), command}});
}

TEST_F(VBoxTest, MachineOsBootsOnTheVmTheDriverDefines) {
  auto image = find_image(*runner_);
  if (!image) GTEST_SKIP() << "no machine OS image in the test cache";
  media_->base = image->disk;
  auto key = tmp_.path() / "id_ed25519";
  ASSERT_TRUE(
      runner_->run(Command{"ssh-keygen", {"-q", "-t", "ed25519", "-N", "", "-f", key.string()}}).ok());
  std::string pub = read_file(key.string() + ".pub");
  pub.erase(pub.find_last_not_of("\n") + 1);

  auto d = driver();
  d->prepare();
  d->create(drivers::CreateSpec{"vm1", pub, {}});
  auto vm = fake_state()["vms"]["vm1"];
  auto qemu = runner_->run(Command{"qemu-system-x86_64", qemu_args_for(vm, tmp_.path())});
  ASSERT_TRUE(qemu.ok()) << qemu.err;
  int pid = std::stoi(read_file(tmp_.path() / "qemu.pid"));
  struct Reaper {
    int pid;
    ~Reaper() { ::kill(pid, SIGKILL); }
  } reaper{pid};

  d->wait_ready(std::chrono::seconds(600));
  auto keys = d->host_keys();
  ASSERT_FALSE(keys.empty());
  auto known = tmp_.path() / "known_hosts";
  write_file(known, "[127.0.0.1]:" + std::to_string(d->ssh_address().port) + " " + keys[0] + "\n");
  auto ssh = runner_->run(
      Command{"ssh",
              {"-i", key.string(), "-p", std::to_string(d->ssh_address().port), "-o",
               "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + known.string(), "-o",
               "BatchMode=yes", "docker@127.0.0.1", "PATH=$PATH:/sbin:/usr/sbin; ip -4 -o addr; ip -o link"},
              {},
              std::nullopt,
              std::chrono::seconds(60),
              {}});
  ASSERT_TRUE(ssh.ok()) << ssh.err;
  EXPECT_NE(ssh.out.find("10.0.2.15/24"), std::string::npos) << ssh.out;   // VirtualBox NAT's guest address
  EXPECT_NE(ssh.out.find(d->ip() + "/24"), std::string::npos) << ssh.out;  // the static host-only address
  EXPECT_NE(ssh.out.find("08:00:27:04:05:06"), std::string::npos) << ssh.out;

  // acpipowerbutton: the guest powers itself off.
  monitor(tmp_.path() / "mon.sock", "system_powerdown", *runner_);
  bool gone = false;
  for (int i = 0; i < 120 && !gone; ++i) {
    gone = ::kill(pid, 0) != 0;
    if (!gone) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  EXPECT_TRUE(gone) << "the guest ignored the ACPI power button";
}

// The CLI end to end: `machine create -d virtualbox` (pre-create checks of this host, certs,
// the driver, SSH, provisioning, TLS engine check), `ip`, `env` + the real docker CLI, `rm`,
// with the VM the driver registered replayed on QEMU as soon as the fake says it runs.
TEST_F(VBoxTest, CliCreateEnvDockerAndRemove) {
  // The provisioner and the image must come from the same tree: only this recipe's image.
  auto image = find_image(*runner_, true);
  std::string binary;
  if (const char* env = std::getenv("MACHINE_BINARY"); env && std::filesystem::exists(env)) binary = env;
#ifdef MACHINE_CLI_BINARY
  if (binary.empty()) binary = MACHINE_CLI_BINARY;
#endif
  if (!image) GTEST_SKIP() << "no machine OS image of this recipe in the test cache";
  if (binary.empty() || !std::filesystem::exists(binary)) GTEST_SKIP() << "no machine binary (build the cli)";
  if (!runner_->find_program("docker")) GTEST_SKIP() << "no docker CLI";
  // This host has no /etc/vbox/networks.conf: VirtualBox 7 would only allow 192.168.56.0/21.
  ::setenv("FAKE_VBOX_NETWORKS_CONF", (tmp_.path() / "absent.conf").c_str(), 1);
  std::map<std::string, std::string> env{{"MACHINE_STORAGE_PATH", (tmp_.path() / "store").string()}};

  int qemu_pid = 0;
  std::atomic<bool> done{false};
  std::thread replay([&] {
    while (!done) {
      auto st = fake_state();
      if (st["vms"].contains("vb1") && st["vms"]["vb1"]["VMState"] == "running") {
        auto r = runner_->run(Command{"qemu-system-x86_64", qemu_args_for(st["vms"]["vb1"], tmp_.path())});
        if (r.ok()) qemu_pid = std::stoi(read_file(tmp_.path() / "qemu.pid"));
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  auto machine = [&](std::vector<std::string> args) {
    return runner_->run(Command{binary, std::move(args), env, std::nullopt, std::chrono::seconds(900), {}});
  };
  auto create = machine({"create", "-d", "virtualbox", "--no-mounts", "--virtualbox-no-vtx-check",
                         "--virtualbox-boot2docker-url", image->disk.string(), "vb1"});
  done = true;
  replay.join();
  struct Reaper {
    int& pid;
    ~Reaper() {
      if (pid > 0) ::kill(pid, SIGKILL);
    }
  } reaper{qemu_pid};
  ASSERT_EQ(create.exit_code, 0) << create.out << create.err;
  EXPECT_NE(create.out.find("using --virtualbox-hostonly-cidr 192.168.56.1/24"), std::string::npos)
      << create.out;

  EXPECT_EQ(machine({"ip", "vb1"}).out, "192.168.56.25\n");
  auto shell = machine({"env", "vb1"}).out;  // export DOCKER_HOST="tcp://127.0.0.1:PORT" ...
  std::map<std::string, std::string> docker_env;
  std::istringstream lines(shell);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("export ", 0) != 0) continue;
    auto eq = line.find('=');
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
    docker_env[line.substr(7, eq - 7)] = value;
  }
  EXPECT_EQ(docker_env["DOCKER_HOST"].rfind("tcp://127.0.0.1:", 0), 0u) << shell;
  auto docker = runner_->run(Command{"docker",
                                     {"version", "--format", "{{.Server.Os}}"},
                                     docker_env,
                                     std::nullopt,
                                     std::chrono::seconds(60),
                                     {}});
  EXPECT_EQ(docker.out, "linux\n") << docker.err;

  auto rm = machine({"rm", "-y", "vb1"});
  EXPECT_EQ(rm.exit_code, 0) << rm.out << rm.err;
  auto st = fake_state();
  EXPECT_TRUE(st["vms"].empty());
  EXPECT_TRUE(st["hostonlyifs"].empty());  // the driver created it and nothing else uses it
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() / "store" / "machines" / "vb1"));
}

}  // namespace
}  // namespace machine::testing
