#pragma once
// Harness for end-to-end tests: a private store whose image cache is the run's shared,
// prebuilt guest image (MACHINE_TEST_IMAGE_CACHE), and helpers to run the machine binary
// and the docker CLI.
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace machine::e2e {

struct Result {
  int status = -1;
  std::string out;  // stdout and stderr interleaved
};

// Runs a shell command line with extra environment, capturing output. A step still running
// after MACHINE_E2E_STEP_TIMEOUT seconds (480) is killed with its session and fails with
// status -2 and a list of its processes and what they wait in.
Result sh(const std::string& command_line, const std::vector<std::string>& env = {});

// A store for one test suite; removed (machines included) on destruction.
class Store {
 public:
  Store();
  ~Store();
  const std::filesystem::path& path() const { return dir_.path(); }
  // `machine -s <store> <args>` (args are shell words, already quoted as needed).
  Result machine(const std::string& args) const;
  // A shell snippet that runs with DOCKER_* pointing at `name` (eval of `machine env`).
  Result with_env(const std::string& name, const std::string& script) const;
  std::string binary() const;
  std::string docker_config() const { return (dir_.path() / "docker-config").string(); }
  // HOME for the machine binary: create's default mount (the user's home) is then this
  // empty directory the test made, never the real home.
  std::string home() const { return (dir_.path() / "home").string(); }

 private:
  machine::testing::TempDir dir_;
};

// Whether a qemu process whose command line mentions `needle` is alive.
bool qemu_running_with(const std::string& needle);

// A busybox rootfs tarball from Debian's busybox-static.
std::filesystem::path busybox_tar(const std::filesystem::path& dir);

// sha256 of a local file.
std::string sha256_file(const std::filesystem::path& p);

}  // namespace machine::e2e
