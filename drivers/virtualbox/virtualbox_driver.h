#pragma once
// `virtualbox`: a VirtualBox VM per machine, driven through VBoxManage only, with
// docker-machine's flags, defaults, messages and config.json fields. Networking: NIC 1 is
// NAT with SSH and engine forwards on 127.0.0.1 (engine URL tcp://127.0.0.1:PORT, as with
// QEMU); NIC 2 is host-only with a static address the driver picks and hands to the guest
// in the NoCloud seed, which is what `machine ip` shows (no guest additions, no SSH needed).
// Files: <machine_dir>/disk.vmdk, seed.iso, serial.log and the VM folder <machine_dir>/<name>/.
#include <chrono>
#include <functional>
#include <memory>
#include <set>

#include "drivers/base.h"
#include "drivers/driver.h"
#include "drivers/virtualbox/guest_media.h"
#include "drivers/virtualbox/host_probe.h"
#include "drivers/virtualbox/hostonly_setup.h"
#include "drivers/virtualbox/network.h"
#include "drivers/virtualbox/vbox_manage.h"

namespace machine::drivers {

// Persisted as config.json's "Driver" (docker-machine's names, plus the last five).
struct VirtualBoxConfig {
  BaseConfig base;
  int cpu = 1;                                    // CPU (-1 or 0: all host CPUs, at most 32)
  int memory = 1024;                              // Memory (MB)
  int disk_size = 20000;                          // DiskSize (MB)
  std::string nat_nic_type = "virtio";            // NatNicType (docker-machine: 82540EM)
  std::string boot2docker_url;                    // Boot2DockerURL: a local disk image, else ignored
  bool host_dns_resolver = false;                 // HostDNSResolver
  std::string hostonly_cidr = "192.168.99.1/24";  // HostOnlyCIDR
  std::string hostonly_nic_type = "virtio";       // HostOnlyNicType (docker-machine: 82540EM)
  std::string hostonly_promisc = "deny";          // HostOnlyPromiscMode
  std::string ui_type = "headless";               // UIType
  bool hostonly_no_dhcp = false;                  // HostOnlyNoDHCP
  bool no_share = false;                          // NoShare
  bool dns_proxy = true;                          // DNSProxy
  bool no_vtx_check = false;                      // NoVTXCheck
  std::string share_folder;                       // ShareFolder ("dir:name")
  int engine_port = 0;                            // EnginePort: 127.0.0.1 forward to 2376
  std::string nat_mac;                            // NatMAC ("080027..")
  std::string hostonly_mac;                       // HostOnlyMAC
  std::string hostonly_adapter;                   // HostOnlyAdapter ("vboxnet0")
  bool hostonly_created = false;                  // HostOnlyCreated: rm removes it when unused
  // VMUUID: the VM this machine created (createvm --uuid, chosen in prepare, so rollback
  // knows it too). rm and rollback touch only that VM, never a user's VM of the same name.
  std::string vm_uuid;

  nlohmann::json to_json() const;
  void from_json(const nlohmann::json& j);
};

struct VirtualBoxOptions {
  std::shared_ptr<virtualbox::HostProbe> probe;   // null: the real host
  std::shared_ptr<virtualbox::GuestMedia> media;  // null: machine OS image + NoCloud seed
  virtualbox::LocateEnv locate = virtualbox::current_locate_env();
  std::function<int(int)> random;                        // 0..n-1; null: std::random_device
  std::function<void(std::chrono::milliseconds)> sleep;  // null: really sleep
  std::chrono::seconds stop_timeout{120};                // acpipowerbutton until poweroff
};

class VirtualBoxDriver final : public Driver {
 public:
  explicit VirtualBoxDriver(const Context& ctx, VirtualBoxOptions options = {});

  std::string_view name() const override { return "virtualbox"; }
  // Published ports: NAT adapter 1 forwards them from 127.0.0.1 (the host-only address
  // reaches them too, as with docker-machine).
  Features features() const override {
    return {.lifecycle = true,
            .ssh = true,
            .provision = true,
            .seed = true,
            .private_network = true,
            .port_forwarding = true,
            .restart = true};
  }
  static std::vector<Flag> flags();  // the registry's flag table
  void configure(const FlagValues& flags) override;
  void pre_create_check() override;
  std::vector<std::string> prepare() override;
  void create(const CreateSpec& spec) override;
  void wait_ready(std::chrono::seconds timeout) override;
  void start() override;
  void resume() override;
  void stop() override;
  void kill() override;
  void restart() override;
  void remove() override;
  StateInfo state() override;
  std::string ip() override;
  std::string engine_url() override;
  SshAddress ssh_address() override;
  std::vector<std::string> host_keys() override;
  void add_forward(const PortForward& f) override;
  void remove_forward(const PortForward& f) override;
  nlohmann::json to_json() const override { return config_.to_json(); }
  void from_json(const nlohmann::json& j) override { config_.from_json(j); }

  const VirtualBoxConfig& config() const { return config_; }

 private:
  virtualbox::VBoxManage& vbm();
  std::filesystem::path file(std::string_view name) const;
  std::filesystem::path vm_dir() const;
  // "running", "poweroff", ...; "" when VirtualBox does not know the VM.
  std::string vm_state();
  std::string vm_state(const std::string& vm);  // by name or UUID; "" when VirtualBox has none
  void refuse_existing_vm();
  std::vector<std::string> nat_rules();  // NAT adapter 1's forwarding rules, as VirtualBox lists them
  virtualbox::HostOnlyResult ensure_network();
  void attach_hostonly_nic();
  void start_vm();
  void move_busy_forwards();
  void create_disk(const std::filesystem::path& base);
  std::string image_path();         // local_image(), with a notice when the URL is ignored
  std::string local_image() const;  // the local disk image --virtualbox-boot2docker-url names
  std::vector<std::pair<std::string, std::string>> shares();
  std::string vbox_log_last_line();
  int random(int n);
  void sleep(std::chrono::milliseconds d);

  Context ctx_;
  VirtualBoxOptions options_;
  VirtualBoxConfig config_;
  std::unique_ptr<virtualbox::VBoxManage> vbm_;
};

}  // namespace machine::drivers
