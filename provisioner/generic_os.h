#pragma once
// What differs between distributions, as shell scripts (pure functions returning text; they
// run as root through `sh -c`): installing and upgrading the engine with the OS's package
// manager, restarting dockerd through its init system, setting the hostname.
#include <string>
#include <string_view>

#include "machine/host.h"
#include "provisioner/os_release.h"

namespace machine::provision {

// Installs docker with the OS's package manager: apt-get install docker.io (Debian, Ubuntu),
// dnf install moby-engine (Fedora), docker-ce from download.docker.com's repository (CentOS,
// RHEL, Rocky, Alma, Oracle; their own "docker" is podman), yum install docker (Amazon),
// apk add docker (Alpine), pacman -S docker (Arch); for an unknown OS the script at
// opts.install_url, as docker-machine did. Throws Error(FailedPrecondition) for machine OS
// (dockerd is part of the image) and for an unknown OS without install_url.
std::string install_engine_script(const OsInfo& os, const EngineOptions& opts);

// Upgrades whichever package provides dockerd. Throws Error(FailedPrecondition) for machine OS:
// its engine is upgraded by booting a newer image.
std::string upgrade_engine_script(const OsInfo& os, const EngineOptions& opts);

// Restarts (or starts) dockerd and enables it at boot; on failure prints the end of its log
// to stderr and exits non-zero.
std::string restart_engine_script(InitSystem init);

// Sets the running hostname, /etc/hostname and the 127.0.1.1 line of /etc/hosts.
// Throws Error(InvalidArgument) unless hostname matches [A-Za-z0-9][A-Za-z0-9.-]*.
std::string set_hostname_script(std::string_view hostname);

}  // namespace machine::provision
