#include "tests/drivers/libvirt/libvirtd_fixture.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "drivers/common/ports.h"
#include "drivers/libvirt/connection.h"
#include "drivers/libvirt/domain_xml.h"
#include "guest/image_cache.h"
#include "machine/error.h"

namespace machine::drivers::libvirt_test {
using namespace std::chrono_literals;

namespace {

bool system_libvirt_answers() {
  try {
    libvirt::Connection c("qemu:///system");
    return true;
  } catch (const Error&) {
    return false;
  }
}

int read_pid(const std::filesystem::path& p) {
  std::ifstream in(p);
  int pid = 0;
  in >> pid;
  return pid;
}

bool alive(int pid) { return pid > 0 && ::kill(pid, 0) == 0; }

void stop_pid(int pid) {
  if (!alive(pid)) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 100 && alive(pid); ++i) std::this_thread::sleep_for(100ms);
  if (alive(pid)) ::kill(pid, SIGKILL);
}

}  // namespace

Libvirtd::Libvirtd(ProcessRunner& runner) : runner_(runner) {
  if (system_libvirt_answers()) return;
  const auto etc = dir_.path() / "etc-libvirt";
  const auto log = dir_.path() / "var-log";
  std::filesystem::create_directories(etc);
  std::filesystem::create_directories(log);
  std::ofstream(etc / "virtlogd.conf")
      << fmt::format("log_outputs=\"3:file:{}/virtlogd.log\"\n", dir_.path().string());
  std::ofstream(etc / "libvirtd.conf")
      << fmt::format("log_outputs=\"3:file:{}/libvirtd.log\"\n", dir_.path().string());
  // libvirtd's QEMU driver resolves its built-in user and group (libvirt-qemu) before it reads
  // qemu.conf, and only libvirt-daemon-system creates them, whose dependencies define and
  // autostart the `default` network. So the daemons see copies of /etc/passwd and /etc/group
  // that name them, and qemu.conf runs QEMU as root. The host's files are left alone.
  std::ofstream(etc / "qemu.conf") << "user = \"root\"\ngroup = \"root\"\n";
  std::string script =
      "mount --bind \"$1\" /etc/libvirt && mount --bind \"$2\" /var/log && mkdir -p /var/log/libvirt && ";
  if (!::getpwnam("libvirt-qemu") || !::getgrnam("libvirt-qemu")) {
    unsigned id = 64055;  // Debian's usual libvirt-qemu id; the next free one when taken
    while (::getpwuid(id) || ::getgrgid(id)) ++id;
    std::filesystem::copy_file("/etc/passwd", dir_.path() / "passwd");
    std::filesystem::copy_file("/etc/group", dir_.path() / "group");
    if (!::getpwnam("libvirt-qemu"))
      std::ofstream(dir_.path() / "passwd", std::ios::app) << fmt::format(
          "libvirt-qemu:x:{}:{}:libvirt QEMU (test):/var/lib/libvirt:/usr/sbin/nologin\n", id, id);
    if (!::getgrnam("libvirt-qemu"))
      std::ofstream(dir_.path() / "group", std::ios::app) << fmt::format("libvirt-qemu:x:{}:\n", id);
    script += fmt::format("mount --bind {0}/passwd /etc/passwd && mount --bind {0}/group /etc/group && ",
                          dir_.path().string());
  }
  const bool virtlogd_running = alive(read_pid("/run/virtlogd.pid"));
  // Both daemons in one namespace: libvirtd hands virtlogd paths under /var/log/libvirt.
  if (!virtlogd_running) script += "virtlogd -d && ";
  script += "libvirtd -d";
  try {
    run_checked(runner_,
                Command{"unshare",
                        {"--mount", "--propagation", "private", "sh", "-ec", script, "sh", etc.string(),
                         log.string()}},
                "virtlogd and libvirtd");
    if (!virtlogd_running) {
      for (int i = 0; i < 50 && !alive(read_pid("/run/virtlogd.pid")); ++i)
        std::this_thread::sleep_for(100ms);
      pids_.push_back(read_pid("/run/virtlogd.pid"));
    }
    for (int i = 0; i < 100 && !alive(read_pid("/run/libvirtd.pid")); ++i) std::this_thread::sleep_for(100ms);
    pids_.push_back(read_pid("/run/libvirtd.pid"));
    for (int i = 0; i < 100 && !system_libvirt_answers(); ++i) std::this_thread::sleep_for(100ms);
    if (!system_libvirt_answers()) fail(Code::Unavailable, "qemu:///system does not answer");
  } catch (const Error& e) {
    for (auto it = pids_.rbegin(); it != pids_.rend(); ++it) stop_pid(*it);  // no destructor runs
    throw std::runtime_error(fmt::format("cannot start libvirt: {}\n{}", e.what(), logs()));
  }
}

std::string Libvirtd::logs() const {
  std::string out;
  for (const char* name : {"virtlogd.log", "libvirtd.log"}) {
    std::ifstream in(dir_.path() / name);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() > 4000) text = text.substr(text.size() - 4000);
    out += fmt::format("--- {} ---\n{}", name, text);
  }
  return out;
}

Libvirtd::~Libvirtd() {
  // libvirtd first: it holds virtlogd's connections.
  for (auto it = pids_.rbegin(); it != pids_.rend(); ++it) stop_pid(*it);
}

TestPool::TestPool()
    : name_(fmt::format("machine-e2e-{}", ::getpid())),
      dir_(fmt::format("/var/tmp/machine-libvirt-e2e-{}", ::getpid())) {
  libvirt::Connection c("qemu:///system");
  c.define_dir_pool(name_, libvirt::dir_pool_xml(name_, dir_.string()));
}

std::vector<std::string> TestPool::volumes() const {
  libvirt::Connection c("qemu:///system");
  std::unique_ptr<virStoragePool, decltype(&virStoragePoolFree)> p(
      virStoragePoolLookupByName(c.get(), name_.c_str()), &virStoragePoolFree);
  std::vector<std::string> out;
  if (!p) return out;
  virStoragePoolRefresh(p.get(), 0);
  virStorageVolPtr* vols = nullptr;
  int n = virStoragePoolListAllVolumes(p.get(), &vols, 0);
  for (int i = 0; i < n; ++i) {
    out.emplace_back(virStorageVolGetName(vols[i]));
    virStorageVolFree(vols[i]);
  }
  free(vols);
  return out;
}

TestPool::~TestPool() {
  try {
    libvirt::Connection c("qemu:///system");
    for (const auto& v : volumes()) c.delete_volume(name_, v);
    std::unique_ptr<virStoragePool, decltype(&virStoragePoolFree)> p(
        virStoragePoolLookupByName(c.get(), name_.c_str()), &virStoragePoolFree);
    if (p) {
      virStoragePoolDestroy(p.get());
      virStoragePoolDelete(p.get(), 0);
      virStoragePoolUndefine(p.get());
    }
  } catch (...) {
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

LoopbackSshd::LoopbackSshd(ProcessRunner& runner, const std::filesystem::path& dir)
    : runner_(runner), dir_(dir) {
  std::filesystem::create_directories(dir_);
  run_checked(runner_,
              Command{"ssh-keygen", {"-q", "-t", "ed25519", "-N", "", "-f", (dir_ / "host_key").string()}},
              "ssh-keygen");
  make_ssh_key(runner_, key());
  std::filesystem::copy_file(dir_ / "client_key.pub", dir_ / "authorized_keys");
  port_ = pick_free_loopback_ports(1).front();
  std::ofstream(dir_ / "sshd_config") << fmt::format(
      "ListenAddress 127.0.0.1:{}\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\nPermitRootLogin "
      "prohibit-password\n"
      "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
      "Subsystem sftp internal-sftp\n",
      port_, (dir_ / "host_key").string(), (dir_ / "authorized_keys").string(), (dir_ / "sshd.pid").string());
  // sshd wants its privilege separation directory.
  std::filesystem::create_directories("/run/sshd");
  run_checked(runner_, Command{"/usr/sbin/sshd", {"-f", (dir_ / "sshd_config").string()}}, "sshd");
  for (int i = 0; i < 50 && !alive(read_pid(dir_ / "sshd.pid")); ++i) std::this_thread::sleep_for(100ms);
  pid_ = read_pid(dir_ / "sshd.pid");
  std::string pub;
  std::getline(std::ifstream(dir_ / "host_key.pub"), pub);
  std::ofstream(known_hosts()) << fmt::format("[127.0.0.1]:{} {}\n", port_, pub.substr(0, pub.rfind(' ')));
  std::ofstream(ssh_wrapper()) << fmt::format(
      "#!/bin/sh\nexec ssh -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes \"$@\"\n",
      known_hosts().string());
  std::filesystem::permissions(ssh_wrapper(), std::filesystem::perms::owner_all);
}

LoopbackSshd::~LoopbackSshd() {
  stop_pid(pid_);
  std::error_code ec;  // its keys and config: nothing of a run stays behind for the next one
  std::filesystem::remove_all(dir_, ec);
}

std::optional<std::filesystem::path> machine_os_image_dir() {
  if (const char* dir = std::getenv("MACHINE_TEST_IMAGE_DIR")) return std::filesystem::path(dir);
  const char* shared = std::getenv("MACHINE_TEST_IMAGE_CACHE");
  std::filesystem::path root = shared ? shared : "/var/tmp/machine-test-cache";
  std::optional<std::filesystem::path> best;
  for (const auto& images : {root / "images", root / "store" / "cache" / "images"}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(images, ec))
      if (guest::ImageCache::load(e.path()) &&
          (!best || std::filesystem::last_write_time(e.path()) > std::filesystem::last_write_time(*best)))
        best = e.path();
  }
  return best;
}

std::string make_ssh_key(ProcessRunner& runner, const std::filesystem::path& path) {
  run_checked(runner,
              Command{"ssh-keygen", {"-q", "-t", "ed25519", "-N", "", "-C", "e2e", "-f", path.string()}},
              "ssh-keygen");
  std::string pub;
  std::getline(std::ifstream(path.string() + ".pub"), pub);
  return pub;
}

}  // namespace machine::drivers::libvirt_test
