#pragma once
// The store's private networks, driver-neutral:
//   <root>/networks/<name>/config.json   subnet and address allocations (network_config.h)
//   <root>/networks/<name>/switch/       the VDE switch's sockets (while it runs)
//   <root>/networks/<name>/switch.pid
//   <root>/networks/<name>.lock          flock held for every change of that network
// A network comes into being when its first machine attaches; its switch runs while any
// machine uses it and stops when the last one detaches; `remove` deletes it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "drivers/network/network_config.h"
#include "drivers/network/vde_switch.h"
#include "machine/process_runner.h"

namespace machine::drivers::network {

// What a machine needs to join a network.
struct Attachment {
  std::string network;
  std::string ip;    // "192.168.99.100"
  std::string cidr;  // "192.168.99.100/24"
  std::string mac;
  std::string subnet;                // "192.168.99.0/24"
  std::filesystem::path switch_dir;  // for QEMU's -netdev vde,sock=<dir>
  // Set by connect(): the host's address on the network ("192.168.99.1") when the host
  // reaches the machines, else a note saying why only the machines reach each other.
  std::string host_address;
  std::string note;
};

struct NetworkInfo {
  NetworkConfig config;
  bool switch_running = false;
};

class NetworkStore {
 public:
  NetworkStore(std::filesystem::path store_root, ProcessRunner& runner, SwitchOptions switch_options = {});

  std::filesystem::path networks_dir() const { return root_ / "networks"; }
  // Throws Error(InvalidArgument) unless valid_network_name(name): always one component.
  std::filesystem::path network_dir(const std::string& name) const;

  // Reserves an address for `machine` on `network`, creating the network when it is new
  // (with `subnet`, or the first free 192.168.<99..254>.0/24 when empty). Idempotent: a
  // machine keeps its address. `preferred` re-claims a remembered address. Does not start
  // the switch. Allocations of machines whose directory is gone are reclaimed first.
  // Throws Error(InvalidArgument) for a bad name or a subnet that differs from the
  // existing network's, Error(FailedPrecondition) when no address is left.
  Attachment attach(const std::string& network, const std::string& machine, const std::string& subnet = "",
                    const std::string& preferred = "");
  // attach() and then makes sure the switch runs (a machine about to boot). Starting it,
  // when allowed (SwitchOptions::host_interface_allowed) and the subnet overlaps no host
  // route, gives it a tap holding the subnet's first address; otherwise, or when that
  // fails, the network is VM-to-VM only and the attachment's note says so.
  Attachment connect(const std::string& network, const std::string& machine, const std::string& subnet = "",
                     const std::string& preferred = "");
  // Releases the machine's address; stops the switch when no machine is left. Idempotent.
  void detach(const std::string& network, const std::string& machine);

  // Every network, sorted by name; an unreadable config is skipped.
  std::vector<NetworkInfo> list() const;
  std::optional<NetworkInfo> find(const std::string& network) const;
  // Stops the switch and deletes the network. Error(NotFound) when absent;
  // Error(FailedPrecondition) naming the machines while any use it, unless force.
  void remove(const std::string& network, bool force);

 private:
  std::filesystem::path config_path(const std::string& name) const {
    return network_dir(name) / "config.json";
  }
  VdeSwitch switch_for(const std::string& name) const;
  std::optional<NetworkConfig> load(const std::string& name) const;
  void save(const NetworkConfig& net) const;
  std::string free_default_subnet() const;
  std::vector<Subnet> host_routes() const;
  // Starts the switch of `net` (not running); returns why it has no host interface, or "".
  std::string start_switch(NetworkConfig& net);
  Attachment attach_locked(const std::string& network, const std::string& machine, const std::string& subnet,
                           const std::string& preferred);

  std::filesystem::path root_;
  ProcessRunner& runner_;
  SwitchOptions switch_options_;
};

// Throws Error(InvalidArgument) unless valid_network_name(name).
void require_valid_network_name(const std::string& name);

}  // namespace machine::drivers::network
