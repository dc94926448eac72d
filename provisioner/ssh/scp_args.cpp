#include "provisioner/ssh/scp_args.h"

#include <fmt/format.h>

#include "machine/error.h"

namespace machine::ssh {
namespace {

constexpr const char* kUsage =
    "usage: machine scp [-r] [-q] [-d] [[user@]machine:]SRC... [[user@]machine:]DST";

void set_flag(ScpRequest& r, char flag, const std::string& arg) {
  switch (flag) {
    case 'r':
      r.recursive = true;
      break;
    case 'q':
      r.quiet = true;
      break;
    case 'd':
      r.delta = true;
      break;
    default:
      fail(Code::InvalidArgument, fmt::format("unknown option '{}'; {}", arg, kUsage));
  }
}

}  // namespace

ScpLocation parse_scp_location(const std::string& arg) {
  ScpLocation loc;
  size_t colon = arg.find(':');
  if (colon == std::string::npos || colon == 0 || arg.substr(0, colon).find('/') != std::string::npos) {
    loc.path = arg;
    return loc;
  }
  std::string host = arg.substr(0, colon);
  size_t at = host.rfind('@');
  if (at != std::string::npos) {
    loc.user = host.substr(0, at);
    host = host.substr(at + 1);
    if (loc.user.empty() || host.empty())
      fail(Code::InvalidArgument, fmt::format("invalid location '{}': expected [user@]machine:path", arg));
  }
  loc.path = arg.substr(colon + 1);
  if (host == "localhost") {  // docker-machine: "localhost:path" is a path on this host
    loc.user.clear();
    return loc;
  }
  loc.machine = host;
  return loc;
}

ScpRequest parse_scp_args(const std::vector<std::string>& args) {
  ScpRequest r;
  std::vector<std::string> paths;
  bool options_done = false;
  for (const auto& arg : args) {
    if (!options_done && paths.empty() && arg == "--") {
      options_done = true;
    } else if (!options_done && paths.empty() && arg.starts_with("--")) {
      if (arg == "--recursive")
        r.recursive = true;
      else if (arg == "--quiet")
        r.quiet = true;
      else if (arg == "--delta")
        r.delta = true;
      else
        fail(Code::InvalidArgument, fmt::format("unknown option '{}'; {}", arg, kUsage));
    } else if (!options_done && paths.empty() && arg.size() > 1 && arg[0] == '-') {
      for (size_t i = 1; i < arg.size(); ++i) set_flag(r, arg[i], arg);
    } else {
      paths.push_back(arg);
    }
  }
  if (paths.size() < 2)
    fail(Code::InvalidArgument, fmt::format("expected a source and a destination; {}", kUsage));
  for (size_t i = 0; i + 1 < paths.size(); ++i) r.sources.push_back(parse_scp_location(paths[i]));
  r.destination = parse_scp_location(paths.back());
  return r;
}

}  // namespace machine::ssh
