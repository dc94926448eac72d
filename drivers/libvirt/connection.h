#pragma once
// A thin RAII layer over the libvirt C API: one connection, name-based calls, and every
// libvirt failure turned into machine::Error with libvirt's own message and a code
// (NotFound for a missing domain/pool/volume, Unavailable for a dead connection, ...).
#include <libvirt/libvirt.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "machine/error.h"

namespace machine::drivers::libvirt {

// Throws Error(<code mapped from libvirt's last error>, "<context>: <libvirt message>").
[[noreturn]] void fail_libvirt(std::string_view context);

// What virDomainGetState reports (VIR_DOMAIN_* state and its reason).
struct RawState {
  int state = VIR_DOMAIN_NOSTATE;
  int reason = 0;
};

struct VolumeInfo {
  std::string path;       // on the hypervisor host
  uint64_t capacity = 0;  // guest-visible size
  uint64_t physical = 0;  // bytes the file takes (what an upload wrote)
};

class Connection {
 public:
  // Opens `uri` (read-write). A missing or unreachable daemon gives Error(Unavailable)
  // saying how to start it.
  explicit Connection(const std::string& uri);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virConnectPtr get() const { return conn_; }
  const std::string& uri() const { return uri_; }
  std::string hostname() const;  // the hypervisor host's name (for messages)

  // Domains, by name. Lifecycle calls on an absent domain throw Error(NotFound).
  bool domain_exists(const std::string& name);
  // Returns the domain's UUID.
  std::string define_domain(const std::string& name, const std::string& xml);
  std::optional<std::string> domain_uuid(const std::string& name);  // nullopt: not defined
  void start_domain(const std::string& name);
  void suspend_domain(const std::string& name);
  void resume_domain(const std::string& name);
  void shutdown_domain(const std::string& name);                  // ACPI power button
  void destroy_domain(const std::string& name);                   // immediate; no-op when not running
  void undefine_domain(const std::string& name);                  // no-op when absent
  std::optional<RawState> domain_state(const std::string& name);  // nullopt: not defined
  std::string domain_xml_desc(const std::string& name,
                              bool inactive = false);  // inactive: the persistent definition
  // A human monitor (HMP) command on a running QEMU domain, through libvirt-qemu's
  // passthrough; returns QEMU's text reply (port forwards on the user netdev).
  std::string qemu_monitor_command(const std::string& name, const std::string& hmp);

  // Storage. ensure_pool() makes a defined pool active (starting it when inactive).
  bool pool_exists(const std::string& pool);
  void ensure_pool(const std::string& pool);
  void define_dir_pool(const std::string& pool, const std::string& xml);
  std::optional<VolumeInfo> volume_info(const std::string& pool, const std::string& name);
  VolumeInfo create_volume(const std::string& pool, const std::string& name, const std::string& xml);
  // Streams the local `file` into the existing volume (works over remote connections).
  void upload_volume(const std::string& pool, const std::string& name, const std::filesystem::path& file);
  void delete_volume(const std::string& pool, const std::string& name);  // no-op when absent
  // The volume's bytes (at most `max_bytes` from the start), streamed from the host.
  std::string download_volume(const std::string& pool, const std::string& name, uint64_t max_bytes);

  // nullopt when no network of that name is defined.
  std::optional<bool> network_active(const std::string& network);
  // IPv4 addresses the network's DHCP server leased to the domain.
  std::vector<std::string> domain_lease_addresses(const std::string& name);
  std::string capabilities();  // virConnectGetCapabilities XML

 private:
  std::string uri_;
  virConnectPtr conn_ = nullptr;
};

}  // namespace machine::drivers::libvirt
