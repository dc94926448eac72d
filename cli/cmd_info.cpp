// Read-only commands: inspect, status, url, ip, version.
#include <fmt/format.h>

#include <chrono>

#include "cli/command.h"
#include "cli/template.h"
#include "machine/error.h"

namespace machine::cli {
namespace {

std::string one_target(Invocation& inv) {
  if (inv.cmd.args.size() > 1) fail(Code::InvalidArgument, "Error: Expected one machine name as an argument");
  return target_host(inv);
}

}  // namespace

int cmd_inspect(Invocation& inv) {
  std::string name = one_target(inv);
  std::string format = inv.cmd.flags.string("format");
  std::optional<Template> tmpl;
  if (!format.empty() && format != "json") {
    try {
      tmpl = Template::parse(format);
    } catch (const Error& e) {
      fail(Code::InvalidArgument, fmt::format("template parsing error: {}", e.what()));
    }
  }
  Host host = inv.store->load(name);
  nlohmann::ordered_json j = to_json(host);
  // Ours, beside docker-machine's fields: whether published ports reach this host.
  if (auto fwd = ops::forwarder_info(*inv.env, name); fwd.supported)
    j["PortForwarder"] = {{"Running", fwd.running},     {"Pid", fwd.pid},         {"Engine", fwd.engine},
                          {"Forwarded", fwd.forwarded}, {"Skipped", fwd.skipped}, {"Log", fwd.log.string()}};
  if (format == "json")
    inv.out() << j.dump() << "\n";  // one line, as `docker inspect --format json`
  else if (tmpl)
    inv.out() << tmpl->execute(j) << "\n";
  else
    inv.out() << j.dump(4) << "\n";
  return kExitOk;
}

int cmd_status(Invocation& inv) {
  std::string name = one_target(inv);
  inv.store->load(name);
  auto st = with_context(fmt::format("error getting state for host {}", name),
                         [&] { return ops::state(*inv.env, name); });
  inv.out() << state_name(st.state) << "\n";
  return kExitOk;
}

int cmd_url(Invocation& inv) {
  std::string name = one_target(inv);
  inv.store->load(name);
  inv.out() << ops::url(*inv.env, name) << "\n";
  return kExitOk;
}

int cmd_ip(Invocation& inv) {
  auto names = target_hosts(inv);
  std::string errors;
  for (const auto& n : names) inv.store->load(n);
  for (const auto& n : names) {
    try {
      inv.out() << ops::ip(*inv.env, n) << "\n";
    } catch (const Error& e) {
      errors += (errors.empty() ? "" : "\n") + std::string(e.what());
    }
  }
  if (!errors.empty()) fail(Code::Internal, errors);
  return kExitOk;
}

int cmd_version(Invocation& inv) {
  const auto& args = inv.cmd.args;
  if (args.empty()) {
    inv.out() << version_line(inv.program);
    return kExitOk;
  }
  if (args.size() != 1) fail(Code::InvalidArgument, "Error: Expected one machine name as an argument");
  require_valid_machine_name(args[0]);
  inv.store->load(args[0]);
  ops::require_state(*inv.env, args[0], Action::Version);
  inv.out() << ops::engine_version(*inv.env, args[0], std::chrono::seconds(10)) << "\n";
  return kExitOk;
}

}  // namespace machine::cli
