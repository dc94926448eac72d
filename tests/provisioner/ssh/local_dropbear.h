#pragma once
// A real dropbear server (the guest's SSH server) on 127.0.0.1 at a free port. Dropbear has no
// option for the authorized_keys path: it reads ~/.ssh/authorized_keys of the login user. So it
// runs in a private mount namespace where the test's own home dir (holding .ssh/authorized_keys)
// is bind-mounted over root's home directory: nothing outside the test sees it, and nothing in
// the real home is read or needed (a new machine has no /root/.ssh). Needs root (mount
// namespace); callers skip otherwise. Stopped (by pid) on destruction.
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>

#include "tests/provisioner/ssh/local_sshd.h"

namespace machine::testing {

class LocalDropbear : public LocalSshServer {
 public:
  static bool supported() { return ::geteuid() == 0 && std::filesystem::exists("/usr/sbin/dropbear"); }

  explicit LocalDropbear(const std::filesystem::path& dir) : LocalSshServer(dir) {
    namespace fs = std::filesystem;
    // dropbear refuses keys in a home or .ssh writable by others: both 0700.
    fs::create_directories(dir_ / "home" / ".ssh");
    fs::permissions(dir_ / "home", fs::perms::owner_all, fs::perm_options::replace);
    fs::permissions(dir_ / "home" / ".ssh", fs::perms::owner_all, fs::perm_options::replace);
    host_key_path_ = dir_ / "dropbear_ed25519_host_key";
    std::string pub = run_capture({"/usr/bin/dropbearkey", "-t", "ed25519", "-f", host_key_path_.string()});
    auto at = pub.find("ssh-ed25519 ");
    if (at == std::string::npos) throw std::runtime_error("dropbearkey failed: " + pub);
    std::istringstream line(pub.substr(at));
    std::string type, b64;
    line >> type >> b64;
    host_key_ = ssh::parse_host_key(type, b64);
    client_key_path_ = dir_ / "id_ed25519";
    ssh::create_machine_key(client_key_path_, "test-client");
    std::ofstream(dir_ / "home" / ".ssh" / "authorized_keys")
        << ssh::read_public_key(client_key_path_) << "\n";
    fs::permissions(dir_ / "home" / ".ssh" / "authorized_keys",
                    fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    port_ = free_loopback_port();
    start();
  }
  std::string log() const {
    std::ifstream in(dir_ / "dropbear.log");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  ssh::SshEndpoint endpoint() const { return endpoint_for("root"); }

 private:
  static std::string run_capture(const std::vector<std::string>& argv) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    ::close(out[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return text;
  }

  void start() {
    std::string home = (dir_ / "home").string();
    // The home dropbear looks in: root's from the password database (not $HOME).
    passwd* pw = ::getpwnam("root");
    std::string real_home = pw && pw->pw_dir ? pw->pw_dir : "/root";
    std::string mount_error = "mount namespace: bind " + home + " over " + real_home;  // no malloc after fork
    std::string host_key = host_key_path_.string();
    std::string listen = "127.0.0.1:" + std::to_string(port_);
    std::string pidfile = (dir_ / "dropbear.pid").string();
    std::string log_path = (dir_ / "dropbear.log").string();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(log, 1);
      ::dup2(log, 2);
      if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          ::mount(home.c_str(), real_home.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        ::perror(mount_error.c_str());
        ::_exit(126);
      }
      ::execl("/usr/sbin/dropbear", "/usr/sbin/dropbear", "-F", "-E", "-s", "-m", "-r", host_key.c_str(),
              "-p", listen.c_str(), "-P", pidfile.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (wait_accepting(pid_, port_)) return;
    stop();
    throw std::runtime_error("dropbear did not start: " + log());
  }
};

}  // namespace machine::testing
