#include "provisioner/provision.h"

#include <fmt/format.h>

#include <map>

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

// Runs shell scripts as root on the machine: directly as root, else through `sudo -n`.
class Remote {
 public:
  explicit Remote(ssh::SshSession& session) : session_(session) {
    auto r = session_.run("id -u");
    if (!r.ok()) fail(Code::Internal, fmt::format("cannot find the remote user: id -u: {}", tail(r.err)));
    root_ = trim(r.out) == "0";
  }

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

  // Runs script; throws with `what` and the output's end unless it exits 0.
  std::string run(std::string_view what, std::string_view script, const std::vector<std::string>& args = {},
                  std::optional<std::string> stdin_data = std::nullopt) {
    auto r = session_.run(command(script, args), std::move(stdin_data));
    if (r.ok()) return r.out;
    auto detail = tail(r.err.empty() ? r.out : r.err);
    if (!root_ && detail.find("sudo:") != std::string::npos)
      fail(Code::FailedPrecondition,
           fmt::format("{}: the SSH user needs passwordless sudo: {}", what, detail));
    fail(Code::Internal, fmt::format("{} failed (exit status {}): {}", what, r.exit_code, detail));
  }

 private:
  ssh::SshSession& session_;
  bool root_ = false;
};

struct RemoteFile {
  unsigned mode = 0;  // 0 when stat could not tell
  std::string content;
};

// What the machine looks like now, gathered by one command.
struct Facts {
  std::string hostname;
  std::string dockerd;            // path, empty when not installed
  bool running = false;           // a dockerd process exists
  bool reads_defaults = false;    // machine OS: machine-docker sources /etc/default/docker
  std::string unit_path;          // systemd: docker.service's unit file
  std::map<std::string, RemoteFile> files;  // the existing ones among those asked for, and the unit

  std::string unit_text() const {
    auto it = files.find(unit_path);
    return it == files.end() ? std::string() : it->second.content;
  }
};

// Output: KEY=value lines, then per file "file MODE SIZE PATH\n" + SIZE bytes, or "missing PATH\n".
constexpr std::string_view kProbeScript = R"sh(# machine-probe: facts and the engine files as they are
echo "hostname=$(hostname)"
echo "dockerd=$(command -v dockerd)"
if pidof dockerd >/dev/null 2>&1 || pgrep -x dockerd >/dev/null 2>&1; then echo running=yes; else echo running=no; fi
if grep -qs /etc/default/docker /usr/sbin/machine-docker; then echo defaults=yes; else echo defaults=no; fi
unit=$(systemctl show -p FragmentPath --value docker.service 2>/dev/null)
echo "unit=$unit"
for f in "$@" $unit; do
  if [ -f "$f" ]; then
    printf 'file %s %s %s\n' "$(stat -c %a "$f" 2>/dev/null || echo 0)" $(wc -c < "$f") "$f"
    cat "$f"
  else
    printf 'missing %s\n' "$f"
  fi
done
)sh";

Facts parse_probe(std::string_view out) {
  Facts facts;
  auto bad = [&](std::string_view why) -> void {
    fail(Code::Internal, fmt::format("cannot read the machine's state: {}", why));
  };
  while (!out.empty()) {
    auto nl = out.find('\n');
    if (nl == std::string_view::npos) bad("truncated output");
    std::string_view line = out.substr(0, nl);
    out.remove_prefix(nl + 1);
    if (line.rfind("file ", 0) == 0) {
      auto fields = line.substr(5);
      auto sp1 = fields.find(' ');
      auto sp2 = sp1 == std::string_view::npos ? sp1 : fields.find(' ', sp1 + 1);
      if (sp2 == std::string_view::npos) bad(line);
      RemoteFile f;
      std::size_t size = 0;
      try {
        f.mode = static_cast<unsigned>(std::stoul(std::string(fields.substr(0, sp1)), nullptr, 8));
        size = std::stoul(std::string(fields.substr(sp1 + 1, sp2 - sp1 - 1)));
      } catch (const std::exception&) {
        bad(line);
      }
      if (size > out.size()) bad("truncated file content");
      f.content = std::string(out.substr(0, size));
      out.remove_prefix(size);
      facts.files[std::string(fields.substr(sp2 + 1))] = std::move(f);
    } else if (line.rfind("missing ", 0) == 0) {
      continue;
    } else if (auto eq = line.find('='); eq != std::string_view::npos) {
      auto key = line.substr(0, eq);
      auto value = std::string(trim(line.substr(eq + 1)));
      if (key == "hostname") facts.hostname = value;
      else if (key == "dockerd") facts.dockerd = value;
      else if (key == "running") facts.running = value == "yes";
      else if (key == "defaults") facts.reads_defaults = value == "yes";
      else if (key == "unit") facts.unit_path = value;
    }
  }
  return facts;
}

std::vector<std::string> paths_of(const std::vector<drivers::SeedFile>& files) {
  std::vector<std::string> paths;
  for (const auto& f : files) paths.push_back(f.path);
  return paths;
}

Facts probe(Remote& remote, const std::vector<std::string>& paths) {
  return parse_probe(remote.run("reading the machine's state", kProbeScript, paths));
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
    if (it != facts.files.end() && it->second.content == f.content && it->second.mode == (f.mode & 07777)) continue;
    auto path = ssh::shell_quote(f.path);
    auto tmp = ssh::shell_quote(f.path + ".machine-new");
    auto script = fmt::format("(umask 022 && mkdir -p {}) && umask 077 && cat > {} && chmod {:04o} {} && mv -f {} {}\n",
                              ssh::shell_quote(parent_dir(f.path)), tmp, f.mode & 07777, tmp, tmp, path);
    remote.run("writing " + f.path, script, {}, f.content);
    changed = true;
  }
  return changed;
}

void require_defaults_support(const OsInfo& os, const EngineRequest& req, const Facts& facts) {
  if (os.init() != InitSystem::MachineDocker || facts.reads_defaults) return;
  auto config = engine_config(req.engine, req.remote, req.port);
  if (!config.flags.empty() || !config.env.empty())
    fail(Code::FailedPrecondition,
         "this machine OS image cannot pass --engine-opt flags or --engine-env to dockerd (its machine-docker "
         "does not read /etc/default/docker); use a newer image or settings daemon.json can hold");
}

}  // namespace

std::vector<drivers::SeedFile> engine_files(InitSystem init, const EngineRequest& req, std::string_view unit_text) {
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
    fail(Code::Unavailable, fmt::format("cannot detect the operating system: no /etc/os-release: {}", tail(r.err)));
  return parse_os_release(r.out);
}

void provision(ssh::SshSession& session, const EngineRequest& req, const std::string& hostname, Progress& progress) {
  with_context("cannot provision", [&] {
    engine_config(req.engine, req.remote, req.port);  // bad options fail before the machine is touched
    progress.step("Detecting the provisioner...");
    Remote remote(session);
    auto os = detect_os(session);
    progress.step(fmt::format("Provisioning with {}...", os.display_name()));

    auto paths = paths_of(engine_files(os.init(), req));
    auto facts = probe(remote, paths);
    if (!hostname.empty() && facts.hostname != hostname)
      remote.run("setting the hostname", set_hostname_script(hostname));
    if (facts.dockerd.empty()) {
      progress.step("Installing Docker...");
      progress.status("installing docker with the package manager...");
      remote.run("installing docker", install_engine_script(os, req.engine));
      facts = probe(remote, paths);
      if (facts.dockerd.empty()) fail(Code::Internal, "docker was installed but there is no dockerd in PATH");
    }
    require_defaults_support(os, req, facts);

    auto files = engine_files(os.init(), req, facts.unit_text());
    std::vector<drivers::SeedFile> certs(files.begin(), files.begin() + 3), config(files.begin() + 3, files.end());
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
    Remote remote(session);
    auto os = detect_os(session);
    auto paths = paths_of(engine_files(os.init(), req));
    auto facts = probe(remote, paths);
    require_defaults_support(os, req, facts);
    write_changed(remote, facts, engine_files(os.init(), req, facts.unit_text()));
    remote.run("restarting docker", restart_engine_script(os.init()));
  });
}

void upgrade_engine(ssh::SshSession& session, const OsInfo& os, Progress& progress) {
  with_context("cannot upgrade docker", [&] {
    EngineOptions defaults;  // upgrades use the package manager; install_url only for unknown OSes
    auto script = upgrade_engine_script(os, defaults);
    Remote remote(session);
    progress.status("upgrading docker with the package manager...");
    remote.run("upgrading docker", script);
    remote.run("restarting docker", restart_engine_script(os.init()));
  });
}

void upgrade_engine(ssh::SshSession& session, Progress& progress) {
  auto os = with_context("cannot upgrade docker", [&] { return detect_os(session); });
  upgrade_engine(session, os, progress);
}

}  // namespace machine::provision
