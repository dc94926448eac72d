#include "drivers/generic/generic_driver.h"

#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <memory>
#include <thread>

#include "machine/cancel.h"
#include "machine/error.h"
#include "machine/fs.h"
#include "machine/store.h"

namespace machine::drivers {

bool tcp_reachable(const std::string& host, int port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return false;
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  for (auto* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    bool ok = false;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      ok = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      ok = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 &&
           ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
    ::close(fd);
    if (ok) return true;
  }
  return false;
}

GenericDriver::GenericDriver(const Context& ctx) : ctx_(ctx) {
  base_.machine_name = ctx.machine_name;
  base_.store_path = ctx.store_root.string();
  base_.ssh_user = "root";
}

Features GenericDriver::features() const {
  // Start, stop and kill are not ours to do to someone's host (docker-machine's generic
  // driver refuses them too); restart reboots it over SSH.
  Features f;
  f.restart = true;
  f.ssh = true;
  f.provision = true;
  return f;
}

std::vector<Flag> GenericDriver::flags() {
  using K = Flag::Kind;
  return {
      {"generic-engine-port", K::Int, "Docker engine port", "GENERIC_ENGINE_PORT", "2376"},
      {"generic-ip-address", K::String, "IP Address of machine", "GENERIC_IP_ADDRESS", ""},
      {"generic-ssh-key", K::String, "SSH private key path (if not provided, default SSH key will be used)",
       "GENERIC_SSH_KEY", ""},
      {"generic-ssh-port", K::Int, "SSH port", "GENERIC_SSH_PORT", "22"},
      {"generic-ssh-user", K::String, "SSH user", "GENERIC_SSH_USER", "root"},
  };
}

void GenericDriver::configure(const FlagValues& flags) {
  base_.ip_address = flags.string("generic-ip-address");
  if (base_.ip_address.empty())
    fail(Code::InvalidArgument, "generic driver requires the --generic-ip-address option");
  if (flags.has("generic-ssh-user") && !flags.string("generic-ssh-user").empty())
    base_.ssh_user = flags.string("generic-ssh-user");
  // The user becomes part of an ssh destination and of sudo decisions: a POSIX login name only
  // (a leading '-' would be read as an ssh option).
  const auto& u = base_.ssh_user;
  if (u.empty() || u.size() > 32 || !(std::islower(static_cast<unsigned char>(u[0])) || u[0] == '_') ||
      u.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.-") != std::string::npos)
    fail(Code::InvalidArgument,
         fmt::format(
             "--generic-ssh-user \"{}\" is not a login name: use lowercase letters, digits, '_', '.' and "
             "'-', starting with a letter or '_'",
             u));
  if (flags.has("generic-ssh-port")) base_.ssh_port = flags.integer("generic-ssh-port");
  if (flags.has("generic-engine-port")) engine_port_ = flags.integer("generic-engine-port");
  for (auto [name, port] :
       {std::pair{"--generic-ssh-port", base_.ssh_port}, {"--generic-engine-port", engine_port_}})
    if (port < 1 || port > 65535)
      fail(Code::InvalidArgument, fmt::format("{} {} is not a TCP port", name, port));
  user_key_ = flags.string("generic-ssh-key");
  if (user_key_.empty()) {
    const char* home = std::getenv("HOME");
    for (const char* name : {"id_ed25519", "id_rsa", "id_ecdsa"}) {
      auto p = std::filesystem::path(home ? home : "/root") / ".ssh" / name;
      if (std::filesystem::exists(p)) {
        user_key_ = p.string();
        break;
      }
    }
  }
  if (user_key_.empty())
    fail(Code::InvalidArgument,
         "generic driver needs an SSH key: pass --generic-ssh-key PATH (no ~/.ssh/id_ed25519 or id_rsa "
         "found)");
  base_.ssh_key_path = (ctx_.machine_dir / std::string(machine_files::kGenericSshKey)).string();
}

void GenericDriver::pre_create_check() {
  if (!std::filesystem::exists(user_key_))
    fail(Code::FailedPrecondition, fmt::format("SSH key {} does not exist", user_key_));
}

void GenericDriver::create(const CreateSpec&) {
  ctx_.progress.step(fmt::format("({}) Importing SSH key...", ctx_.machine_name));
  fs::copy_file_atomic(user_key_, base_.ssh_key_path, 0600);
}

void GenericDriver::wait_ready(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!tcp_reachable(base_.ip_address, base_.ssh_port, std::chrono::seconds(2))) {
    throw_if_cancelled();
    if (std::chrono::steady_clock::now() > deadline)
      fail(Code::Unavailable, fmt::format("SSH port {} on {} did not answer within {} s", base_.ssh_port,
                                          base_.ip_address, timeout.count()));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

void GenericDriver::start() { fail(Code::FailedPrecondition, "generic driver does not support start"); }
void GenericDriver::stop() { fail(Code::FailedPrecondition, "generic driver does not support stop"); }
void GenericDriver::kill() { fail(Code::FailedPrecondition, "generic driver does not support kill"); }

void GenericDriver::restart() {
  auto known_hosts = ctx_.machine_dir / std::string(machine_files::kKnownHosts);
  // No user or system ssh config and no global known_hosts: only the pinned key counts.
  // The reboot is detached and delayed, so a working session ends with status 0 before it.
  const std::string reboot = "nohup sh -c 'sleep 1; shutdown -r now' >/dev/null 2>&1 &";
  Command cmd{"ssh",
              {"-F",
               "/dev/null",
               "-i",
               base_.ssh_key_path,
               "-p",
               std::to_string(base_.ssh_port),
               "-o",
               "IdentitiesOnly=yes",
               "-o",
               "BatchMode=yes",
               "-o",
               "StrictHostKeyChecking=yes",
               "-o",
               "UserKnownHostsFile=" + known_hosts.string(),
               "-o",
               "GlobalKnownHostsFile=/dev/null",
               "-o",
               "ConnectTimeout=10",
               "--",
               base_.ssh_user + "@" + base_.ip_address,
               base_.ssh_user == "root" ? reboot : "sudo " + reboot}};
  cmd.timeout = std::chrono::seconds(30);
  auto r = ctx_.runner.run(cmd);
  // 255 is ssh's own failure (host key mismatch, authentication, network); only a session
  // the host closed after it began (the reboot won the race) counts as done.
  bool closed_by_reboot = r.exit_code == 255 && r.err.find("closed by remote host") != std::string::npos;
  if (r.exit_code != 0 && !closed_by_reboot)
    fail(Code::Internal, fmt::format("cannot restart {}: `{}` exited with status {}: {}", ctx_.machine_name,
                                     cmd.to_string(), r.exit_code, r.err));
}

StateInfo GenericDriver::state() {
  return {tcp_reachable(base_.ip_address, base_.ssh_port, std::chrono::seconds(2)) ? State::Running
                                                                                   : State::Stopped,
          ""};
}

nlohmann::json GenericDriver::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  base_.write(j);
  j["EnginePort"] = engine_port_;
  j["SSHKey"] = user_key_;
  return j;
}

void GenericDriver::from_json(const nlohmann::json& j) {
  base_.read(j);
  read_field(j, "EnginePort", engine_port_);
  read_field(j, "SSHKey", user_key_);
}

}  // namespace machine::drivers
