#pragma once
// The `machine` command line: parses argv the way docker-machine v0.16 does, dispatches to
// machine::ops, prints docker-machine's output and maps errors to its exit statuses
// (0 ok, 1 error, 3 pre-create check failed; see cli/README.md). The only layer that
// catches machine::Error.
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "machine/progress.h"

namespace machine::cli {

struct Io {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  Getenv getenv;
  // Where ops report progress; empty: steps go to `out`.
  std::function<std::unique_ptr<Progress>()> make_progress;
  // This executable, which runs machines' port forwarders; empty: none are started.
  std::string self_program;
};

// The process environment, for Io::getenv.
std::optional<std::string> system_getenv(const std::string& name);

// Runs one invocation (argv[0] is the program as the user typed it) and returns the exit
// status.
int run(const std::vector<std::string>& argv, Io& io);

// True while machine queries that `ls`/`active` gave up on (timeout) are still running on
// detached threads; main must then leave with std::_Exit after flushing, so no static
// destructor runs under them.
bool background_work_pending();

}  // namespace machine::cli
