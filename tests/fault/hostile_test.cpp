// Hostile flag values and names nobody else sweeps (tests/cli/hostile_names_test covers
// path-like names): newlines and control characters, negative, huge and non-numeric numbers,
// missing values, non-UTF-8 names. Each must exit 1 with a message saying what is wrong and
// leave the whole test tree byte-identical. Runs only inside tests/support/ro-sandbox.
#include <gtest/gtest.h>

#include <optional>

#include "tests/fault/fault_env.h"
#include "tests/support/temp_dir.h"

namespace machine::fault {
namespace {
using namespace std::chrono_literals;
using machine::testing::tree_fingerprint;

Tally& g_tally = suite_tally("hostile");

class Hostile : public FaultTest {
 protected:
  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    auto keep = store_->machine({"create", "-d", "none", "--url", "tcp://127.0.0.1:9", "keep"}, {}, 120s);
    ASSERT_EQ(keep.exit_code, 0) << keep.out << keep.err;
  }

  // Runs every case; each must fail with status 1, say something on stderr, change nothing.
  void sweep(const std::vector<std::vector<std::string>>& cases, const std::string& must_mention = "") {
    auto before = tree_fingerprint(tmp_->path());
    for (const auto& args : cases) {
      std::string shown;
      for (const auto& a : args) shown += "[" + a.substr(0, 40) + "] ";
      auto r = store_->machine(args, {}, 120s);
      ++g_tally.hostile_inputs;
      EXPECT_EQ(r.exit_code, 1) << shown << "\n" << r.out << r.err;
      EXPECT_FALSE(r.err.empty()) << shown << ": no message";
      if (!must_mention.empty()) {
        EXPECT_NE(r.err.find(must_mention), std::string::npos) << shown << "\n" << r.err;
      }
      auto after = tree_fingerprint(tmp_->path());
      if (after != before) ++g_tally.lost_machines;
      ASSERT_EQ(after, before) << shown << " changed the store";
    }
  }
};

TEST_F(Hostile, CreateFlagValuesAreRefusedBeforeAnythingIsMade) {
  const std::vector<std::string> q = {"create", "-d", "qemu"};
  auto with = [&](std::vector<std::string> flags) {
    auto a = q;
    a.insert(a.end(), flags.begin(), flags.end());
    a.push_back("h1");
    return a;
  };
  sweep({
      with({"--qemu-memory", "-1"}),
      with({"--qemu-memory", "0"}),
      with({"--qemu-memory", "99999999999999999999"}),
      with({"--qemu-memory", "abc"}),
      with({"--qemu-memory", "1024\n"}),
      with({"--qemu-cpus", "-2"}),
      with({"--qemu-cpus", "100000"}),
      with({"--qemu-disk-size", "-20000"}),
      with({"--qemu-disk-size", "9223372036854775808"}),
      with({"--engine-label", "a\nb"}),
      with({"--engine-opt", "debug\nExecStart=/bin/sh"}),
      with({"--engine-env", "A=1\rB=2"}),
      with({"--engine-insecure-registry", "r\n:5000"}),
      with({"--tls-san", "a\nb"}),
      with({"--engine-storage-driver", std::string("overlay2\x1b[2J")}),
      {"create", "-d", "qemu", "h1", "--qemu-memory"},  // missing value
      {"create", "-d"},
      {"create", "-d", "no-such-driver", "h1"},
  });
}

TEST_F(Hostile, OtherCommandsRefuseBadFlagsAndNames) {
  sweep({
      {"ls", "--timeout", "-1"},
      {"ls", "--timeout", "99999999999999"},
      {"ls", "--timeout"},
      {"ls", "--filter", "state"},
      {"ls", "--format", "{{"},
      {"ls", "--format", "{{.NoSuchField}}"},
      {"inspect", "--format", "{{range}}", "keep"},
      {"env", "--shell", "bash\nrm -rf /", "keep"},
      {"env", "keep", "extra"},
      {"-s"},
      {"--storage-path"},
      {"--no-such-global", "ls"},
      {"no-such-command"},
  });
  sweep({{"status", std::string("k\xff\xfe")},
         {"rm", "-f", "-y", std::string("\xc3\x28")},
         {"create", "-d", "none", "--url", "tcp://127.0.0.1:9", std::string("n\x80")},
         {"inspect", std::string("ke\x01ep")}},
        "Invalid hostname specified");
}

}  // namespace
}  // namespace machine::fault
