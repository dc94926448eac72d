#pragma once
// The seam for every external program (qemu-img, qemu-system, mmdebstrap, VBoxManage,
// ssh-keygen, xorriso ...). Injected through constructors; unit tests use a Fake.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace machine {

struct Command {
  std::string program;                     // name looked up in PATH, or a path
  std::vector<std::string> args;           // argv[1..]
  std::map<std::string, std::string> env;  // added to / overriding the inherited environment
  std::optional<std::string> stdin_data;   // written to stdin, then closed; else stdin is /dev/null
  std::chrono::milliseconds timeout{0};    // 0 = no limit; on expiry the process is killed
  std::filesystem::path working_dir;       // empty = inherit

  // "program arg1 'arg with space'" for messages.
  std::string to_string() const;
};

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
  bool timed_out = false;
  bool ok() const { return exit_code == 0 && !timed_out; }
};

class ProcessRunner {
 public:
  ProcessRunner() = default;
  ProcessRunner(const ProcessRunner&) = delete;
  ProcessRunner& operator=(const ProcessRunner&) = delete;
  virtual ~ProcessRunner() = default;

  // Runs to completion (or timeout), capturing stdout and stderr. Throws Error(NotFound)
  // only when the program cannot be found; a non-zero exit is reported in the result.
  virtual ProcessResult run(const Command& cmd) = 0;

  // Starts a process that outlives us (own session, stdio to log_path or /dev/null).
  // Returns its pid once it has exec'd (its /proc cmdline is its own). Throws
  // Error(NotFound) if the program cannot be found, Error(Internal) if it cannot start.
  virtual int spawn_detached(const Command& cmd, const std::filesystem::path& log_path) = 0;

  // Full path of a program found in PATH (or the path itself if it is executable).
  virtual std::optional<std::filesystem::path> find_program(const std::string& name) = 0;
};

// The real runner: one fork/exec (process_runner.cpp) for captured and detached children and
// for run_attached (machine/run_attached.h).
std::unique_ptr<ProcessRunner> make_system_process_runner();

// Runs cmd and throws Error(Internal / Unavailable on timeout) when it fails; the message
// carries `what`, the full command, the exit status and trimmed stderr:
//   "qemu-img failed: `qemu-img create ...` exited with status 1: <stderr>"
ProcessResult run_checked(ProcessRunner& runner, const Command& cmd, const std::string& what);

// Throws Error(FailedPrecondition) naming the Debian package when `program` is missing.
std::filesystem::path require_program(ProcessRunner& runner, const std::string& program,
                                      const std::string& debian_package);

}  // namespace machine
