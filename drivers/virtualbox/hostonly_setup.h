#pragma once
// Creating or reusing the host-only adapter and its DHCP server through VBoxManage, the
// way docker-machine does on every start from Stopped, and removing an adapter this
// driver created once no VM uses it.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "drivers/virtualbox/network.h"
#include "drivers/virtualbox/vbox_manage.h"
#include "machine/progress.h"

namespace machine::drivers::virtualbox {

// docker-machine's words for an adapter VirtualBox reports created but never lists.
inline constexpr std::string_view kErrNewHostOnlyAdapterNotVisible =
    "The host-only adapter we just created is not visible. This is a well known VirtualBox bug. You might "
    "want "
    "to uninstall it and reinstall at least version 5.0.12 that is is supposed to fix this issue";

struct HostOnlyOptions {
  bool dhcp = true;                                      // false: --virtualbox-hostonly-no-dhcp
  std::vector<HostNet> host_nets;                        // for the collision check
  std::function<int(int)> random;                        // 0..n-1, picks the DHCP server address
  std::function<void(std::chrono::milliseconds)> sleep;  // between polls for a new adapter
};

struct HostOnlyResult {
  std::string adapter;             // "vboxnet0"
  bool created = false;            // this call created the adapter
  std::optional<DhcpServer> dhcp;  // the adapter's DHCP server after setup
};

// Finds the adapter whose address and mask are `cidr`'s or creates one (hostonlyif create,
// then ipconfig); removes orphan DHCP servers; adds or updates the adapter's DHCP server.
// A server that already serves the right subnet with the wanted on/off state is kept as
// it is (docker-machine re-randomised its address on every start). Throws
// Error(FailedPrecondition) kErrNetworkAddrCollision, Error(Internal) with VBoxManage's
// stderr ("Failed to create the host-only adapter") when creation fails.
HostOnlyResult setup_hostonly_network(VBoxManage& vbm, const Cidr& cidr, const HostOnlyOptions& opts);

// Read-only: the adapter matching `cidr` and its DHCP server, if they exist already.
std::optional<DhcpServer> existing_dhcp_server(VBoxManage& vbm, const Cidr& cidr);

// Removes `adapter` and its DHCP server unless a registered VM uses it. Returns whether it
// removed them. Failures are ignored: the adapter is shared state, never worth failing rm.
bool remove_hostonly_if_unused(VBoxManage& vbm, const std::string& adapter);

}  // namespace machine::drivers::virtualbox
