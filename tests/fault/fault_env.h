#pragma once
// Harness for tests/fault: a store inside the ro-sandbox's tmpfs (every other mount is
// read-only), the real `machine` binary run with fault points (machine/fault.h), and the
// checks every fault case ends with: nothing half-made, nothing leaked, nothing lost.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "machine/process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::fault {

// Fails the current test (ASSERT) unless running inside tests/support/ro-sandbox.
void require_sandbox();

// Counters a run adds to; tests/fault writes them to $MACHINE_FAULT_REPORT_DIR/<suite>.json
// for scripts/fault-report.
struct Tally {
  int fault_points = 0;      // cases where a command was stopped or failed on purpose
  int hostile_inputs = 0;    // hostile names / flags / files tried
  int half_made = 0;         // machine dirs left after rm -f, or entries not shown as Error
  int leaked_processes = 0;  // processes naming the store alive after rm -f
  int lost_machines = 0;     // unrelated machines whose files changed
  int bad_configs = 0;       // config.json files that did not parse when they should
  int leaked_contexts = 0;   // docker contexts left
  int held_locks = 0;        // machine locks still held
};
// The counters of this binary's suite: the first call registers a gtest environment that
// writes them to $MACHINE_FAULT_REPORT_DIR/<suite>.json when the binary ends.
Tally& suite_tally(const std::string& suite);

class FaultStore {
 public:
  // `shared_cache`: link cache/ to $MACHINE_TEST_IMAGE_CACHE (read-only here) for QEMU.
  explicit FaultStore(const std::filesystem::path& dir, bool shared_cache = true);
  ~FaultStore();
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path machine_dir(const std::string& name) const { return root_ / "machines" / name; }
  std::filesystem::path docker_config() const { return base_ / "docker"; }

  // Runs `machine -s <root> args...`; `env` adds variables (e.g. MACHINE_FAULT_POINT).
  ProcessResult machine(std::vector<std::string> args, const std::map<std::string, std::string>& env = {},
                        std::chrono::seconds timeout = std::chrono::seconds(600)) const;
  Command command(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) const;

  // Leftovers of machine `name` (empty when none): its directory, processes whose command line
  // mentions the store and `name`, its docker context, its lock held by someone.
  std::vector<std::string> leftovers(const std::string& name) const;
  // Pids of live processes (not zombies) whose command line mentions this store.
  std::vector<int> store_processes() const;
  bool lock_held(const std::string& name) const;
  bool docker_context_exists(const std::string& name) const;

 private:
  std::filesystem::path base_, root_;
  std::unique_ptr<ProcessRunner> runner_;
};

// The command line of a process ("" when gone), NULs turned into spaces.
std::string cmdline(int pid);

// The fixture of a fault test that wants a store of its own: inside the sandbox (else the
// test fails), a fresh temp dir and store per test, both removed after it.
class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::optional<machine::testing::TempDir> tmp_;
  std::optional<FaultStore> store_;
};

}  // namespace machine::fault
