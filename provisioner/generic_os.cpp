#include "provisioner/generic_os.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "machine/error.h"
#include "provisioner/ssh/ssh.h"

namespace machine::provision {
namespace {

// apt waits for a lock held by cloud-init or unattended-upgrades instead of failing at once.
constexpr std::string_view kApt = "apt-get -o DPkg::Lock::Timeout=300 -qq";

bool uses_docker_ce_repo(const OsInfo& os) {
  return os.id == "centos" || os.id == "rhel" || os.id == "rocky" || os.id == "almalinux" || os.id == "ol";
}

std::string install_url_script(const OsInfo& os, const EngineOptions& opts) {
  if (opts.install_url.empty())
    fail(Code::FailedPrecondition,
         fmt::format("cannot install docker on {}: unknown OS and no --engine-install-url",
                     os.pretty_name.empty() ? os.id : os.pretty_name));
  auto url = ssh::shell_quote(opts.install_url);
  return fmt::format(
      "if command -v curl >/dev/null 2>&1; then curl -fsSL {0} | sh\n"
      "else wget -qO- {0} | sh; fi\n",
      url);
}

[[noreturn]] void machine_os_has_no_packages(std::string_view what) {
  fail(Code::FailedPrecondition,
       fmt::format("machine OS cannot {} docker in place: the engine is part of the image; boot a newer "
                   "machine OS image (re-create the machine) to get a newer engine",
                   what));
}

}  // namespace

std::string install_engine_script(const OsInfo& os, const EngineOptions& opts) {
  std::string s = "set -e\n";
  switch (os.family) {
    case OsFamily::MachineOs:
      machine_os_has_no_packages("install");
    case OsFamily::Debian:
      return s + fmt::format("export DEBIAN_FRONTEND=noninteractive\n{0} update\n{0} install -y docker.io\n",
                             kApt);
    case OsFamily::RedHat:
      if (os.id == "fedora") return s + "dnf install -y -q moby-engine\n";
      if (os.id == "amzn") return s + "yum install -y -q docker\n";
      if (uses_docker_ce_repo(os)) {
        auto repo = fmt::format("https://download.docker.com/linux/{}/docker-ce.repo",
                                os.id == "rhel" ? "rhel" : "centos");
        return s + fmt::format(
                       "if command -v dnf >/dev/null 2>&1; then\n"
                       "  dnf install -y -q dnf-plugins-core\n"
                       "  dnf config-manager --add-repo {0}\n"
                       "  dnf install -y -q docker-ce docker-ce-cli containerd.io\n"
                       "else\n"
                       "  yum install -y -q yum-utils\n"
                       "  yum-config-manager --add-repo {0}\n"
                       "  yum install -y -q docker-ce docker-ce-cli containerd.io\n"
                       "fi\n",
                       repo);
      }
      return s + "dnf install -y -q docker\n";
    case OsFamily::Alpine:
      return s + "apk add --no-cache docker\nrc-update add docker default\n";
    case OsFamily::Arch:
      return s + "pacman -Sy --noconfirm --needed docker\n";
    case OsFamily::Unknown:
      break;
  }
  return s + install_url_script(os, opts);
}

std::string upgrade_engine_script(const OsInfo& os, const EngineOptions& opts) {
  std::string s = "set -e\n";
  switch (os.family) {
    case OsFamily::MachineOs:
      machine_os_has_no_packages("upgrade");
    case OsFamily::Debian:
      // Whichever package owns dockerd: docker.io from the distro or docker-ce from get.docker.com.
      return s + fmt::format(
                     "export DEBIAN_FRONTEND=noninteractive\n"
                     "pkg=$(dpkg-query -S \"$(command -v dockerd)\" 2>/dev/null | head -n1 | cut -d: -f1)\n"
                     "{0} update\n"
                     "{0} install -y --only-upgrade \"${{pkg:-docker.io}}\"\n",
                     kApt);
    case OsFamily::RedHat:
      return s +
             "pkg=$(rpm -qf --qf '%{NAME}' \"$(command -v dockerd)\" 2>/dev/null || echo docker)\n"
             "if command -v dnf >/dev/null 2>&1; then dnf upgrade -y -q \"$pkg\"; else yum update -y -q "
             "\"$pkg\"; fi\n";
    case OsFamily::Alpine:
      return s + "apk upgrade --no-cache docker\n";
    case OsFamily::Arch:
      // Arch supports no partial upgrades: -Syu is the way to get a newer docker.
      return s + "pacman -Syu --noconfirm --needed docker\n";
    case OsFamily::Unknown:
      break;
  }
  return s + install_url_script(os, opts);
}

std::string restart_engine_script(InitSystem init) {
  switch (init) {
    case InitSystem::MachineDocker:
      return "/usr/sbin/machine-docker restart\n";
    case InitSystem::OpenRc:
      return "rc-update add docker default >/dev/null 2>&1\n"
             "rc-service docker restart || { tail -n 20 /var/log/docker.log >&2; exit 1; }\n";
    case InitSystem::Systemd:
      break;
  }
  return "systemctl daemon-reload\n"
         "systemctl enable docker.service >/dev/null 2>&1\n"
         "systemctl restart docker.service || { journalctl -u docker.service -n 20 --no-pager >&2; exit 1; "
         "}\n";
}

std::string set_hostname_script(std::string_view hostname) {
  bool ok = !hostname.empty() && std::isalnum(static_cast<unsigned char>(hostname.front())) &&
            std::all_of(hostname.begin(), hostname.end(),
                        [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; });
  if (!ok) fail(Code::InvalidArgument, fmt::format("invalid hostname \"{}\"", hostname));
  return fmt::format(
      "hostnamectl set-hostname {0} 2>/dev/null || hostname {0}\n"
      "echo {0} > /etc/hostname\n"
      "if grep -q '^127\\.0\\.1\\.1[[:space:]]' /etc/hosts; then\n"
      "  sed -i 's/^127\\.0\\.1\\.1[[:space:]].*/127.0.1.1 {0}/' /etc/hosts\n"
      "else\n"
      "  echo '127.0.1.1 {0}' >> /etc/hosts\n"
      "fi\n",
      hostname);
}

}  // namespace machine::provision
