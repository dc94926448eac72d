// Faults around booted QEMU machines (real guests, real dockerd with TLS, real docker CLI):
// four creates at once (one of them re-creating a name whose create was killed), a crash of
// the VM, ten commands at once on one machine, and rm while create of the same name runs.
// Runs only inside tests/support/ro-sandbox; the cases share machine v1, in order.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
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

// Every VM here is small (1 vCPU, 512 MB) and isolated (restricted user networking, no
// mounts): four boot at once on a 2-core TCG host.
const std::vector<std::string> kCreate = {"create",      "-d",          "qemu", "--qemu-restrict-network",
                                          "--no-mounts", "--qemu-cpus", "1",    "--qemu-memory",
                                          "512"};

std::vector<std::string> create_args(const std::string& name) {
  auto args = kCreate;
  args.push_back(name);
  return args;
}

// Runs every command at once, one thread each; the results in the same order.
std::vector<ProcessResult> run_at_once(const std::vector<Command>& cmds) {
  std::vector<ProcessResult> results(cmds.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < cmds.size(); ++i)
    threads.emplace_back([&, i] { results[i] = make_system_process_runner()->run(cmds[i]); });
  for (auto& t : threads) t.join();
  return results;
}

TEST_F(FaultVm, KilledCreateLeavesNothingAfterRmForce) {
  auto killed = store_->machine(create_args("v1"), {{"MACHINE_FAULT_POINT", "create-after-vm:KILL"}});
  ++g_tally.fault_points;
  ASSERT_EQ(killed.exit_code, -1) << killed.out << killed.err;
  auto rm = store_->machine({"rm", "-f", "-y", "v1"}, {}, 120s);
  ASSERT_EQ(rm.exit_code, 0) << rm.out << rm.err;
  auto left = store_->leftovers("v1");
  if (!left.empty()) ++g_tally.half_made;
  EXPECT_TRUE(left.empty()) << ::testing::PrintToString(left);
}

// Four creates of different names at once (v1 re-uses the name whose create was killed):
// each boots, gets ports of its own (issue 17.9) and answers `docker version` through
// `eval $(machine env NAME)`; v2..v4, removed at once, leave no file and no process.
TEST_F(FaultVm, FourCreatesAtOnceBootUsableMachinesOnDistinctPorts) {
  const std::vector<std::string> names = {"v1", "v2", "v3", "v4"};
  std::vector<Command> creates;
  for (const auto& n : names) {
    creates.push_back(store_->command(create_args(n)));
    creates.back().timeout = 900s;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto created = run_at_once(creates);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0);
  std::cout << "four concurrent creates: " << secs.count() << " s\n";
  g_tally.fault_points += static_cast<int>(names.size());
  for (size_t i = 0; i < names.size(); ++i)
    ASSERT_EQ(created[i].exit_code, 0) << names[i] << ": " << created[i].out << created[i].err;

  std::set<int> ports;
  std::set<std::string> urls;
  std::set<int> qemus;
  for (const auto& n : names) {
    SCOPED_TRACE(n);
    auto dir = store_->machine_dir(n);
    auto j = nlohmann::json::parse(read_file(dir / "config.json"), nullptr, false);
    if (j.is_discarded()) ++g_tally.bad_configs;
    ASSERT_FALSE(j.is_discarded());
    int ssh = j["Driver"]["SSHPort"].get<int>(), engine = j["Driver"]["EnginePort"].get<int>();
    ports.insert({ssh, engine});
    auto url = store_->machine({"url", n}, {}, 120s);
    EXPECT_EQ(url.out, "tcp://127.0.0.1:" + std::to_string(engine) + "\n") << url.err;
    urls.insert(url.out);
    int pid = std::stoi(read_file(dir / "qemu.pid"));
    EXPECT_NE(cmdline(pid).find(dir.string()), std::string::npos)
        << "qemu " << pid << " is not " << n << "'s";
    qemus.insert(pid);
    // What a user types: the docker CLI configured by `machine env`, nothing else.
    auto sh = store_->command({}, {{"SHELL", "/bin/bash"}});
    sh.args = {"-c",
               R"sh(eval "$("$0" -s "$1" env "$2")" && docker version --format '{{.Server.Version}}')sh",
               sh.program, store_->root().string(), n};
    sh.program = "/bin/bash";
    sh.timeout = 120s;
    auto v = make_system_process_runner()->run(sh);
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_FALSE(v.out.empty());
  }
  EXPECT_EQ(ports.size(), 2 * names.size()) << "two machines share a forwarded port";
  EXPECT_EQ(urls.size(), names.size()) << "two machines share a URL";
  EXPECT_EQ(qemus.size(), names.size());

  std::vector<Command> removes;
  for (size_t i = 1; i < names.size(); ++i) {
    removes.push_back(store_->command({"rm", "-f", "-y", names[i]}));
    removes.back().timeout = 300s;
  }
  auto removed = run_at_once(removes);
  for (size_t i = 1; i < names.size(); ++i) {
    EXPECT_EQ(removed[i - 1].exit_code, 0) << names[i] << ": " << removed[i - 1].out << removed[i - 1].err;
    auto left = store_->leftovers(names[i]);
    if (!left.empty()) ++g_tally.half_made;
    EXPECT_TRUE(left.empty()) << ::testing::PrintToString(left);
  }
  EXPECT_EQ(store_->machine({"ls", "-q"}, {}, 120s).out, "v1\n");
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
  std::thread create([&] { created = store_->machine(create_args("w1")); });
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
