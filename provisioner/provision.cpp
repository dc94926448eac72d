#include "provisioner/provision.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>

#include "machine/error.h"
#include "provisioner/generic_os.h"

namespace machine::provision {
namespace {

// Scripts see the same PATH whether run as root, through sudo or by a login shell.
constexpr std::string_view kPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n";

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The end of a command's output, enough to see why it failed.
std::string tail(std::string_view s, std::size_t max = 1500) {
  s = trim(s);
  if (s.size() > max) s = s.substr(s.size() - max);
  return std::string(s);
}

std::string with_newline(std::string s) {
  if (!s.empty() && s.back() != '\n') s += '\n';
  return s;
}

[[noreturn]] void command_failed(std::string_view what, const ssh::ExecResult& r, bool root) {
  auto detail = tail(r.err.empty() ? r.out : r.err);
  if (!root && detail.find("sudo:") != std::string::npos)
    fail(Code::FailedPrecondition, fmt::format("{}: the SSH user needs passwordless sudo: {}", what, detail));
  fail(Code::Internal, fmt::format("{} failed (exit status {}): {}", what, r.exit_code, detail));
}

// Runs shell scripts as root on the machine: directly as root, else through `sudo -n`.
class Remote {
 public:
  Remote(ssh::SshSession& session, bool root) : session_(session), root_(root) {}

  // `sh -c SCRIPT machine ARGS...` ($0 is "machine", ARGS are $1...).
  std::string command(std::string_view script, const std::vector<std::string>& args = {}) const {
    std::string c = root_ ? "sh -c " : "sudo -n sh -c ";
    c += ssh::shell_quote(std::string(kPath) + std::string(script));
    if (!args.empty()) {
      c += " machine";
      for (const auto& a : args) c += " " + ssh::shell_quote(a);
    }
    return c;
  }

  // Whether script exits 0.
  bool succeeds(std::string_view script) { return session_.run(command(script)).ok(); }

  // Runs script; throws with `what` and the output's end unless it exits 0.
  std::string run(std::string_view what, std::string_view script, const std::vector<std::string>& args = {},
                  std::optional<std::string> stdin_data = std::nullopt) {
    auto r = session_.run(command(script, args), std::move(stdin_data));
    if (!r.ok()) command_failed(what, r, root_);
    return r.out;
  }

 private:
  ssh::SshSession& session_;
  bool root_ = false;
};

struct RemoteFile {
  unsigned mode = 0;
  std::string content;
};

// What the machine looks like now, gathered by one command.
struct Facts {
  bool root = false;  // the SSH user is root (else sudo is used)
  std::string hostname;
  std::string dockerd;                      // path, empty when not installed
  bool running = false;                     // a dockerd process exists
  std::string unit_path;                    // systemd: docker.service's unit file
  std::string os_release;                   // /etc/os-release, else /usr/lib/os-release
  std::map<std::string, RemoteFile> files;  // the existing ones among those asked for, and the unit

  std::string file(const std::string& path) const {
    auto it = files.find(path);
    return it == files.end() ? std::string() : it->second.content;
  }
  std::string unit_text() const { return file(unit_path); }
};

// The probe is one SSH command, since every exec costs a login shell and, under TCG, every
// process start is slow: the login user's shell learns the uid and runs kProbeScript as root
// (sudo -n unless root). kProbeScript uses shell builtins where it can (dockerd's own pidfile
// tells whether it runs) and reads all files with one stat and one cat. Output: KEY=value lines, "files=N", N
// lines "MODE SIZE PATH", then the N files' bytes back to back.
constexpr std::string_view kProbeLauncher = R"sh(# machine-probe
u=$(id -u)
echo "uid=$u"
probe=$1
shift
if [ "$u" = 0 ]; then exec sh -c "$probe" machine "$@"; fi
exec sudo -n sh -c "$probe" machine "$@"
)sh";

constexpr std::string_view kProbeScript =
    R"sh(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
read -r h < /proc/sys/kernel/hostname
echo "hostname=$h"
printf 'dockerd='; command -v dockerd || echo
running=no
pid=
read -r pid 2>/dev/null < /var/run/docker.pid
if [ -n "$pid" ] && read -r n 2>/dev/null < "/proc/$pid/comm" && [ "$n" = dockerd ]; then running=yes; fi
echo "running=$running"
unit=
command -v systemctl >/dev/null 2>&1 && unit=$(systemctl show -p FragmentPath --value docker.service 2>/dev/null)
echo "unit=$unit"
osr=/etc/os-release
[ -f $osr ] || osr=/usr/lib/os-release
echo "osrelease=$osr"
existing=
for f in $osr "$@" $unit; do [ -f "$f" ] && existing="$existing $f"; done
set -- $existing
echo "files=$#"
[ $# -eq 0 ] || { stat -L -c '%a %s %n' "$@" && cat "$@"; }
)sh";

Facts parse_probe(std::string_view out) {
  Facts facts;
  auto bad = [](std::string_view why) {
    fail(Code::Internal, fmt::format("cannot read the machine's state: {}", why));
  };
  auto next_line = [&]() -> std::string_view {
    auto nl = out.find('\n');
    if (nl == std::string_view::npos) bad("truncated output");
    auto line = out.substr(0, nl);
    out.remove_prefix(nl + 1);
    return line;
  };
  std::string osr_path;
  long count = -1;
  while (count < 0) {
    auto line = next_line();
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = line.substr(0, eq);
    auto value = std::string(trim(line.substr(eq + 1)));
    if (key == "uid")
      facts.root = value == "0";
    else if (key == "hostname")
      facts.hostname = value;
    else if (key == "dockerd")
      facts.dockerd = value;
    else if (key == "running")
      facts.running = value == "yes";
    else if (key == "unit")
      facts.unit_path = value;
    else if (key == "osrelease")
      osr_path = value;
    else if (key == "files")
      count = std::atol(value.c_str());
  }
  std::vector<std::pair<std::string, RemoteFile>> listed;
  std::vector<std::size_t> sizes;
  for (long i = 0; i < count; ++i) {
    auto line = next_line();
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) bad(line);
    RemoteFile f;
    try {
      f.mode = static_cast<unsigned>(std::stoul(std::string(line.substr(0, sp1)), nullptr, 8));
      sizes.push_back(std::stoul(std::string(line.substr(sp1 + 1, sp2 - sp1 - 1))));
    } catch (const std::exception&) {
      bad(line);
    }
    listed.emplace_back(std::string(line.substr(sp2 + 1)), std::move(f));
  }
  for (std::size_t i = 0; i < listed.size(); ++i) {
    if (sizes[i] > out.size()) bad("truncated file content");
    listed[i].second.content = std::string(out.substr(0, sizes[i]));
    out.remove_prefix(sizes[i]);
    facts.files[listed[i].first] = std::move(listed[i].second);
  }
  facts.os_release = facts.file(osr_path);
  return facts;
}

// Gathers Facts about the machine and the files at `paths` in one command.
Facts probe(ssh::SshSession& session, const std::vector<std::string>& paths) {
  std::string c = "sh -c " + ssh::shell_quote(std::string(kPath) + std::string(kProbeLauncher)) +
                  " machine " + ssh::shell_quote(kProbeScript);
  for (const auto& p : paths) c += " " + ssh::shell_quote(p);
  auto r = session.run(c);
  if (!r.ok()) command_failed("reading the machine's state", r, r.out.rfind("uid=0\n", 0) == 0);
  return parse_probe(r.out);
}

OsInfo os_of(const Facts& facts) {
  if (trim(facts.os_release).empty())
    fail(Code::Unavailable, "cannot detect the operating system: no /etc/os-release");
  return parse_os_release(facts.os_release);
}

// Every file provisioning may manage, whatever the OS: one probe serves all.
std::vector<std::string> managed_paths(const EngineRequest& req) {
  return {req.remote.ca_cert,
          req.remote.server_cert,
          req.remote.server_key,
          std::string(kDaemonJsonPath),
          std::string(kMachineOsDefaultsPath),
          std::string(kOpenRcConfPath),
          std::string(kSystemdDropinPath)};
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// Writes the files that differ from the machine's copies (content or mode); returns whether any did.
// The new file is complete with its final mode before it replaces the old one (umask 077
// keeps a key unreadable while it is written).
bool write_changed(Remote& remote, const Facts& facts, const std::vector<drivers::SeedFile>& files) {
  bool changed = false;
  for (const auto& f : files) {
    auto it = facts.files.find(f.path);
    if (it != facts.files.end() && it->second.content == f.content && it->second.mode == (f.mode & 07777))
      continue;
    auto path = ssh::shell_quote(f.path);
    auto tmp = ssh::shell_quote(f.path + ".machine-new");
    auto script =
        fmt::format("(umask 022 && mkdir -p {}) && umask 077 && cat > {} && chmod {:04o} {} && mv -f {} {}\n",
                    ssh::shell_quote(parent_dir(f.path)), tmp, f.mode & 07777, tmp, tmp, path);
    remote.run("writing " + f.path, script, {}, f.content);
    changed = true;
  }
  return changed;
}

// Checked only when needed: flags or environment dockerd gets from /etc/default/docker.
void require_defaults_support(const OsInfo& os, const EngineRequest& req, Remote& remote) {
  if (os.init() != InitSystem::MachineDocker) return;
  auto config = engine_config(req.engine, req.remote, req.port);
  if (config.flags.empty() && config.env.empty()) return;
  if (!remote.succeeds("grep -qs /etc/default/docker /usr/sbin/machine-docker\n"))
    fail(
        Code::FailedPrecondition,
        "this machine OS image cannot pass --engine-opt flags or --engine-env to dockerd (its machine-docker "
        "does not read /etc/default/docker); use a newer image or settings daemon.json can hold");
}

}  // namespace

std::vector<drivers::SeedFile> engine_files(InitSystem init, const EngineRequest& req,
                                            std::string_view unit_text) {
  auto config = engine_config(req.engine, req.remote, req.port);
  std::vector<drivers::SeedFile> files{
      {req.remote.ca_cert, with_newline(req.ca_pem), 0644},
      {req.remote.server_cert, with_newline(req.server_pem), 0644},
      {req.remote.server_key, with_newline(req.server_key_pem), 0600},
      {std::string(kDaemonJsonPath), daemon_json(config), 0644},
  };
  switch (init) {
    case InitSystem::MachineDocker:
      files.push_back({std::string(kMachineOsDefaultsPath), machineos_defaults(config), 0644});
      break;
    case InitSystem::OpenRc:
      files.push_back({std::string(kOpenRcConfPath), openrc_confd(config), 0644});
      break;
    case InitSystem::Systemd:
      files.push_back({std::string(kSystemdDropinPath), systemd_dropin(config, unit_text), 0644});
      break;
  }
  return files;
}

std::vector<drivers::SeedFile> engine_seed_files(const EngineRequest& req) {
  return engine_files(InitSystem::MachineDocker, req);
}

OsInfo detect_os(ssh::SshSession& session) {
  auto r = session.run("cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release");
  if (!r.ok() || trim(r.out).empty())
    fail(Code::Unavailable,
         fmt::format("cannot detect the operating system: no /etc/os-release: {}", tail(r.err)));
  return parse_os_release(r.out);
}

void provision(ssh::SshSession& session, const EngineRequest& req, const std::string& hostname,
               Progress& progress) {
  with_context("cannot provision", [&] {
    engine_config(req.engine, req.remote, req.port);  // bad options fail before the machine is touched
    if (!hostname.empty()) set_hostname_script(hostname);
    progress.step("Detecting the provisioner...");
    auto paths = managed_paths(req);
    auto facts = probe(session, paths);
    auto os = os_of(facts);
    progress.step(fmt::format("Provisioning with {}...", os.display_name()));
    Remote remote(session, facts.root);
    require_defaults_support(os, req, remote);  // before anything changes

    if (!hostname.empty() && facts.hostname != hostname)
      remote.run("setting the hostname", set_hostname_script(hostname));
    if (facts.dockerd.empty()) {
      progress.step("Installing Docker...");
      progress.status("installing docker with the package manager...");
      remote.run("installing docker", install_engine_script(os, req.engine));
      facts = probe(session, paths);
      if (facts.dockerd.empty()) fail(Code::Internal, "docker was installed but there is no dockerd in PATH");
    }

    auto files = engine_files(os.init(), req, facts.unit_text());
    std::vector<drivers::SeedFile> certs(files.begin(), files.begin() + 3),
        config(files.begin() + 3, files.end());
    progress.step("Copying certs to the local machine directory...");
    progress.step("Copying certs to the remote machine...");
    bool changed = write_changed(remote, facts, certs);
    progress.step("Setting Docker configuration on the remote daemon...");
    changed = write_changed(remote, facts, config) || changed;
    if (changed || !facts.running) {
      progress.status("restarting docker...");
      remote.run("restarting docker", restart_engine_script(os.init()));
    }
  });
}

void push_server_cert_and_restart(ssh::SshSession& session, const EngineRequest& req) {
  with_context("cannot update the engine's certificates", [&] {
    engine_config(req.engine, req.remote, req.port);
    auto facts = probe(session, managed_paths(req));
    auto os = os_of(facts);
    Remote remote(session, facts.root);
    require_defaults_support(os, req, remote);
    write_changed(remote, facts, engine_files(os.init(), req, facts.unit_text()));
    remote.run("restarting docker", restart_engine_script(os.init()));
  });
}

namespace {
void upgrade(ssh::SshSession& session, const OsInfo& os, bool root, Progress& progress) {
  EngineOptions defaults;  // upgrades use the package manager; install_url only for unknown OSes
  auto script = upgrade_engine_script(os, defaults);
  Remote remote(session, root);
  progress.status("upgrading docker with the package manager...");
  remote.run("upgrading docker", script);
  remote.run("restarting docker", restart_engine_script(os.init()));
}
}  // namespace

void upgrade_engine(ssh::SshSession& session, const OsInfo& os, Progress& progress) {
  with_context("cannot upgrade docker", [&] {
    upgrade_engine_script(os, EngineOptions{});  // machine OS fails here, before any command
    upgrade(session, os, probe(session, {}).root, progress);
  });
}

void upgrade_engine(ssh::SshSession& session, Progress& progress) {
  with_context("cannot upgrade docker", [&] {
    auto facts = probe(session, {});
    upgrade(session, os_of(facts), facts.root, progress);
  });
}

}  // namespace machine::provision
