#pragma once
// The attached mode of the one process spawner (process_runner.cpp): a child on our own
// terminal. Not part of ProcessRunner: nothing captures or fakes an interactive session
// (`machine ssh` through the system ssh).
#include "machine/process_runner.h"

namespace machine {

// Runs cmd in the foreground on in/out/err (normally our own terminal) and returns its exit
// status (128+N when killed by signal N). SIGINT/SIGQUIT are ignored here while it runs, as
// system(3) does, so Ctrl-C reaches only the child. Throws Error(NotFound) if the program is
// missing, Error(Internal) if it cannot start.
int run_attached(const Command& cmd, int in_fd = 0, int out_fd = 1, int err_fd = 2);

}  // namespace machine
