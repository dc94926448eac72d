#include "provisioner/ssh/scp_external.h"

#include "provisioner/ssh/ssh_command.h"

namespace machine::ssh {
namespace {

std::string scp_operand(const ScpLocation& loc, const SshEndpoint& ep) {
  if (!loc.is_remote()) {
    // scp reads "x:y" as remote when the ':' comes before any '/'; an absolute path never is.
    auto colon = loc.path.find(':');
    bool looks_remote =
        colon != std::string::npos && loc.path.substr(0, colon).find('/') == std::string::npos;
    return looks_remote ? "./" + loc.path : loc.path;
  }
  std::string host = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
  return (loc.user.empty() ? ep.user : loc.user) + "@" + host + ":" + loc.path;
}

}  // namespace

std::optional<std::string> external_scp_machine(const ScpRequest& request) {
  if (request.delta) return std::nullopt;
  std::optional<ScpLocation> remote;
  std::vector<ScpLocation> all = request.sources;
  all.push_back(request.destination);
  for (const auto& loc : all) {
    if (!loc.is_remote()) continue;
    if (remote && (remote->machine != loc.machine || remote->user != loc.user)) return std::nullopt;
    remote = loc;
  }
  if (!remote) return std::nullopt;
  return remote->machine;
}

std::vector<std::string> external_scp_argv(const std::filesystem::path& scp_program,
                                           const ScpRequest& request, const SshEndpoint& endpoint) {
  std::vector<std::string> argv{scp_program.string()};
  auto options = external_ssh_options(endpoint);
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"-P", std::to_string(endpoint.port), "-3"});
  if (request.recursive) argv.push_back("-r");
  if (request.quiet) argv.push_back("-q");
  argv.push_back("--");
  for (const auto& src : request.sources) argv.push_back(scp_operand(src, endpoint));
  argv.push_back(scp_operand(request.destination, endpoint));
  return argv;
}

}  // namespace machine::ssh
