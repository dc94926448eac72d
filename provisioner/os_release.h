#pragma once
// Which Linux a machine runs, from /etc/os-release (os-release(5)), and what follows from
// it for the engine: the family decides the package manager and the init system.
#include <string>
#include <string_view>
#include <vector>

namespace machine::provision {

// Distributions grouped by how docker is installed and run on them.
enum class OsFamily {
  MachineOs,  // our guest (ID=machineos): dockerd preinstalled, run by machine-docker
  Debian,     // Debian, Ubuntu and derivatives: apt, systemd
  RedHat,     // Fedora, CentOS (Stream), RHEL, Rocky, Alma, Oracle: dnf/yum, systemd
  Alpine,     // apk, OpenRC
  Arch,       // pacman, systemd
  Unknown,    // systemd assumed; the engine is installed with EngineOptions::install_url
};

// How dockerd is started, stopped and configured beyond /etc/docker/daemon.json.
enum class InitSystem {
  MachineDocker,  // /usr/sbin/machine-docker start|stop|restart; extra flags in /etc/default/docker
  Systemd,        // drop-in overriding ExecStart under /etc/systemd/system/docker.service.d/
  OpenRc,         // /etc/conf.d/docker (DOCKER_OPTS, exported environment)
};

struct OsInfo {
  std::string id;                    // ID, lowercase ("ubuntu"); "linux" when absent
  std::vector<std::string> id_like;  // ID_LIKE words ("rhel", "fedora")
  std::string name;                  // NAME
  std::string pretty_name;           // PRETTY_NAME
  std::string version_id;            // VERSION_ID ("22.04"), may be empty (Arch)
  OsFamily family = OsFamily::Unknown;

  InitSystem init() const;
  // How docker-machine named provisioners in "Provisioning with <x>...": "machineos",
  // "ubuntu(systemd)", "alpine(openrc)".
  std::string display_name() const;
};

// Parses os-release text: KEY=value lines, values optionally in single or double quotes
// (with \-escapes inside double quotes), '#' comments. Never throws: unknown keys are ignored
// and missing fields stay empty (ID defaults to "linux", as os-release(5) says).
OsInfo parse_os_release(std::string_view text);

// The family from ID, then from ID_LIKE (so Rocky or Linux Mint are recognised).
OsFamily detect_family(std::string_view id, const std::vector<std::string>& id_like);

std::string_view family_name(OsFamily family);

}  // namespace machine::provision
