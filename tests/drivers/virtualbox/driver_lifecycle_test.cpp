// State, start, stop, kill, restart, remove and readiness against the fake VBoxManage.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "machine/error.h"
#include "tests/drivers/virtualbox/vbox_fixture.h"

namespace machine::testing {
namespace {

using VBoxLifecycle = VBoxCreatedTest;

Code code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return Code::Internal;
}

TEST_F(VBoxLifecycle, MapsEveryVirtualBoxState) {
  const std::vector<std::pair<std::string, State>> table{
      {"running", State::Running},    {"paused", State::Paused},     {"saved", State::Saved},
      {"poweroff", State::Stopped},   {"aborted", State::Stopped},   {"starting", State::Starting},
      {"restoring", State::Starting}, {"stopping", State::Stopping}, {"saving", State::Stopping},
      {"stuck", State::Error},        {"teleported", State::None},   {"whatever", State::None},
  };
  for (const auto& [vbox_state, want] : table) {
    set_vm_state("vm1", vbox_state);
    EXPECT_EQ(d_->state().state, want) << vbox_state;
  }
}

TEST_F(VBoxLifecycle, UnknownVmIsAnErrorStateNotAnException) {
  vbox({"controlvm", "vm1", "poweroff"});
  vbox({"unregistervm", "--delete", "vm1"});
  auto s = d_->state();
  EXPECT_EQ(s.state, State::Error);
  EXPECT_NE(s.reason.find("no VM named 'vm1'"), std::string::npos) << s.reason;
}

TEST_F(VBoxLifecycle, StopPressesThePowerButtonThenPolls) {
  ::setenv("FAKE_VBOX_ACPI_POLLS", "2", 1);
  d_->stop();
  EXPECT_EQ(calls(), (std::vector<std::string>{
                         "showvminfo vm1 --machinereadable",
                         "controlvm vm1 acpipowerbutton",
                         "showvminfo vm1 --machinereadable",
                         "showvminfo vm1 --machinereadable",
                         "showvminfo vm1 --machinereadable",
                     }));
  EXPECT_EQ(d_->state().state, State::Stopped);
  clear_calls();
  d_->stop();  // idempotent
  EXPECT_EQ(calls(), std::vector<std::string>{"showvminfo vm1 --machinereadable"});
}

TEST_F(VBoxLifecycle, StopResumesAPausedVmFirst) {
  vbox({"controlvm", "vm1", "pause"});
  clear_calls();
  d_->stop();
  auto c = calls();
  ASSERT_GE(c.size(), 3u);
  EXPECT_EQ(c[1], "controlvm vm1 resume");
  EXPECT_EQ(c[2], "controlvm vm1 acpipowerbutton");
}

TEST_F(VBoxLifecycle, StopGivesUpWhenTheGuestIgnoresThePowerButton) {
  ::setenv("FAKE_VBOX_ACPI", "ignore", 1);
  EXPECT_EQ(code_of([&] { d_->stop(); }), Code::Unavailable);
  EXPECT_EQ(d_->state().state, State::Running);
}

TEST_F(VBoxLifecycle, KillPowersOffRunningDiscardsSavedAndIgnoresStopped) {
  d_->kill();
  EXPECT_EQ(calls(),
            (std::vector<std::string>{"showvminfo vm1 --machinereadable", "controlvm vm1 poweroff"}));
  clear_calls();
  d_->kill();
  EXPECT_EQ(calls(), std::vector<std::string>{"showvminfo vm1 --machinereadable"});
  set_vm_state("vm1", "saved");
  clear_calls();
  d_->kill();
  EXPECT_EQ(calls(), (std::vector<std::string>{"showvminfo vm1 --machinereadable", "discardstate vm1"}));
  EXPECT_EQ(d_->state().state, State::Stopped);
}

TEST_F(VBoxLifecycle, StartFromPoweroffChecksTheHostOnlyNetworkAgain) {
  d_->kill();
  clear_calls();
  d_->start();
  auto c = calls();
  EXPECT_EQ(c.front(), "showvminfo vm1 --machinereadable");
  EXPECT_EQ(c.back(), "startvm vm1 --type headless");
  EXPECT_NE(std::find(c.begin(), c.end(), "list hostonlyifs"), c.end());
  EXPECT_EQ(c[c.size() - 2].rfind("modifyvm vm1 --nic2 hostonly", 0), 0u) << c[c.size() - 2];
  EXPECT_EQ(d_->state().state, State::Running);
  clear_calls();
  d_->start();  // idempotent
  EXPECT_EQ(calls(), std::vector<std::string>{"showvminfo vm1 --machinereadable"});
}

TEST_F(VBoxLifecycle, StartRecreatesAVanishedAdapter) {
  d_->kill();
  vbox({"hostonlyif", "remove", "vboxnet0"});
  d_->start();
  EXPECT_EQ(fake_state()["hostonlyifs"][0]["IPAddress"], "192.168.99.1");
  EXPECT_TRUE(d_->config().hostonly_created);
}

TEST_F(VBoxLifecycle, StartMovesAForwardWhosePortWasTaken) {
  d_->kill();
  int old = d_->config().base.ssh_port;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(old));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  clear_calls();
  d_->start();
  ::close(fd);
  int now = d_->config().base.ssh_port;
  EXPECT_NE(now, old);
  auto c = calls();
  EXPECT_NE(std::find(c.begin(), c.end(), "modifyvm vm1 --natpf1 delete ssh"), c.end());
  EXPECT_NE(std::find(c.begin(), c.end(),
                      "modifyvm vm1 --natpf1 ssh,tcp,127.0.0.1," + std::to_string(now) + ",,22"),
            c.end());
  EXPECT_EQ(d_->ssh_address().port, now);
  EXPECT_EQ(fake_state()["vms"]["vm1"]["natpf"]["1"].size(), 2u);
}

// Whether `start` resumes is machine/state's decision (Verdict::Resume): the driver's
// start leaves a paused VM as it is, resume() resumes it.
TEST_F(VBoxLifecycle, StartLeavesAPausedVmAndResumeResumesIt) {
  vbox({"controlvm", "vm1", "pause"});
  clear_calls();
  d_->start();
  EXPECT_EQ(calls(), (std::vector<std::string>{"showvminfo vm1 --machinereadable"}));
  EXPECT_EQ(d_->state().state, State::Paused);
  clear_calls();
  d_->resume();
  EXPECT_EQ(calls(), (std::vector<std::string>{"controlvm vm1 resume"}));
  EXPECT_EQ(d_->state().state, State::Running);
}

TEST_F(VBoxLifecycle, RestartStopsThenStarts) {
  d_->restart();
  auto c = calls();
  EXPECT_EQ(c[1], "controlvm vm1 acpipowerbutton");
  EXPECT_EQ(c.back(), "startvm vm1 --type headless");
  EXPECT_EQ(d_->state().state, State::Running);
}

TEST_F(VBoxLifecycle, RemovePowersOffThenUnregistersAndDeletes) {
  d_->remove();
  auto c = calls();
  ASSERT_GE(c.size(), 3u);
  // By the UUID the machine recorded at create, not by name.
  auto uuid = d_->config().vm_uuid;
  ASSERT_FALSE(uuid.empty());
  EXPECT_EQ(c[0], "showvminfo " + uuid + " --machinereadable");
  EXPECT_EQ(c[1], "controlvm " + uuid + " poweroff");
  EXPECT_EQ(c[2], "unregistervm --delete " + uuid);
  EXPECT_FALSE(std::filesystem::exists(machine_dir("vm1") / "disk.vmdk"));
  EXPECT_FALSE(std::filesystem::exists(machine_dir("vm1") / "seed.iso"));
  EXPECT_FALSE(std::filesystem::exists(machine_dir("vm1") / "vm1"));
  clear_calls();
  EXPECT_NO_THROW(d_->remove());  // idempotent
  for (const auto& line : calls()) EXPECT_EQ(line.find("unregistervm"), std::string::npos);
}

// Issue 17 item 2: our VM was deleted in VirtualBox and the user made another of the same
// name; rm (and a rollback) must leave the user's VM alone.
TEST_F(VBoxLifecycle, RemoveLeavesAnotherVmOfTheSameNameAlone) {
  vbox({"controlvm", "vm1", "poweroff"});
  vbox({"unregistervm", "--delete", "vm1"});
  vbox({"createvm", "--name", "vm1", "--basefolder", (tmp_.path() / "user-vms").string(), "--register"});
  auto users = fake_state()["vms"]["vm1"]["UUID"].get<std::string>();
  ASSERT_NE(users, d_->config().vm_uuid);
  clear_calls();
  d_->remove();
  ASSERT_TRUE(fake_state()["vms"].contains("vm1")) << "the user's VM was deleted";
  EXPECT_EQ(fake_state()["vms"]["vm1"]["UUID"], users);
  for (const auto& line : calls()) {
    EXPECT_EQ(line.find("unregistervm"), std::string::npos) << line;
    EXPECT_EQ(line.find("poweroff"), std::string::npos) << line;
  }
}

// A machine saved before UUIDs were recorded still removes its VM by name.
TEST_F(VBoxLifecycle, RemoveOfAMachineWithoutARecordedUuidFallsBackToTheName) {
  auto j = d_->to_json();
  j.erase("VMUUID");
  auto old = driver();
  old->from_json(j);
  old->remove();
  EXPECT_FALSE(fake_state()["vms"].contains("vm1"));
  auto c = calls();
  EXPECT_NE(std::find(c.begin(), c.end(), std::string("unregistervm --delete vm1")), c.end());
}

TEST_F(VBoxLifecycle, LifecycleOnAMissingVmIsNotFound) {
  d_->remove();
  EXPECT_EQ(code_of([&] { d_->stop(); }), Code::NotFound);
  EXPECT_EQ(code_of([&] { d_->start(); }), Code::NotFound);
  EXPECT_EQ(code_of([&] { d_->kill(); }), Code::NotFound);
}

TEST_F(VBoxLifecycle, ConfigRoundTripsThroughJson) {
  auto json = d_->to_json();
  auto again = driver("vm1");
  again->from_json(json);
  EXPECT_EQ(again->to_json(), json);
  EXPECT_EQ(again->ip(), d_->ip());
  EXPECT_EQ(again->engine_url(), d_->engine_url());
  EXPECT_EQ(again->state().state, State::Running);
}

TEST_F(VBoxLifecycle, WaitReadyReturnsOnceSshAnswersOnTheForwardedPort) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(d_->config().base.ssh_port));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  std::thread server([fd] {
    int c = ::accept(fd, nullptr, nullptr);
    if (c >= 0) {
      const char banner[] = "SSH-2.0-test\r\n";
      (void)!::write(c, banner, sizeof banner - 1);
      ::usleep(200000);
      ::close(c);
    }
  });
  EXPECT_NO_THROW(d_->wait_ready(std::chrono::seconds(10)));
  server.join();
  ::close(fd);
}

TEST_F(VBoxLifecycle, WaitReadyWaitsForTheMachineOsBootDoneMarker) {
  // The machine OS printed its host keys and sshd answers, but dockerd is not up yet.
  write_file(machine_dir("vm1") / "serial.log",
             "machine-hostkey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK\r\n");
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(d_->config().base.ssh_port));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  std::atomic<bool> stop{false};
  std::thread server([&] {
    while (!stop) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) != 1) continue;
      int c = ::accept(fd, nullptr, nullptr);
      (void)!::write(c, "SSH-2.0-test\r\n", 14);
      ::close(c);
    }
  });
  EXPECT_EQ(code_of([&] { d_->wait_ready(std::chrono::seconds(2)); }), Code::Unavailable);
  write_file(machine_dir("vm1") / "serial.log",
             "machine-hostkey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK\r\nmachine-boot-done\r\n");
  EXPECT_NO_THROW(d_->wait_ready(std::chrono::seconds(10)));
  stop = true;
  server.join();
  ::close(fd);
}

TEST_F(VBoxLifecycle, WaitReadyFailsAtOnceWhenTheVmStopsWithTheConsoleTail) {
  write_file(machine_dir("vm1") / "serial.log", "Booting...\r\nKernel panic - not syncing: VFS\r\n");
  vbox({"controlvm", "vm1", "poweroff"});
  try {
    d_->wait_ready(std::chrono::seconds(30));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(std::string(e.what()).find("Kernel panic - not syncing: VFS"), std::string::npos) << e.what();
  }
}

TEST_F(VBoxLifecycle, HostKeysComeFromTheSerialConsole) {
  write_file(machine_dir("vm1") / "serial.log",
             "machine-boot: 1.2 init started\r\nmachine-hostkey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK\r\n"
             "machine-hostkey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK\r\nmachine-boot-done\r\n");
  EXPECT_EQ(d_->host_keys(), std::vector<std::string>{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK"});
}

}  // namespace
}  // namespace machine::testing
