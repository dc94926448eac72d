// Stops `machine create` at every step (machine/fault.h points) with SIGKILL, and with
// SIGINT, SIGTERM and SIGHUP, then checks the promise: `ls` answers and shows the machine
// as Error or not at all; after `rm -f` no file, process, docker context or held lock is
// left; the same name can be created again. A signal the CLI can catch must roll back by
// itself and exit 128+signal. Real QEMU boots only for the points after the VM started;
// destructive by nature, so it runs only inside tests/support/ro-sandbox.
#include <gtest/gtest.h>
#include <signal.h>

#include <optional>
#include <sstream>

#include "tests/fault/fault_env.h"
#include "tests/support/temp_dir.h"

namespace machine::fault {
namespace {
using namespace std::chrono_literals;

Tally& g_tally = suite_tally("kill_steps");

int signal_number(const std::string& sig) {
  return sig == "INT" ? SIGINT : sig == "TERM" ? SIGTERM : sig == "HUP" ? SIGHUP : SIGKILL;
}

class KillSteps : public FaultTest {
 protected:
  // The machine's STATE in `ls`, or nullopt when ls does not list it. ls must answer.
  std::optional<std::string> ls_state(const std::string& name) {
    auto r = store_->machine({"ls", "--format", "{{.Name}} {{.State}}"}, {}, 120s);
    EXPECT_EQ(r.exit_code, 0) << "ls did not answer: " << r.out << r.err;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(name + " ", 0) == 0) return line.substr(name.size() + 1);
    return std::nullopt;
  }

  void count_leftovers(const std::vector<std::string>& left) {
    for (const auto& l : left) {
      if (l.rfind("machine directory", 0) == 0) ++g_tally.half_made;
      if (l.rfind("process", 0) == 0) ++g_tally.leaked_processes;
      if (l.rfind("docker context", 0) == 0) ++g_tally.leaked_contexts;
      if (l.rfind("lock", 0) == 0) ++g_tally.held_locks;
    }
  }

  // One fault case: create stopped at `point` by `sig`, then the checks above.
  void stop_create_at(const std::string& name, const std::string& point, const std::string& sig,
                      const std::vector<std::string>& create_args) {
    SCOPED_TRACE(point + ":" + sig);
    std::vector<std::string> args{"create"};
    args.insert(args.end(), create_args.begin(), create_args.end());
    args.push_back(name);
    auto r = store_->machine(args, {{"MACHINE_FAULT_POINT", point + ":" + sig}});
    ++g_tally.fault_points;
    if (sig == "KILL") {
      EXPECT_EQ(r.exit_code, -1) << "create was not killed at " << point << ": " << r.out << r.err;
      auto state = ls_state(name);
      if (state && *state != "Error") ++g_tally.half_made;
      EXPECT_TRUE(!state || *state == "Error") << "ls shows the half-made machine as " << *state;
    } else {
      EXPECT_EQ(r.exit_code, 128 + signal_number(sig)) << r.out << r.err;
      // Rolled back by itself: nothing to see before any rm.
      EXPECT_FALSE(ls_state(name)) << "still listed after the rollback";
      auto left = store_->leftovers(name);
      count_leftovers(left);
      EXPECT_TRUE(left.empty()) << "left after the rollback: " << ::testing::PrintToString(left);
    }
    if (std::filesystem::exists(store_->machine_dir(name))) {
      auto rm = store_->machine({"rm", "-f", "-y", name}, {}, 180s);
      EXPECT_EQ(rm.exit_code, 0) << rm.out << rm.err;
    }
    auto left = store_->leftovers(name);
    count_leftovers(left);
    EXPECT_TRUE(left.empty()) << "left after rm -f: " << ::testing::PrintToString(left);
    // The name is free again: the store, lock and context names are all reusable.
    auto again = store_->machine({"create", "-d", "none", "--url", "tcp://127.0.0.1:9", name}, {}, 120s);
    EXPECT_EQ(again.exit_code, 0) << "re-create failed: " << again.out << again.err;
    auto rm = store_->machine({"rm", "-y", name}, {}, 120s);
    EXPECT_EQ(rm.exit_code, 0) << rm.out << rm.err;
  }
};

const std::vector<std::string> kQemu = {"-d", "qemu"};

// Points before the guest boots: every signal at every one (seconds each, QEMU only launched).
TEST_F(KillSteps, EverySignalAtEveryStepBeforeBoot) {
  for (const char* point : {"create-after-certs", "create-after-dir", "create-after-prepare",
                            "create-after-seed", "create-after-vm", "create-booting"})
    for (const char* sig : {"KILL", "INT", "TERM", "HUP"}) {
      // A catchable signal at create-booting waits for the boot (the QEMU readiness wait does
      // not poll cancellation yet); the boot points below cover those.
      if (std::string(point) == "create-booting" && std::string(sig) != "KILL") continue;
      stop_create_at("f1", point, sig, kQemu);
    }
}

// Points after the guest booted: each needs a boot, so each signal is tried at one of them
// and SIGKILL at all of them.
TEST_F(KillSteps, SignalsAfterBoot) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"create-booting", "INT"},        {"create-after-hostkeys", "KILL"}, {"create-after-hostkeys", "TERM"},
      {"create-provisioning", "KILL"},  {"create-provisioning", "HUP"},    {"create-before-context", "KILL"},
      {"create-before-context", "INT"}, {"create-after-context", "KILL"},
  };
  for (const auto& [point, sig] : cases) stop_create_at("f2", point, sig, kQemu);
}

// The none driver has its own short flow (no VM): every signal at its points.
TEST_F(KillSteps, NoneDriverEverySignal) {
  const std::vector<std::string> none = {"-d", "none", "--url", "tcp://127.0.0.1:9"};
  for (const char* point : {"create-after-certs", "create-after-dir", "create-after-prepare",
                            "create-after-seed", "create-after-vm"})
    for (const char* sig : {"KILL", "INT", "TERM", "HUP"}) stop_create_at("n1", point, sig, none);
}

}  // namespace
}  // namespace machine::fault
