#pragma once
// A real OpenSSH sshd on 127.0.0.1 at a free port, with its own host key, config and
// authorized_keys in a directory the caller owns. Used by the SSH integration tests and by
// bench/provisioner_bench.cpp (header-only so both can include it). Stopped (by pid) on destruction.
#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "provisioner/ssh/keygen.h"
#include "provisioner/ssh/known_hosts.h"
#include "provisioner/ssh/ssh.h"
#include "tests/support/local_server.h"

namespace machine::testing {

// What a test's own SSH server (sshd, dropbear) holds: its directory, its host key, the
// client key that logs in, its port and pid. Stopped (by pid) on destruction.
class LocalSshServer {
 public:
  ~LocalSshServer() { stop(); }
  LocalSshServer(const LocalSshServer&) = delete;
  LocalSshServer& operator=(const LocalSshServer&) = delete;

  int port() const { return port_; }
  const ssh::HostKey& host_key() const { return host_key_; }
  const std::filesystem::path& dir() const { return dir_; }
  void stop() { stop_server(pid_); }

 protected:
  explicit LocalSshServer(const std::filesystem::path& dir) : dir_(dir) {}

  // An endpoint for `user` with the client key and a known_hosts (written once) pinning this server.
  ssh::SshEndpoint endpoint_for(const std::string& user) const {
    ssh::SshEndpoint ep{"127.0.0.1", port_, user, client_key_path_, dir_ / "known_hosts"};
    if (!std::filesystem::exists(ep.known_hosts))
      ssh::write_known_hosts(ep.known_hosts, ep.host, ep.port, {host_key_});
    return ep;
  }

  std::filesystem::path dir_;
  std::filesystem::path host_key_path_;
  std::filesystem::path client_key_path_;
  ssh::HostKey host_key_;
  int port_ = 0;
  pid_t pid_ = -1;
};

class LocalSshd : public LocalSshServer {
 public:
  // Generates keys and config under dir and starts sshd; throws std::runtime_error with sshd's
  // log when it does not come up.
  explicit LocalSshd(const std::filesystem::path& dir, const std::string& extra_config = "")
      : LocalSshServer(dir) {
    namespace fs = std::filesystem;
    fs::create_directories(dir_ / "home");
    fs::create_directories("/run/sshd");  // sshd's privilege-separation directory
    host_key_path_ = dir_ / "ssh_host_ed25519_key";
    auto host = ssh::generate_key_pair(ssh::KeyType::Ed25519, "test-host");
    fs::remove(host_key_path_);
    fs::remove(fs::path(host_key_path_.string() + ".pub"));
    ssh::write_key_pair(host, host_key_path_);
    host_key_ = public_line_to_key(host.public_key);
    client_key_path_ = dir_ / "id_ed25519";
    if (!fs::exists(client_key_path_)) ssh::create_machine_key(client_key_path_, "test-client");
    write(dir_ / "authorized_keys", ssh::read_public_key(client_key_path_) + "\n");
    port_ = free_loopback_port();
    std::ostringstream cfg;
    cfg << extra_config;  // first: sshd keeps the first value it reads for an option
    cfg << "Port " << port_ << "\nListenAddress 127.0.0.1\nHostKey " << host_key_path_.string()
        << "\nPidFile " << (dir_ / "sshd.pid").string() << "\nAuthorizedKeysFile "
        << (dir_ / "authorized_keys").string()
        << "\nPermitRootLogin yes\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        << "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nSubsystem sftp internal-sftp\n"
        << "MaxStartups 200\nMaxSessions 50\nLogLevel VERBOSE\n"
        // Commands run with an empty home: Debian's bash sources ~/.bashrc for sshd sessions,
        // and the host user's (pyenv init here) would add ~350 ms to every exec.
        << "SetEnv HOME=" << (dir_ / "home").string() << "\n";
    write(dir_ / "sshd_config", cfg.str());
    start();
  }
  std::string log() const { return read(dir_ / "sshd.log"); }

  // An endpoint for the current user with the client key and a known_hosts pinning this server.
  ssh::SshEndpoint endpoint() const { return endpoint_for(current_user()); }

  // Starts the stopped server again on the same port with the same keys.
  void restart() {
    if (pid_ <= 0) start();
  }

  static std::string current_user() {
    passwd* pw = ::getpwuid(::getuid());
    return pw ? pw->pw_name : "root";
  }

 private:
  static ssh::HostKey public_line_to_key(const std::string& line) {
    std::istringstream in(line);
    std::string type, b64;
    in >> type >> b64;
    return ssh::parse_host_key(type, b64);
  }

  void start() {
    std::string cfg = (dir_ / "sshd_config").string();
    std::string log_path = (dir_ / "sshd.log").string();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int null = ::open("/dev/null", O_RDONLY);
      ::dup2(null, 0);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", cfg.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (wait_accepting(pid_, port_)) return;
    stop();
    throw std::runtime_error("sshd did not start: " + log());
  }

  static void write(const std::filesystem::path& p, const std::string& s) {
    std::ofstream out(p, std::ios::trunc);
    out << s;
  }
  static std::string read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

}  // namespace machine::testing
