// Faults around one booted QEMU machine (real guest, real dockerd with TLS, real docker CLI):
// a re-create of a name whose create was killed, a crash of the VM, ten commands at once on
// one machine, and rm while create of the same name runs. Runs only inside
// tests/support/ro-sandbox; the cases share one machine, in order.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "tests/fault/fault_env.h"
#include "tests/support/temp_dir.h"

namespace machine::fault {
namespace {
using namespace std::chrono_literals;
using machine::testing::read_file;

Tally& g_tally = suite_tally("vm");

class FaultVm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new machine::testing::TempDir();
    store_ = new FaultStore(tmp_->path());
  }
  static void TearDownTestSuite() {
    delete store_;
    delete tmp_;
  }
  void SetUp() override { require_sandbox(); }

  static std::string status(const std::string& name) {
    auto r = store_->machine({"status", name}, {}, 120s);
    return r.out.empty() ? r.err : r.out.substr(0, r.out.find('\n'));
  }
  // `docker --context NAME version` through the context create registered.
  static ProcessResult docker_version(const std::string& context) {
    Command cmd{"docker", {"--context", context, "version", "--format", "{{.Server.Version}}"}};
    cmd.env = {
        {"DOCKER_CONFIG", store_->docker_config().string()}, {"DOCKER_HOST", ""}, {"DOCKER_CONTEXT", ""}};
    cmd.timeout = 60s;
    return make_system_process_runner()->run(cmd);
  }

  static machine::testing::TempDir* tmp_;
  static FaultStore* store_;
};
machine::testing::TempDir* FaultVm::tmp_ = nullptr;
FaultStore* FaultVm::store_ = nullptr;

TEST_F(FaultVm, CreateAfterAKilledCreateOfTheSameNameBoots) {
  auto killed =
      store_->machine({"create", "-d", "qemu", "v1"}, {{"MACHINE_FAULT_POINT", "create-after-vm:KILL"}});
  ++g_tally.fault_points;
  ASSERT_EQ(killed.exit_code, -1) << killed.out << killed.err;
  auto rm = store_->machine({"rm", "-f", "-y", "v1"}, {}, 120s);
  ASSERT_EQ(rm.exit_code, 0) << rm.out << rm.err;
  auto r = store_->machine({"create", "-d", "qemu", "v1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto v = docker_version("v1");
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(FaultVm, CrashOfTheVmShowsStoppedAndStartBringsItBackWithTheSameCerts) {
  auto dir = store_->machine_dir("v1");
  auto ca = read_file(dir / "ca.pem"), server = read_file(dir / "server.pem");
  int pid = std::stoi(read_file(dir / "qemu.pid"));
  ASSERT_NE(cmdline(pid).find(dir.string()), std::string::npos);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ++g_tally.fault_points;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  std::string s;
  while ((s = status("v1")) != "Stopped" && s.rfind("Error", 0) != 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(s == "Stopped" || s.rfind("Error", 0) == 0) << s;
  auto start = store_->machine({"start", "v1"});
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  EXPECT_EQ(status("v1"), "Running");
  EXPECT_EQ(read_file(dir / "ca.pem"), ca);
  EXPECT_EQ(read_file(dir / "server.pem"), server);
  auto v = docker_version("v1");
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// Ten commands at once on one machine: config.json parses at every moment, the end state is
// consistent, and the docker context follows regenerate-certs --client-certs (issue 17.11).
TEST_F(FaultVm, TenMixedCommandsAtOnceKeepTheMachineConsistent) {
  const std::vector<std::vector<std::string>> cmds = {
      {"ls"},           {"inspect", "v1"}, {"env", "v1"},
      {"status", "v1"}, {"url", "v1"},     {"regenerate-certs", "-f", "--client-certs", "v1"},
      {"stop", "v1"},   {"start", "v1"},   {"ls"},
      {"inspect", "v1"}};
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, reads{0};
  std::thread watcher([&] {
    auto config = store_->machine_dir("v1") / "config.json";
    while (!done) {
      auto j = nlohmann::json::parse(read_file(config), nullptr, false);
      if (j.is_discarded()) ++bad;
      ++reads;
      std::this_thread::sleep_for(5ms);
    }
  });
  std::vector<std::thread> threads;
  for (const auto& c : cmds)
    threads.emplace_back([c] {
      auto cmd = store_->command(c, {{"SHELL", "/bin/bash"}});
      cmd.timeout = 600s;
      cmd.stdin_data = "y\n";
      make_system_process_runner()->run(cmd);
    });
  for (auto& t : threads) t.join();
  done = true;
  watcher.join();
  g_tally.fault_points += static_cast<int>(cmds.size());
  g_tally.bad_configs += bad.load();
  EXPECT_EQ(bad.load(), 0) << "config.json did not parse in " << bad << " of " << reads << " reads";
  auto s = status("v1");
  ASSERT_TRUE(s == "Running" || s == "Stopped") << s;
  if (s == "Stopped") {
    auto start = store_->machine({"start", "v1"});
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  }
  auto regen = store_->machine({"regenerate-certs", "-f", "v1"}, {}, 600s);
  EXPECT_EQ(regen.exit_code, 0) << regen.out << regen.err;
  auto v = docker_version("v1");
  EXPECT_EQ(v.exit_code, 0) << "the docker context is stale: " << v.out << v.err;
  auto env = store_->machine({"env", "v1"}, {{"SHELL", "/bin/bash"}}, 120s);
  EXPECT_EQ(env.exit_code, 0) << env.out << env.err;
}

TEST_F(FaultVm, RmWhileCreateOfTheSameNameRunsLeavesNothing) {
  std::optional<ProcessResult> created;
  std::thread create([&] { created = store_->machine({"create", "-d", "qemu", "w1"}); });
  // rm once create holds the machine: it waits for create's lock, then removes what it made.
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (!std::filesystem::exists(store_->machine_dir("w1") / "config.json") &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  auto rm = store_->machine({"rm", "-f", "-y", "w1"}, {}, 600s);
  create.join();
  ++g_tally.fault_points;
  EXPECT_EQ(rm.exit_code, 0) << rm.out << rm.err;
  auto left = store_->leftovers("w1");
  if (!left.empty()) ++g_tally.half_made;
  EXPECT_TRUE(left.empty()) << ::testing::PrintToString(left) << "\ncreate: " << created->out << created->err;
  auto ls = store_->machine({"ls", "-q"}, {}, 120s);
  EXPECT_EQ(ls.out, "v1\n");
}

TEST_F(FaultVm, RmForceLeavesNothing) {
  auto rm = store_->machine({"rm", "-f", "-y", "v1"}, {}, 300s);
  EXPECT_EQ(rm.exit_code, 0) << rm.out << rm.err;
  auto left = store_->leftovers("v1");
  if (!left.empty()) ++g_tally.half_made;
  EXPECT_TRUE(left.empty()) << ::testing::PrintToString(left);
  EXPECT_TRUE(store_->store_processes().empty());
}

}  // namespace
}  // namespace machine::fault
