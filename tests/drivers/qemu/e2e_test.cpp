// Real QEMU under TCG, driven through the Driver interface (no CLI). Lifecycle tests
// that need no guest boot a blank disk (SeaBIOS idles); the guest tests need the machine
// OS image in the shared test cache and skip without it.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "drivers/common/readiness.h"
#include "drivers/qemu/qmp.h"
#include "machine/error.h"
#include "tests/drivers/qemu/qemu_fixture.h"

namespace machine::drivers::qemu_test {
namespace {
using namespace std::chrono_literals;

const std::vector<std::string> kDriverFiles{"disk.qcow2", "seed.iso", "serial.log",
                                            "qemu.pid",   "qmp.sock", "vm.log"};

FlagValues blank_flags(const std::filesystem::path& image) {
  FlagValues f;
  f.set("qemu-image", {image.string()});
  f.set("qemu-memory", {"256"});
  f.set("qemu-cpus", {"1"});
  f.set("qemu-disk-size", {"1024"});
  return f;
}

QemuDriverOptions quick_stop() {
  QemuDriverOptions o;
  o.stop_timeout = 2s;  // SeaBIOS ignores the ACPI power button: stop falls back to kill
  return o;
}

void expect_no_driver_files(const std::filesystem::path& dir) {
  for (const auto& f : kDriverFiles) EXPECT_FALSE(std::filesystem::exists(dir / f)) << f;
}

TEST(QemuLifecycle, BlankVmRunsStopsStartsAndIsRemovedCompletely) {
  TestStore store;
  auto image = blank_image(store.path());
  TestMachine m(store, "vm1", blank_flags(image), quick_stop());
  m.create();
  auto& d = m.driver();
  EXPECT_EQ(d.state().state, State::Running);
  int pid = m.pid();
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(std::filesystem::exists(m.dir() / "disk.qcow2"));
  EXPECT_TRUE(std::filesystem::exists(m.dir() / "seed.iso"));
  EXPECT_EQ(d.to_json()["Accel"], "tcg");

  d.start();  // idempotent
  EXPECT_EQ(m.pid(), pid);

  d.stop();
  EXPECT_EQ(d.state().state, State::Stopped);
  EXPECT_FALSE(common::process_alive(pid));
  d.stop();  // idempotent

  d.start();
  EXPECT_EQ(d.state().state, State::Running);
  int pid2 = m.pid();
  EXPECT_NE(pid2, pid);

  d.kill();
  EXPECT_EQ(d.state().state, State::Stopped);
  EXPECT_FALSE(common::process_alive(pid2));
  d.kill();  // idempotent

  d.restart();
  EXPECT_EQ(d.state().state, State::Running);
  int pid3 = m.pid();

  d.remove();
  EXPECT_FALSE(common::process_alive(pid3));
  expect_no_driver_files(m.dir());
  d.remove();  // idempotent
}

TEST(QemuLifecycle, DiskIsAnOverlayOnTheImageResizedToTheRequestedSize) {
  TestStore store;
  auto image = blank_image(store.path());
  TestMachine m(store, "vm1", blank_flags(image), quick_stop());
  m.create();
  auto runner = make_system_process_runner();
  auto info = nlohmann::json::parse(
      run_checked(*runner,
                  Command{"qemu-img", {"info", "-U", "--output=json", (m.dir() / "disk.qcow2").string()}},
                  "qemu-img")
          .out);
  EXPECT_EQ(info["format"], "qcow2");
  EXPECT_EQ(info["virtual-size"], 1024LL << 20);
  EXPECT_EQ(info["backing-filename"], image.string());
  EXPECT_EQ(m.driver().to_json()["BaseDisk"], image.string());
}

TEST(QemuLifecycle, PausedVmReadsPausedAndResumeResumesIt) {
  TestStore store;
  TestMachine m(store, "vm1", blank_flags(blank_image(store.path())), quick_stop());
  m.create();
  {
    qemu::QmpClient qmp(m.dir() / "qmp.sock");
    qmp.execute("stop");
  }
  EXPECT_EQ(m.driver().state().state, State::Paused);
  m.driver().start();  // leaves it paused: machine/state decides that `start` resumes
  EXPECT_EQ(m.driver().state().state, State::Paused);
  m.driver().resume();
  EXPECT_EQ(m.driver().state().state, State::Running);
}

TEST(QemuLifecycle, StoreReachedThroughASymlinkSeesTheSameRunningVm) {
  TestStore store;
  TestMachine m(store, "vm1", blank_flags(blank_image(store.path())), quick_stop());
  m.create();
  auto link = store.path().parent_path() / (store.path().filename().string() + "-link");
  std::filesystem::create_directory_symlink(store.path(), link);
  auto runner = make_system_process_runner();
  NullProgress progress;
  QemuDriver other(Context{"vm1", link / "machines" / "vm1", link, *runner, progress}, quick_stop());
  other.from_json(m.driver().to_json());
  EXPECT_EQ(other.state().state, State::Running);
  other.start();  // idempotent: no second QEMU on the same disk
  EXPECT_EQ(other.state().state, State::Running);
  std::filesystem::remove(link);
}

TEST(QemuLifecycle, TwoMachinesAtOnceGetDistinctPorts) {
  TestStore store;
  auto image = blank_image(store.path());
  TestMachine a(store, "a", blank_flags(image), quick_stop());
  TestMachine b(store, "b", blank_flags(image), quick_stop());
  a.create();
  b.create();
  EXPECT_EQ(a.driver().state().state, State::Running);
  EXPECT_EQ(b.driver().state().state, State::Running);
  std::set<int> ports{a.driver().ssh_address().port, b.driver().ssh_address().port};
  ports.insert(a.driver().config().engine_port);
  ports.insert(b.driver().config().engine_port);
  EXPECT_EQ(ports.size(), 4u);
  EXPECT_NE(a.driver().engine_url(), b.driver().engine_url());
}

TEST(QemuLifecycle, QemuKilledBehindOurBackIsNotRunningAndStartRecovers) {
  TestStore store;
  TestMachine m(store, "vm1", blank_flags(blank_image(store.path())), quick_stop());
  m.create();
  int pid = m.pid();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  for (int i = 0; i < 100 && common::process_alive(pid); ++i) std::this_thread::sleep_for(20ms);
  auto s = m.driver().state();
  EXPECT_TRUE(s.state == State::Error || s.state == State::Stopped) << state_name(s.state);
  if (s.state == State::Error) {
    EXPECT_NE(s.reason.find(std::to_string(pid)), std::string::npos) << s.reason;
  }
  m.driver().start();
  EXPECT_EQ(m.driver().state().state, State::Running);
}

TEST(QemuLifecycle, FrozenQemuIsErrorAndStartReplacesIt) {
  TestStore store;
  TestMachine m(store, "vm1", blank_flags(blank_image(store.path())), quick_stop());
  m.create();
  int pid = m.pid();
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  // Past the launch grace period without waiting for it.
  auto pidfile = m.dir() / "qemu.pid";
  std::filesystem::last_write_time(pidfile, std::filesystem::last_write_time(pidfile) - 60s);
  auto s = m.driver().state();
  EXPECT_EQ(s.state, State::Error);
  EXPECT_NE(s.reason.find("QMP"), std::string::npos) << s.reason;
  m.driver().start();
  EXPECT_EQ(m.driver().state().state, State::Running);
  EXPECT_NE(m.pid(), pid);
  EXPECT_FALSE(common::process_alive(pid));
}

TEST(QemuLifecycle, WaitReadyFailsAtOnceWhenQemuDies) {
  TestStore store;
  TestMachine m(store, "vm1", blank_flags(blank_image(store.path())), quick_stop());
  m.create();
  int pid = m.pid();
  std::thread killer([pid] {
    std::this_thread::sleep_for(500ms);
    ::kill(pid, SIGKILL);
  });
  auto t0 = std::chrono::steady_clock::now();
  try {
    m.driver().wait_ready(120s);
    ADD_FAILURE() << "expected wait_ready to fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(std::string(e.what()).find("stopped while booting"), std::string::npos) << e.what();
  }
  killer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 60s) << "failed at once, not at the timeout";
}

TEST(QemuLifecycle, WaitReadyTimeoutShowsTheConsole) {
  TestStore store;
  TestMachine m(store, "vm1", blank_flags(blank_image(store.path())), quick_stop());
  m.create();
  try {
    m.driver().wait_ready(2s);
    ADD_FAILURE() << "a blank disk never gets ready";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(std::string(e.what()).find("last console lines"), std::string::npos) << e.what();
  }
}

// A host port taken while the machine was stopped (issue 17.9): start moves the forward to a
// free port instead of failing with QEMU's "Could not set up host forwarding rule".
TEST(QemuLifecycle, StartMovesForwardsWhoseHostPortsWereTaken) {
  TestStore store;
  auto image = blank_image(store.path());
  TestMachine a(store, "a", blank_flags(image), quick_stop());
  a.create();
  // b copies a's ports, as if they had been taken after create.
  TestMachine b(store, "b", blank_flags(image), quick_stop());
  auto bj = a.driver().to_json();
  bj["MachineName"] = "b";
  b.driver().from_json(bj);
  std::filesystem::copy_file(a.dir() / "disk.qcow2", b.dir() / "disk.qcow2");
  std::filesystem::copy_file(a.dir() / "seed.iso", b.dir() / "seed.iso");
  b.driver().start();
  EXPECT_EQ(b.driver().state().state, State::Running);
  EXPECT_EQ(a.driver().state().state, State::Running);
  EXPECT_NE(b.driver().config().base.ssh_port, a.driver().config().base.ssh_port);
  EXPECT_NE(b.driver().config().engine_port, a.driver().config().engine_port);
  b.driver().kill();
}

// --- with the machine OS ---

class QemuGuest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto image = machine_os_image();
    if (!image) GTEST_SKIP() << "no machine OS image in " << shared_image_cache();
    flags.set("qemu-image", {image->string()});
  }
  FlagValues flags;
};

TEST_F(QemuGuest, CreateBootsToSshAndDockerThenStopStartKillRemove) {
  TestStore store;
  TestMachine m(store, "vm1", flags);
  m.create();
  auto& d = m.driver();
  d.wait_ready(300s);
  EXPECT_EQ(d.state().state, State::Running);
  EXPECT_TRUE(common::ssh_banner_ready(d.ssh_address().port, 5s));
  auto keys = d.host_keys();
  ASSERT_FALSE(keys.empty());
  EXPECT_EQ(keys[0].rfind("ssh-ed25519 ", 0), 0u) << keys[0];

  d.stop();  // ACPI power button: the guest shuts down cleanly
  EXPECT_EQ(d.state().state, State::Stopped);
  d.start();
  d.wait_ready(300s);
  EXPECT_EQ(d.state().state, State::Running);
  EXPECT_EQ(d.host_keys(), keys) << "host keys persist across boots";

  int pid = m.pid();
  d.kill();
  EXPECT_EQ(d.state().state, State::Stopped);
  d.remove();
  EXPECT_FALSE(common::process_alive(pid));
  expect_no_driver_files(m.dir());
}

}  // namespace
}  // namespace machine::drivers::qemu_test
