#pragma once
// `libvirt`: machines as libvirt domains (local qemu:///system or qemu:///session, or a
// remote host through qemu+ssh://). Disks, kernel, initrd and seed go through libvirt's
// storage API; the NIC is QEMU user-mode networking with port forwards (or a named
// libvirt network); the serial console is logged to a volume in the pool and read back
// through the storage API, so host keys and boot markers are seen on remote hosts too.
#include <chrono>
#include <functional>
#include <memory>

#include "drivers/common/guest_image.h"
#include "drivers/driver.h"
#include "drivers/libvirt/connection.h"
#include "drivers/libvirt/libvirt_config.h"

namespace machine::drivers {

class LibvirtDriver final : public Driver {
 public:
  // Seams for tests; the defaults are the real ones.
  struct Deps {
    std::function<common::BootImage(const Context&, const std::string&)> resolve_image =
        [](const Context& ctx, const std::string& image) {
          return common::resolve_boot_image(ctx, image, "--libvirt-image");
        };
    std::function<void(const Context&, const CreateSpec&, const std::filesystem::path&)> write_seed =
        [](const Context& ctx, const CreateSpec& spec, const std::filesystem::path& iso) {
          common::write_seed(ctx, spec, iso);
        };
    // Streams a local file into a volume (the seed); the test hypervisor has no uploads.
    std::function<void(libvirt::Connection&, const std::string&, const std::string&,
                       const std::filesystem::path&)>
        upload = [](libvirt::Connection& c, const std::string& pool, const std::string& volume,
                    const std::filesystem::path& file) { c.upload_volume(pool, volume, file); };
    std::shared_ptr<libvirt::Connection> connection;  // opened from the URI when null
    std::chrono::seconds stop_timeout{60};            // ACPI shutdown, then destroy
  };

  explicit LibvirtDriver(const Context& ctx);
  LibvirtDriver(const Context& ctx, Deps deps);
  ~LibvirtDriver() override;

  std::string_view name() const override { return "libvirt"; }
  Features features() const override;
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
  std::string publish_address() override { return config_.forward_bind; }
  nlohmann::json to_json() const override;
  void from_json(const nlohmann::json& j) override;

  const libvirt::LibvirtConfig& config() const { return config_; }

 private:
  libvirt::Connection& conn();
  const std::string& domain() const { return config_.base.machine_name; }
  std::string disk_volume_name() const { return domain() + ".qcow2"; }
  std::string seed_volume_name() const { return domain() + "-seed.iso"; }
  std::string console_volume_name() const { return domain() + "-console.log"; }
  bool remote() const;
  std::string console_text();
  std::string lease_address();
  void move_taken_forwards();

  Context ctx_;
  Deps deps_;
  libvirt::LibvirtConfig config_;
};

}  // namespace machine::drivers
