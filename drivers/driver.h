#pragma once
// The driver seam: one implementation per hypervisor or host kind (qemu, libvirt,
// virtualbox, generic, none). Drivers are constructed per command from a Context, get
// their persisted state back through from_json(), and never print: they report through
// Context::progress and throw machine::Error.
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/common/port_forward.h"
#include "machine/host.h"
#include "machine/process_runner.h"
#include "machine/progress.h"
#include "machine/state.h"

namespace machine::drivers {

// What a driver can do, as data (no "not implemented" methods).
struct Features {
  bool lifecycle = false;        // start / stop / kill act on a VM (generic's host is not ours to power)
  bool ssh = false;              // ssh_address() is meaningful
  bool provision = false;        // the provisioner configures the engine over SSH
  bool seed = false;             // create() delivers CreateSpec's first-boot seed to the guest
  bool private_network = false;  // supports a VM-to-VM network (swarm)
  // add_forward/remove_forward publish guest ports on this host (user-mode/NAT networking);
  // the per-machine forwarder runs only for these. generic and none need none: their
  // engine's host is reachable directly.
  bool port_forwarding = false;
  bool virtiofs = false;  // shares host dirs over virtiofs (CreateSpec::virtiofs_mounts)
  bool restart = false;   // restart reboots the VM or host (generic: over SSH, without lifecycle)
};

// One create flag, docker-machine style; each driver's list is data in its DriverInfo
// (drivers/registry.h), read by create, completion and the man page without a driver (name without dashes,
// env var fallback).
struct Flag {
  enum class Kind { String, Int, Bool, StringList };
  std::string name;  // "qemu-memory"
  Kind kind = Kind::String;
  std::string usage;                 // one line for --help
  std::string env;                   // "QEMU_MEMORY"; empty for none
  std::string default_value;         // as text ("1024", "true", ""); lists have none
  std::vector<std::string> choices;  // the only accepted values, when there is such a list (completion)
};

// Values of create flags after the CLI applied env fallbacks and defaults.
class FlagValues {
 public:
  void set(const std::string& name, std::vector<std::string> values, bool explicitly = true);
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  bool explicitly_set(const std::string& name) const;
  std::string string(const std::string& name) const;  // "" when absent
  // Throws Error(InvalidArgument) "invalid value "x" for flag --name: not an integer".
  int integer(const std::string& name) const;
  bool boolean(const std::string& name) const;  // absent = false
  std::vector<std::string> list(const std::string& name) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, bool> explicit_;
};

struct Context {
  std::string machine_name;
  std::filesystem::path machine_dir;  // <store>/machines/<name>
  std::filesystem::path store_root;
  ProcessRunner& runner;
  Progress& progress;
};

struct SeedFile {
  std::string path;  // absolute path in the guest
  std::string content;
  unsigned mode = 0644;
};

// What the create flow gives the driver to bring a guest up.
struct CreateSpec {
  std::string hostname;
  std::string ssh_public_key;        // OpenSSH one-line public key for the guest user
  std::vector<SeedFile> seed_files;  // delivered via the first-boot seed when features().seed
  // Host dirs to export over virtiofs (features().virtiofs), in order: the i-th is tagged
  // common::mount_tag(i). Kept by the driver and exported again on every start.
  std::vector<Mount> virtiofs_mounts;
};

struct SshAddress {
  std::string host;
  int port = 22;
  std::string user;
};

struct StateInfo {
  State state = State::None;
  std::string reason;  // for Error: why (e.g. last serial console lines)
};

class Driver {
 public:
  Driver() = default;
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  virtual ~Driver() = default;

  virtual std::string_view name() const = 0;
  virtual Features features() const = 0;
  // Validates and stores flag values; no side effects. Throws Error(InvalidArgument).
  virtual void configure(const FlagValues& flags) = 0;
  // Checks this host can run the driver (binaries, versions, access); no side effects.
  // Throws Error(FailedPrecondition), which `create` reports with exit status 3.
  virtual void pre_create_check() = 0;
  // Reserves what create needs that must be known early (ports, addresses) and returns
  // the addresses the engine will be reached at (server certificate SANs). May be empty
  // when they are only known after boot.
  virtual std::vector<std::string> prepare() = 0;
  // Creates and boots the machine. On failure, whatever it made is left for remove().
  virtual void create(const CreateSpec& spec) = 0;
  // Waits until the guest is up far enough for SSH (or the engine, for drivers without
  // SSH). Throws Error(Unavailable) with diagnostics (e.g. serial console tail) on timeout.
  virtual void wait_ready(std::chrono::seconds timeout) = 0;
  // Boots a stopped machine. Idempotent: a running or paused machine stays as it is (which
  // command may run in which state, and what it does, is machine/state's table, not the driver's).
  virtual void start() = 0;
  // Resumes a paused machine (ops calls it where the table says Verdict::Resume). Drivers
  // whose state() never says Paused keep the default.
  virtual void resume() {}
  virtual void stop() = 0;  // graceful; idempotent
  virtual void kill() = 0;  // immediate; idempotent
  virtual void restart() = 0;
  // Deletes the VM and everything the driver made. Idempotent: succeeds when nothing exists.
  virtual void remove() = 0;
  virtual StateInfo state() = 0;
  virtual std::string ip() = 0;          // address shown by `machine ip`
  virtual std::string engine_url() = 0;  // tcp://host:port the docker client dials
  virtual SshAddress ssh_address() = 0;
  // SSH host keys known out of band ("ssh-ed25519 AAAA..."), e.g. printed by the guest on
  // its serial console; empty means trust on first use.
  virtual std::vector<std::string> host_keys() = 0;
  // Port forwarding (features().port_forwarding), on a running machine: makes guest port
  // f.guest_port answer at f.host_addr:f.host_port on this host. Idempotent; throws
  // Error(Unavailable) when the host port cannot be taken. The defaults do nothing.
  virtual void add_forward(const PortForward& f) { (void)f; }
  virtual void remove_forward(const PortForward& f) { (void)f; }  // idempotent
  // The host address published ports are forwarded from (--qemu-publish-address ...).
  virtual std::string publish_address() { return kDefaultPublishAddress; }
  // Persisted as config.json's "Driver" object.
  virtual nlohmann::json to_json() const = 0;
  virtual void from_json(const nlohmann::json& j) = 0;
};

}  // namespace machine::drivers
