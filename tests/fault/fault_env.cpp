#include "tests/fault/fault_env.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace machine::fault {
namespace {
std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

bool process_alive(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}
}  // namespace

void require_sandbox() {
  // The guard that keeps a regression from harming host files: no sandbox, no test.
  ASSERT_NE(std::getenv("RO_SANDBOX_DIR"), nullptr) << "run me through tests/support/ro-sandbox";
  struct statvfs st {};
  ASSERT_TRUE(::statvfs("/", &st) == 0 && (st.f_flag & ST_RDONLY) != 0)
      << "/ is writable: not inside ro-sandbox";
}

namespace {
void write_tally(const std::string& suite, const Tally& t) {
  const char* dir = std::getenv("MACHINE_FAULT_REPORT_DIR");
  if (!dir || !*dir) return;
  nlohmann::json j{{"suite", suite},
                   {"fault_points", t.fault_points},
                   {"hostile_inputs", t.hostile_inputs},
                   {"half_made", t.half_made},
                   {"leaked_processes", t.leaked_processes},
                   {"lost_machines", t.lost_machines},
                   {"bad_configs", t.bad_configs},
                   {"leaked_contexts", t.leaked_contexts},
                   {"held_locks", t.held_locks}};
  std::ofstream(std::filesystem::path(dir) / (suite + ".json")) << j.dump(2) << "\n";
}

class TallyWriter : public ::testing::Environment {
 public:
  TallyWriter(std::string suite, const Tally& tally) : suite_(std::move(suite)), tally_(tally) {}
  void TearDown() override { write_tally(suite_, tally_); }

 private:
  std::string suite_;
  const Tally& tally_;
};
}  // namespace

Tally& suite_tally(const std::string& suite) {
  static Tally tally;
  static const auto* const writer = ::testing::AddGlobalTestEnvironment(new TallyWriter(suite, tally));
  (void)writer;
  return tally;
}

void FaultTest::SetUp() {
  require_sandbox();
  if (HasFatalFailure()) return;
  tmp_.emplace();
  store_.emplace(tmp_->path());
}

void FaultTest::TearDown() {
  store_.reset();
  tmp_.reset();
}

std::string cmdline(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (auto& c : s)
    if (c == '\0') c = ' ';
  return s;
}

FaultStore::FaultStore(const std::filesystem::path& dir, bool shared_cache)
    : base_(dir), root_(dir / "store"), runner_(make_system_process_runner()) {
  std::filesystem::create_directories(root_);
  std::filesystem::create_directories(docker_config());
  std::filesystem::create_directories(base_ / "home");
  if (shared_cache)
    std::filesystem::create_directory_symlink(
        env_or("MACHINE_TEST_IMAGE_CACHE", "/var/tmp/machine-test-cache"), root_ / "cache");
}

FaultStore::~FaultStore() {
  // No VM outlives the test, whatever it asserted.
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root_ / "machines", ec))
    machine({"rm", "-f", "-y", e.path().filename().string()}, {}, std::chrono::seconds(120));
  for (int pid : store_processes())
    if (cmdline(pid).find(root_.string()) != std::string::npos) ::kill(pid, SIGKILL);
}

Command FaultStore::command(std::vector<std::string> args,
                            const std::map<std::string, std::string>& env) const {
  Command cmd;
  cmd.program = env_or("MACHINE_BINARY", "machine");
  cmd.args = {"-s", root_.string()};
  cmd.args.insert(cmd.args.end(), args.begin(), args.end());
  cmd.env = {{"MACHINE_STORAGE_PATH", root_.string()},
             {"DOCKER_CONFIG", docker_config().string()},
             {"DOCKER_HOST", ""},
             {"DOCKER_CONTEXT", ""},
             {"HOME", (base_ / "home").string()},
             {"MACHINE_DRIVER", ""}};
  for (const auto& [k, v] : env) cmd.env[k] = v;
  return cmd;
}

ProcessResult FaultStore::machine(std::vector<std::string> args,
                                  const std::map<std::string, std::string>& env,
                                  std::chrono::seconds timeout) const {
  auto cmd = command(std::move(args), env);
  cmd.timeout = timeout;
  return runner_->run(cmd);
}

std::vector<int> FaultStore::store_processes() const {
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    int pid = std::stoi(name);
    if (pid == ::getpid() || !process_alive(pid)) continue;
    if (cmdline(pid).find(root_.string()) != std::string::npos) pids.push_back(pid);
  }
  return pids;
}

bool FaultStore::lock_held(const std::string& name) const {
  auto path = root_ / "locks" / (name + ".lock");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // never locked
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

bool FaultStore::docker_context_exists(const std::string& name) const {
  Command cmd{"docker", {"context", "ls", "--format", "{{.Name}}"}};
  cmd.env = {{"DOCKER_CONFIG", docker_config().string()}, {"DOCKER_HOST", ""}, {"DOCKER_CONTEXT", ""}};
  cmd.timeout = std::chrono::seconds(30);
  auto r = runner_->run(cmd);
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (line == name || line == "machine-" + name) return true;
  return false;
}

std::vector<std::string> FaultStore::leftovers(const std::string& name) const {
  std::vector<std::string> found;
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(machine_dir(name), ec)))
    found.push_back("machine directory " + machine_dir(name).string());
  for (int pid : store_processes()) {
    auto cl = cmdline(pid);
    if (cl.find(machine_dir(name).string()) != std::string::npos || cl.find(" " + name) != std::string::npos)
      found.push_back("process " + std::to_string(pid) + ": " + cl);
  }
  if (docker_context_exists(name)) found.push_back("docker context " + name);
  if (lock_held(name)) found.push_back("lock " + name + " held");
  return found;
}

}  // namespace machine::fault
