#include "provisioner/ops_common.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "drivers/base.h"
#include "drivers/registry.h"
#include "machine/error.h"
#include "machine/fs.h"
#include "provisioner/ssh/known_hosts.h"

namespace machine::ops::detail {

certs::AuthPaths auth_paths(const Env& env) {
  auto p = certs::AuthPaths::in_store(env.store.root());
  if (!env.tls.ca_cert.empty()) p.ca_cert = env.tls.ca_cert;
  if (!env.tls.ca_key.empty()) p.ca_key = env.tls.ca_key;
  if (!env.tls.client_cert.empty()) p.client_cert = env.tls.client_cert;
  if (!env.tls.client_key.empty()) p.client_key = env.tls.client_key;
  return p;
}

certs::Options cert_options(const Env& env) {
  certs::Options o;
  o.notify = [&env](const std::string& line) { env.progress.step(line); };
  o.replace_ca = env.tls.ca_cert.empty() && env.tls.ca_key.empty();
  o.replace_client = o.replace_ca && env.tls.client_cert.empty() && env.tls.client_key.empty();
  return o;
}

drivers::Context driver_context(Env& env, const std::string& name) {
  return drivers::Context{name, env.store.machine_dir(name), env.store.root(), env.runner, env.progress};
}

Loaded load(Env& env, const std::string& name) {
  Loaded m{env.store.load(name), nullptr};
  m.driver = drivers::make_driver(m.host.driver_name, driver_context(env, name));
  with_context(fmt::format("cannot load driver state of '{}'", name), [&] {
    try {
      m.driver->from_json(m.host.driver);
    } catch (const nlohmann::json::exception& e) {
      fail(Code::Internal, e.what());
    }
  });
  return m;
}

void mark_creating(Env& env, const std::string& name) {
  fs::write_file_atomic(env.store.machine_file(name, machine_files::kCreating),
                        std::to_string(::getpid()) + "\n", 0600);
}

void clear_creating(Env& env, const std::string& name) {
  std::error_code ec;
  std::filesystem::remove(env.store.machine_file(name, machine_files::kCreating), ec);
}

std::string interrupted_create(Env& env, const std::string& name) {
  std::ifstream in(env.store.machine_file(name, machine_files::kCreating));
  if (!in) return "";
  long pid = 0;
  in >> pid;
  // A live creator is a create in progress (its lock is held): not an error yet.
  std::error_code ec;
  if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0 &&
      std::filesystem::exists(fmt::format("/proc/{}/exe", pid), ec)) {
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z') return "";
  }
  return fmt::format("create of \"{}\" was interrupted before it finished; remove it with `rm -f {}`", name,
                     name);
}

void save(Env& env, Loaded& m) {
  m.host.driver = m.driver->to_json();
  // HostOptions.Memory/Disk mirror the driver's sizes (MB), for tools that read them there.
  drivers::read_field(m.host.driver, "Memory", m.host.options.memory);
  drivers::read_field(m.host.driver, "DiskSize", m.host.options.disk);
  env.store.save(m.host);
}

ssh::SshEndpoint ssh_endpoint(Env& env, const Loaded& m) {
  auto addr = m.driver->ssh_address();
  std::string key;
  drivers::read_field(m.host.driver, "SSHKeyPath", key);
  auto dir = env.store.machine_dir(m.host.name);
  return ssh::SshEndpoint{
      addr.host, addr.port, addr.user,
      key.empty() ? dir / std::string(machine_files::kSshKey) : std::filesystem::path(key),
      dir / std::string(machine_files::kKnownHosts)};
}

bool pin_host_keys(Env& env, const Loaded& m) {
  auto ep = ssh_endpoint(env, m);
  if (!ssh::pinned_host_keys(ep.known_hosts, ep.host, ep.port).empty()) return true;
  std::vector<ssh::HostKey> keys;
  for (const auto& line : m.driver->host_keys()) {
    auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    keys.push_back(ssh::parse_host_key(line.substr(0, sp), line.substr(sp + 1)));
  }
  if (keys.empty()) return false;
  ssh::write_known_hosts(ep.known_hosts, ep.host, ep.port, keys);
  return true;
}

std::unique_ptr<ssh::SshSession> connect_ssh(Env& env, const Loaded& m, std::chrono::milliseconds timeout) {
  if (!m.driver->features().ssh)
    fail(Code::FailedPrecondition,
         fmt::format("machine '{}' (driver {}) has no SSH access", m.host.name, m.driver->name()));
  auto ep = ssh_endpoint(env, m);
  ssh::SshOptions opts;
  opts.machine_name = m.host.name;
  bool pinned = pin_host_keys(env, m);
  // Only hosts that cannot tell us their keys out of band (generic) are trusted on first use;
  // a seeded guest that printed none is refused rather than silently unpinned.
  if (!pinned && m.driver->features().seed)
    fail(Code::FailedPrecondition,
         fmt::format(
             "machine '{}' printed no SSH host key on its console, so its identity cannot be verified; "
             "see {} and recreate the machine",
             m.host.name, (env.store.machine_dir(m.host.name) / "serial.log").string()));
  opts.host_key_policy = pinned ? ssh::HostKeyPolicy::Pinned : ssh::HostKeyPolicy::TrustOnFirstUse;
  return ssh::wait_for_ssh(ep, timeout, opts);
}

engine::TlsFiles client_tls(Env& env, const std::string& name) {
  return engine::TlsFiles::in_dir(env.store.machine_dir(name));
}

std::vector<std::string> server_cert_hosts(const Loaded& m, const std::vector<std::string>& addresses) {
  std::vector<std::string> hosts = addresses;
  hosts.push_back(m.host.name);
  for (const auto& san : m.host.options.auth.server_cert_sans) hosts.push_back(san);
  return hosts;
}

certs::ServerCertSpec server_cert_spec(Env& env, const Loaded& m, const std::vector<std::string>& hosts) {
  return {m.host.name, hosts, env.store.machine_file(m.host.name, machine_files::kServerCert),
          env.store.machine_file(m.host.name, machine_files::kServerKey)};
}

void issue_server_cert(Env& env, const Loaded& m, const std::vector<std::string>& hosts) {
  auto opts = cert_options(env);
  opts.notify = nullptr;
  certs::issue_server_cert(auth_paths(env), server_cert_spec(env, m, hosts), opts);
}

provision::EngineRequest engine_request(Env& env, const Loaded& m) {
  provision::EngineRequest r;
  r.engine = m.host.options.engine;
  r.ca_pem = fs::read_file(auth_paths(env).ca_cert);
  r.server_pem = fs::read_file(env.store.machine_file(m.host.name, machine_files::kServerCert));
  r.server_key_pem = fs::read_file(env.store.machine_file(m.host.name, machine_files::kServerKey));
  return r;
}

namespace {
std::string context_description(const std::string& name) { return "machine " + name; }
}  // namespace

void create_docker_context(Env& env, const Loaded& m) {
  if (!env.runner.find_program("docker")) return;
  auto dir = env.store.machine_dir(m.host.name);
  const std::string context = docker_context_name(m.host.name);
  remove_docker_context(env, m.host.name);
  Command cmd{"docker",
              {"context", "create", context, "--description", context_description(m.host.name), "--docker",
               fmt::format("host={},ca={},cert={},key={}", m.driver->engine_url(), (dir / "ca.pem").string(),
                           (dir / "cert.pem").string(), (dir / "key.pem").string())}};
  cmd.timeout = std::chrono::seconds(20);
  auto r = env.runner.run(cmd);
  if (!r.ok()) {
    env.progress.step(fmt::format("Could not register docker context \"{}\": {}", context, r.err));
    return;
  }
  env.progress.step(
      fmt::format("Registered docker context \"{}\": docker --context {} ...", context, context));
}

namespace {
// Whether `name`'s docker context exists and is one this tool registered (its description
// names the machine): a user's own context of the same name is never touched.
bool has_our_docker_context(Env& env, const std::string& name) {
  if (!env.runner.find_program("docker")) return false;
  const std::string context = docker_context_name(name);
  Command inspect{"docker", {"context", "inspect", context, "--format", "{{json .Metadata}}"}};
  inspect.timeout = std::chrono::seconds(20);
  auto r = env.runner.run(inspect);
  return r.ok() && r.out.find("\"Description\":\"" + context_description(name) + "\"") != std::string::npos;
}
}  // namespace

void remove_docker_context(Env& env, const std::string& name) {
  if (!has_our_docker_context(env, name)) return;
  Command rm{"docker", {"context", "rm", "-f", docker_context_name(name)}};
  rm.timeout = std::chrono::seconds(20);
  env.runner.run(rm);
}

void sync_docker_context(Env& env, const Loaded& m) {
  if (has_our_docker_context(env, m.host.name)) create_docker_context(env, m);
}

}  // namespace machine::ops::detail

namespace machine::ops {

std::string docker_context_name(const std::string& machine_name) {
  // docker's own check (cli/context/store: restrictedNamePattern) plus its reserved name.
  static const std::regex allowed("^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$");
  if (machine_name != "default" && std::regex_match(machine_name, allowed)) return machine_name;
  return "machine-" + machine_name;
}

}  // namespace machine::ops
