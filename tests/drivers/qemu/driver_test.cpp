// The QEMU driver's logic with a fake process runner: pre-create checks, prepare (ports,
// accelerator notice), persistence, and idempotent lifecycle calls on a machine that
// never ran. Real launches are in e2e_test.cpp.
#include <gtest/gtest.h>

#include "drivers/qemu/qemu_driver.h"
#include "drivers/registry.h"
#include "machine/error.h"
#include "tests/support/fake_process_runner.h"
#include "tests/support/recording_progress.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers {
namespace {
using testing::FakeProcessRunner;

using testing::RecordingProgress;

HostVirt pvm_host() { return HostVirt{"linux", true, true, "/dev/kvm is paravirtual KVM (kvm_pvm)"}; }

class QemuDriverTest : public ::testing::Test {
 protected:
  QemuDriverTest() {
    std::filesystem::create_directories(store.path() / "machines" / "vm1");
    runner.on("qemu-system-x86_64", [](const Command&) {
      return testing::ok_result("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n");
    });
    runner.on("qemu-img", [](const Command&) { return testing::ok_result(); });
  }
  Context ctx() { return Context{"vm1", store.path() / "machines" / "vm1", store.path(), runner, progress}; }
  std::unique_ptr<QemuDriver> driver() {
    QemuDriverOptions o;
    o.probe = pvm_host;
    return std::make_unique<QemuDriver>(ctx(), o);
  }
  void expect_precondition(QemuDriver& d, const std::string& mention) {
    try {
      d.pre_create_check();
      ADD_FAILURE() << "expected a failed pre-create check mentioning " << mention;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::FailedPrecondition);
      EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
    }
  }

  testing::TempDir store;
  FakeProcessRunner runner;
  RecordingProgress progress;
};

TEST_F(QemuDriverTest, IsTheDefaultDriver) {
  EXPECT_EQ(default_driver_name(), "qemu");
  EXPECT_EQ(registry().front().name, "qemu");
  EXPECT_EQ(make_driver("qemu", ctx())->name(), "qemu");
}

TEST_F(QemuDriverTest, PreCreateCheckPassesWithQemuPresent) { EXPECT_NO_THROW(driver()->pre_create_check()); }

TEST_F(QemuDriverTest, MissingQemuNamesTheDebianPackage) {
  FakeProcessRunner bare;
  bare.on("qemu-img", [](const Command&) { return testing::ok_result(); });
  QemuDriverOptions o;
  o.probe = pvm_host;
  QemuDriver d(Context{"vm1", store.path() / "machines" / "vm1", store.path(), bare, progress}, o);
  expect_precondition(d, "qemu-system-x86");
}

TEST_F(QemuDriverTest, MissingQemuImgNamesTheDebianPackage) {
  FakeProcessRunner bare;
  bare.provide("qemu-system-x86_64");
  QemuDriverOptions o;
  o.probe = pvm_host;
  QemuDriver d(Context{"vm1", store.path() / "machines" / "vm1", store.path(), bare, progress}, o);
  expect_precondition(d, "qemu-utils");
}

TEST_F(QemuDriverTest, OldQemuIsRejected) {
  runner.on("qemu-system-x86_64", [](const Command&) {
    return testing::ok_result("QEMU emulator version 5.2.0 (Debian 1:5.2+dfsg-11)\n");
  });
  expect_precondition(*driver(), "5.2");
}

TEST_F(QemuDriverTest, ExplicitKvmWithoutKvmFailsTheCheck) {
  QemuDriverOptions o;
  o.probe = [] { return HostVirt{"linux", false, false, "cannot open /dev/kvm: No such file or directory"}; };
  QemuDriver d(ctx(), o);
  FlagValues f;
  f.set("qemu-accel", {"kvm"});
  d.configure(f);
  expect_precondition(d, "/dev/kvm");
}

TEST_F(QemuDriverTest, MissingImageFailsTheCheck) {
  auto d = driver();
  FlagValues f;
  f.set("qemu-image", {(store.path() / "nope.qcow2").string()});
  d->configure(f);
  expect_precondition(*d, "nope.qcow2");
}

TEST_F(QemuDriverTest, ConfigureRejectsBadMemoryWithoutRunningAnything) {
  auto d = driver();
  FlagValues f;
  f.set("qemu-memory", {"64"});
  EXPECT_THROW(d->configure(f), Error);
  EXPECT_TRUE(runner.commands().empty());
}

TEST_F(QemuDriverTest, PrepareChoosesTcgWithANoticeAndRecordsItAndThePorts) {
  auto d = driver();
  auto addrs = d->prepare();
  EXPECT_EQ(addrs, std::vector<std::string>{"127.0.0.1"});
  ASSERT_EQ(progress.steps.size(), 1u);
  EXPECT_NE(progress.steps[0].find("TCG"), std::string::npos);
  auto j = d->to_json();
  EXPECT_EQ(j["Accel"], "tcg");
  EXPECT_EQ(j["IPAddress"], "127.0.0.1");
  int ssh = j["SSHPort"], engine = j["EnginePort"];
  EXPECT_NE(ssh, engine);
  EXPECT_GT(ssh, 0);
  EXPECT_EQ(d->engine_url(), "tcp://127.0.0.1:" + std::to_string(engine));
  auto addr = d->ssh_address();
  EXPECT_EQ(addr.host, "127.0.0.1");
  EXPECT_EQ(addr.port, ssh);
  EXPECT_EQ(addr.user, "docker");
}

TEST_F(QemuDriverTest, PrepareAvoidsPortsOtherMachinesHold) {
  auto first = driver();
  first->prepare();
  std::filesystem::create_directories(store.path() / "machines" / "other");
  testing::write_file(store.path() / "machines" / "other" / "config.json",
                      nlohmann::json{{"Driver", first->to_json()}}.dump());
  auto second = driver();
  second->prepare();
  auto a = first->to_json(), b = second->to_json();
  std::set<int> ports{a["SSHPort"].get<int>(), a["EnginePort"].get<int>(), b["SSHPort"].get<int>(),
                      b["EnginePort"].get<int>()};
  EXPECT_EQ(ports.size(), 4u);
}

TEST_F(QemuDriverTest, StateSurvivesAReload) {
  auto d = driver();
  FlagValues f;
  f.set("qemu-memory", {"2048"});
  f.set("qemu-restrict-network", {"true"});
  d->configure(f);
  d->prepare();
  auto again = driver();
  again->from_json(d->to_json());
  EXPECT_EQ(again->to_json(), d->to_json());
  EXPECT_EQ(again->config().memory_mb, 2048);
  EXPECT_TRUE(again->vm_spec().restrict_network);
}

TEST_F(QemuDriverTest, FeaturesOfTheMachineOs) {
  auto f = driver()->features();
  EXPECT_TRUE(f.lifecycle);
  EXPECT_TRUE(f.ssh);
  EXPECT_TRUE(f.seed);
  EXPECT_TRUE(f.port_forwarding);
  EXPECT_EQ(driver()->publish_address(), "127.0.0.1");
}

TEST_F(QemuDriverTest, UdpForwardOnARestrictedMachineIsRefusedWithTheReason) {
  auto d = driver();
  FlagValues f;
  f.set("qemu-restrict-network", {"true"});
  d->configure(f);
  try {
    d->add_forward({Proto::Udp, "127.0.0.1", 5353, 5353});
    FAIL() << "restricted slirp drops the guest's UDP replies: the forward would be silent";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("--qemu-restrict-network"), std::string::npos) << e.what();
  }
}

TEST_F(QemuDriverTest, RemovingAForwardOfAStoppedMachineHasNothingToDo) {
  EXPECT_NO_THROW(driver()->remove_forward({Proto::Tcp, "127.0.0.1", 4000, 4000}));
}

TEST_F(QemuDriverTest, StockCloudImageIsProvisionedOverSsh) {
  testing::write_file(store.path() / "cloud.qcow2", "");
  auto d = driver();
  FlagValues f;
  f.set("qemu-image", {(store.path() / "cloud.qcow2").string()});
  d->configure(f);
  EXPECT_TRUE(d->features().provision);
}

TEST_F(QemuDriverTest, NeverStartedMachineIsStoppedAndLifecycleCallsAreIdempotent) {
  auto d = driver();
  EXPECT_EQ(d->state().state, State::Stopped);
  EXPECT_NO_THROW(d->stop());
  EXPECT_NO_THROW(d->kill());
  EXPECT_NO_THROW(d->remove());
  EXPECT_NO_THROW(d->remove());
  EXPECT_TRUE(runner.commands().empty());
}

TEST_F(QemuDriverTest, RemoveDeletesEveryDriverFile) {
  auto dir = store.path() / "machines" / "vm1";
  for (auto name : {"disk.qcow2", "seed.iso", "serial.log", "vm.log", "qmp.sock"})
    testing::write_file(dir / name, "x");
  testing::write_file(dir / "config.json", "{}");
  driver()->remove();
  std::vector<std::string> left;
  for (auto& e : std::filesystem::directory_iterator(dir)) left.push_back(e.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"config.json"}) << "config.json belongs to the store";
}

TEST_F(QemuDriverTest, HostKeysComeFromTheSerialConsole) {
  testing::write_file(store.path() / "machines" / "vm1" / "serial.log",
                      "boot\nmachine-hostkey: ssh-ed25519 AAAAkey\r\nmachine-boot-done\n");
  EXPECT_EQ(driver()->host_keys(), std::vector<std::string>{"ssh-ed25519 AAAAkey"});
}

TEST_F(QemuDriverTest, PrivateNicHookReachesTheArgv) {
  auto d = driver();
  d->private_nic = qemu::PrivateNic{"socket,listen=127.0.0.1:1234", "52:54:00:00:00:01"};
  auto args = qemu::build_qemu_args(d->vm_spec());
  EXPECT_NE(std::find(args.begin(), args.end(), "virtio-net-pci,netdev=net1,mac=52:54:00:00:00:01"),
            args.end());
}

}  // namespace
}  // namespace machine::drivers
