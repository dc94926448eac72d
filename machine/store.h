#pragma once
// The on-disk store, laid out as docker-machine's:
//   <root>/certs/            CA and client certificates
//   <root>/cache/            guest images and other shared downloads/builds
//   <root>/machines/<name>/  one directory per machine (file names in machine_files below)
//   <root>/locks/<name>.lock per-machine flock (outside the machine dir so rm can take it)
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "machine/host.h"

namespace machine {

// Every file name a machine directory may hold; drivers and the provisioner use these
// names and nothing else, so `rm` and backups know the whole set.
namespace machine_files {
inline constexpr std::string_view kConfig = "config.json";
inline constexpr std::string_view kSshKey = "id_ed25519";
inline constexpr std::string_view kSshPublicKey = "id_ed25519.pub";
inline constexpr std::string_view kKnownHosts = "known_hosts";
inline constexpr std::string_view kCaCert = "ca.pem";
inline constexpr std::string_view kClientCert = "cert.pem";
inline constexpr std::string_view kClientKey = "key.pem";
inline constexpr std::string_view kServerCert = "server.pem";
inline constexpr std::string_view kServerKey = "server-key.pem";
inline constexpr std::string_view kDisk = "disk.qcow2";
inline constexpr std::string_view kSeed = "seed.iso";
inline constexpr std::string_view kSerialLog = "serial.log";
inline constexpr std::string_view kPidFile = "qemu.pid";
inline constexpr std::string_view kQmpSocket = "qmp.sock";
inline constexpr std::string_view kVmLog = "vm.log";
inline constexpr std::string_view kVmdk = "disk.vmdk";
inline constexpr std::string_view kGenericSshKey = "id_rsa";  // a copy of --generic-ssh-key
// The port forwarder (`machine __forward NAME`): its pid, its log, what it forwards.
inline constexpr std::string_view kForwarderPid = "forwarder.pid";
inline constexpr std::string_view kForwarderLog = "forwarder.log";
inline constexpr std::string_view kForwards = "forwards.json";
// Host-folder mount helpers (drivers/common): virtiofs-N.{sock,pid,log}, sshfs-N.{pid,log}.
inline constexpr std::string_view kMountsDir = "mounts";
// Written (with the creating process's pid) before create makes anything else in the
// directory, removed when create succeeds: a machine whose creator died shows as Error.
inline constexpr std::string_view kCreating = "creating.pid";
// The unix sockets among them: their full paths must fit sockaddr_un.sun_path.
inline constexpr std::array<std::string_view, 1> kSockets{kQmpSocket};
}  // namespace machine_files

// sizeof(sockaddr_un::sun_path) on Linux, including the terminating NUL.
inline constexpr size_t kUnixSocketPathMax = 108;

// Held while a command changes one machine; released on destruction.
class MachineLock {
 public:
  MachineLock(MachineLock&& other) noexcept;
  MachineLock& operator=(MachineLock&&) = delete;
  MachineLock(const MachineLock&) = delete;
  ~MachineLock();

 private:
  friend class Store;
  explicit MachineLock(int fd) : fd_(fd) {}
  int fd_;
};

class Store {
 public:
  explicit Store(std::filesystem::path root);

  // -s/--storage-path if given, else $MACHINE_STORAGE_PATH, else ~/.docker/machine.
  static std::filesystem::path resolve_root(const std::optional<std::string>& flag);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path certs_dir() const { return root_ / "certs"; }
  std::filesystem::path cache_dir() const { return root_ / "cache"; }
  std::filesystem::path machines_dir() const { return root_ / "machines"; }
  // Every method that takes a machine name throws Error(InvalidArgument) with
  // invalid_machine_name_message() unless valid_machine_name(name), before touching the disk:
  // a name is always one path component directly under machines/.
  std::filesystem::path machine_dir(const std::string& name) const;
  std::filesystem::path machine_file(const std::string& name, std::string_view file) const {
    return machine_dir(name) / std::string(file);
  }
  // Throws Error(InvalidArgument) when a socket of machine `name` (machine_files::kSockets)
  // would not fit a unix socket address in this store; create checks it before making anything.
  void require_socket_paths_fit(const std::string& name) const;

  bool exists(const std::string& name) const;
  // Names of every machine directory (broken ones included), unsorted.
  std::vector<std::string> list() const;
  // Throws Error(NotFound) with docker-machine's message when absent, Error(Internal)
  // "cannot read config of 'x': ..." when config.json is unreadable or invalid.
  Host load(const std::string& name) const;
  // Atomically writes config.json (0600).
  void save(const Host& host) const;
  // Creates the machine directory (0700); Error(AlreadyExists) with docker-machine's
  // message when it exists. Also creates the store's own directories.
  void create_machine_dir(const std::string& name) const;
  // Deletes the machine directory and everything in it (not its lock file). Refuses
  // (Error(Internal)) anything that is not a direct child of machines/ once symlinks in the
  // store path are resolved; a symlink in machines/ is removed itself, never followed.
  void remove(const std::string& name) const;
  // Blocks until this process holds the machine's lock (flock on <root>/locks/<name>.lock).
  MachineLock lock(const std::string& name) const;
  // Blocks until this process holds the store-wide lock `resource` (lowercase letters and
  // '-', e.g. "libvirt-uploads"): <root>/locks/_<resource>.lock, never a machine's.
  MachineLock lock_resource(std::string_view resource) const;

 private:
  std::filesystem::path root_;
};

// docker-machine's message for an unknown machine.
std::string machine_not_found_message(const std::string& name);

}  // namespace machine
