#pragma once
// Argument parsing for `machine scp [-r] [-q] [-d] SRC... DST`. Pure, no I/O.
#include <string>
#include <vector>

namespace machine::ssh {

// One SRC or DST: a local path or `[user@]machine:path`.
struct ScpLocation {
  std::string machine;  // empty for a local path
  std::string user;     // from user@machine; empty = the machine's SSH user
  std::string path;     // as written after the colon ("" = the remote home directory)

  bool is_remote() const { return !machine.empty(); }
  bool operator==(const ScpLocation&) const = default;
};

struct ScpRequest {
  bool recursive = false;  // -r, --recursive: copy directories
  bool quiet = false;      // -q, --quiet: no per-file progress lines
  bool delta = false;      // -d, --delta: skip files whose size and mtime already match (see scp.h)
  std::vector<ScpLocation> sources;
  ScpLocation destination;
};

// Like scp: `name:path` is remote when the part before the first ':' is non-empty and has no '/'
// (so `./a:b` and `/x:y` stay local); `user@name:path` sets the user.
ScpLocation parse_scp_location(const std::string& arg);

// Parses the arguments after `scp`. Options come before the paths (as with docker-machine's
// CLI), may be combined (-rq), and `--` ends them. Throws Error(InvalidArgument) for an unknown
// option or fewer than two paths.
ScpRequest parse_scp_args(const std::vector<std::string>& args);

}  // namespace machine::ssh
