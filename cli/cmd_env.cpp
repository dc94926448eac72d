// `env` and `config`: how a docker client reaches a machine, after checking its TLS.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/shell_env.h"
#include "drivers/base.h"
#include "machine/error.h"

namespace machine::cli {
namespace {

// The swarm master's URL: the engine's host with the swarm port (docker-machine parseSwarm).
std::string swarm_url(const Host& host, const std::string& engine_url) {
  if (!host.options.swarm.master)
    fail(Code::InvalidArgument,
         fmt::format("\"{}\" is not a swarm master. The --swarm flag is intended for use with swarm masters",
                     host.name));
  const std::string& sh = host.options.swarm.host;
  std::string port = sh.substr(sh.find_last_of(':') + 1);
  return drivers::tcp_url(drivers::url_host(engine_url), std::stoi(port));
}

struct Connection {
  Host host;
  std::string url;
  std::string cert_path;
};

Connection connect(Invocation& inv, const std::string& name, bool swarm, Action action) {
  Connection c{inv.store->load(name), "", ""};
  c.cert_path = ops::validated_cert_path(*inv.env, name, action);
  c.url = ops::url(*inv.env, name);
  if (swarm) c.url = swarm_url(c.host, c.url);
  return c;
}

// Go's %q for a path: double quotes, backslash and quote escaped.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

}  // namespace

int cmd_env(Invocation& inv) {
  auto& f = inv.cmd.flags;
  ShellEnv e;
  e.shell = f.string("shell");
  if (e.shell.empty()) {
    auto sh = inv.getenv("SHELL");
    e.shell = detect_shell(sh ? sh->c_str() : nullptr);
  }
  e.argv = inv.argv;
  auto lower = inv.getenv("no_proxy"), upper = inv.getenv("NO_PROXY");
  if (f.boolean("unset")) {
    if (!inv.cmd.args.empty())
      fail(Code::InvalidArgument, "Error: Expected no machine name when the -u flag is present");
    e.unset = true;
    if (f.boolean("no-proxy")) e.no_proxy = {lower && !lower->empty() ? "no_proxy" : "NO_PROXY", ""};
    inv.out() << render_shell_env(e) << std::flush;
    return kExitOk;
  }
  if (inv.cmd.args.size() > 1) fail(Code::InvalidArgument, "Error: Expected one machine name as an argument");
  std::string name = target_host(inv);
  Connection c = connect(inv, name, f.boolean("swarm"), Action::Env);
  e.docker_host = c.url;
  e.cert_path = c.cert_path;
  e.machine_name = c.host.name;
  if (f.boolean("no-proxy")) {
    std::string ip = with_context("Error getting host IP", [&] { return ops::ip(*inv.env, name); });
    e.no_proxy = no_proxy_with(ip, lower ? lower->c_str() : nullptr, upper ? upper->c_str() : nullptr);
  }
  inv.out() << render_shell_env(e) << std::flush;
  return kExitOk;
}

int cmd_config(Invocation& inv) {
  if (inv.cmd.args.size() > 1) fail(Code::InvalidArgument, "Error: Expected one machine name as an argument");
  std::string name = target_host(inv);
  Connection c = connect(inv, name, inv.cmd.flags.boolean("swarm"), Action::Config);
  auto dir = inv.store->machines_dir() / name;
  inv.out() << fmt::format("--tlsverify\n--tlscacert={}\n--tlscert={}\n--tlskey={}\n-H={}\n",
                           quoted((dir / "ca.pem").string()), quoted((dir / "cert.pem").string()),
                           quoted((dir / "key.pem").string()), c.url);
  return kExitOk;
}

}  // namespace machine::cli
