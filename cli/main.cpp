// The `machine` executable: everything lives in machine_cli (cli/app.h).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/app.h"
#include "machine/cancel.h"
#ifdef MACHINE_FAULT_HOOKS
#include "machine/fault_hooks.h"
#endif

int main(int argc, char** argv) {
  // Ctrl-C makes long operations roll back (create removes the half-made machine).
  machine::install_cancel_handlers();
#ifdef MACHINE_FAULT_HOOKS
  machine::install_env_fault_hook();  // tests/fault only: cli/CMakeLists.txt builds two binaries
#endif
  std::vector<std::string> args(argv, argv + argc);
  machine::cli::Io io{std::cout, std::cerr, std::cin, &machine::cli::system_getenv,
                      [] { return std::make_unique<machine::ConsoleProgress>(stdout, stderr); }};
  std::error_code ec;
  io.self_program = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  int status = machine::cli::run(args, io);
  std::cout.flush();
  std::cerr.flush();
  if (machine::cli::background_work_pending()) {
    // A machine query that timed out still runs on a detached thread; leave without
    // destroying statics it may be using.
    std::fflush(nullptr);
    std::_Exit(status);
  }
  return status;
}
