// Corrupt and hostile state and a full disk, all without booting a VM: `ls` answers, nothing
// unrelated is signalled or changed, `rm -f` cleans. (Concurrent creates boot for real in
// vm_test.) Runs only inside tests/support/ro-sandbox.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <optional>

#include "tests/fault/fault_env.h"
#include "tests/support/temp_dir.h"

namespace machine::fault {
namespace {
using namespace std::chrono_literals;
using machine::testing::read_file;
using machine::testing::tree_fingerprint;
using machine::testing::write_file;

Tally& g_tally = suite_tally("state");

bool alive(int pid) { return ::kill(pid, 0) == 0; }

// A process of ours that nothing may signal: its pid goes into stale pidfiles.
int spawn_bystander() {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sleep", "sleep", "600", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}
void end_bystander(int pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

class FaultState : public FaultTest {
 protected:
  // A machine with a real config, stopped by SIGKILL right after create wrote its seed.
  void half_made_qemu(const std::string& name, const std::string& point = "create-after-seed") {
    auto r = store_->machine({"create", "-d", "qemu", name}, {{"MACHINE_FAULT_POINT", point + ":KILL"}});
    ASSERT_EQ(r.exit_code, -1) << r.out << r.err;
    ASSERT_TRUE(std::filesystem::exists(store_->machine_dir(name) / "config.json"));
  }

  void none_machine(const std::string& name) {
    auto r = store_->machine({"create", "-d", "none", "--url", "tcp://127.0.0.1:9", name}, {}, 120s);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  void expect_ls_answers() {
    auto ls = store_->machine({"ls"}, {}, 120s);
    EXPECT_EQ(ls.exit_code, 0) << ls.out << ls.err;
    EXPECT_FALSE(ls.timed_out);
  }

  void expect_rm_cleans(const std::string& name) {
    auto rm = store_->machine({"rm", "-f", "-y", name}, {}, 120s);
    EXPECT_EQ(rm.exit_code, 0) << rm.out << rm.err;
    auto left = store_->leftovers(name);
    for (const auto& l : left) {
      if (l.rfind("machine directory", 0) == 0) ++g_tally.half_made;
      if (l.rfind("process", 0) == 0) ++g_tally.leaked_processes;
    }
    EXPECT_TRUE(left.empty()) << ::testing::PrintToString(left);
  }
};

TEST_F(FaultState, CorruptConfigsShowInLsAndRmForceCleansThem) {
  none_machine("keep");
  auto keep_before = tree_fingerprint(store_->machine_dir("keep"));
  const std::vector<std::pair<std::string, std::string>> corruptions = {
      {"truncated", "{\"ConfigVersion\": 3, \"Driver\": {\"SSHPort\": 22"},
      {"empty", ""},
      {"binary", std::string("\x00\xff\xfe{\x01\x02\"Name\"\x00", 12)},
      {"huge", ""},
  };
  for (const auto& [what, text] : corruptions) {
    SCOPED_TRACE(what);
    half_made_qemu("c1");
    auto config = store_->machine_dir("c1") / "config.json";
    if (what == "huge") {  // 100 MB of a valid-looking JSON string
      std::ofstream out(config, std::ios::trunc);
      out << "{\"Name\": \"";
      std::string chunk(1 << 20, 'a');
      for (int i = 0; i < 100; ++i) out << chunk;
      out << "\"}";
    } else {
      write_file(config, text);
    }
    ++g_tally.hostile_inputs;
    ++g_tally.fault_points;
    expect_ls_answers();
    expect_rm_cleans("c1");
  }
  if (tree_fingerprint(store_->machine_dir("keep")) != keep_before) ++g_tally.lost_machines;
  EXPECT_EQ(tree_fingerprint(store_->machine_dir("keep")), keep_before);
}

// Regression (issue 17.5): rm -f of a machine whose config is unreadable never stopped its QEMU.
TEST_F(FaultState, RmForceOfCorruptConfigStopsQemuByItsPidfile) {
  half_made_qemu("q1", "create-after-vm");
  auto pid = std::stoi(read_file(store_->machine_dir("q1") / "qemu.pid"));
  ASSERT_TRUE(alive(pid));
  write_file(store_->machine_dir("q1") / "config.json", "{");
  ++g_tally.fault_points;
  expect_ls_answers();
  expect_rm_cleans("q1");
  EXPECT_FALSE(alive(pid) && cmdline(pid).find(store_->root().string()) != std::string::npos)
      << "qemu " << pid << " still runs";
}

TEST_F(FaultState, MissingCertsStalePidfileAndStaleQmpSocketHarmNobody) {
  int bystander = spawn_bystander();
  half_made_qemu("s1");
  auto dir = store_->machine_dir("s1");
  for (const char* f : {"ca.pem", "cert.pem", "key.pem", "server.pem", "server-key.pem"})
    std::filesystem::remove(dir / f);
  write_file(dir / "qemu.pid", std::to_string(bystander) + "\n");
  // A QMP socket nobody listens on any more.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  auto sock = (dir / "qmp.sock").string();
  ASSERT_LT(sock.size(), sizeof(addr.sun_path));
  std::copy(sock.begin(), sock.end(), addr.sun_path);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  g_tally.hostile_inputs += 3;
  ++g_tally.fault_points;
  expect_ls_answers();
  for (const char* cmd : {"status", "inspect", "url", "env", "stop", "kill"})
    store_->machine({cmd, "s1"}, {}, 120s);
  EXPECT_TRUE(alive(bystander)) << "a command signalled an unrelated process named by a stale pidfile";
  expect_rm_cleans("s1");
  EXPECT_TRUE(alive(bystander)) << "rm -f signalled an unrelated process named by a stale pidfile";
  if (!alive(bystander)) ++g_tally.leaked_processes;
  end_bystander(bystander);
}

// The store on a small filesystem: create fails with a clear error, rolls back, and the
// machines already there keep every byte.
TEST_F(FaultState, DiskFullFailsCleanlyAndKeepsOtherMachines) {
  auto small = tmp_->path() / "small";
  std::filesystem::create_directories(small);
  ASSERT_EQ(::mount("fault-small", small.c_str(), "tmpfs", 0, "size=256k,mode=0700"), 0)
      << std::strerror(errno);
  {
    FaultStore s(small, true);
    auto keep = s.machine({"create", "-d", "none", "--url", "tcp://127.0.0.1:9", "keep"}, {}, 120s);
    ASSERT_EQ(keep.exit_code, 0) << keep.out << keep.err;
    auto before = tree_fingerprint(s.machine_dir("keep"));
    auto r = s.machine({"create", "-d", "qemu", "big"}, {}, 300s);
    ++g_tally.fault_points;
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE((r.out + r.err).find("No space left on device"), std::string::npos) << r.out << r.err;
    auto left = s.leftovers("big");
    EXPECT_TRUE(left.empty()) << ::testing::PrintToString(left);
    if (!left.empty()) ++g_tally.half_made;
    if (tree_fingerprint(s.machine_dir("keep")) != before) ++g_tally.lost_machines;
    EXPECT_EQ(tree_fingerprint(s.machine_dir("keep")), before);
    auto ls = s.machine({"ls", "-q"}, {}, 60s);
    EXPECT_EQ(ls.out, "keep\n");
  }
  ::umount2(small.c_str(), MNT_DETACH);
}

}  // namespace
}  // namespace machine::fault
