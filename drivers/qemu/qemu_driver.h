#pragma once
// `qemu`, the default driver: a QEMU process per machine, user-mode networking with port
// forwards on 127.0.0.1 (SSH and the engine), QMP for control, the machine OS booted
// directly from its kernel. Everything lives in the machine directory
// (machine_files: disk.qcow2, seed.iso, serial.log, qemu.pid, qmp.sock, vm.log).
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "drivers/common/accel.h"
#include "drivers/driver.h"
#include "drivers/qemu/qemu_argv.h"
#include "drivers/qemu/qemu_config.h"

namespace machine::drivers {

struct QemuDriverOptions {
  std::function<HostVirt()> probe = probe_host_virt;  // accelerator probing (fakes in tests)
  std::chrono::seconds stop_timeout{60};              // ACPI powerdown, then SIGKILL
  std::chrono::seconds launch_timeout{30};            // spawn until QMP answers
};

class QemuDriver final : public Driver {
 public:
  explicit QemuDriver(const Context& ctx, QemuDriverOptions options = {});

  std::string_view name() const override { return "qemu"; }
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
  // The private network address when the machine has one (the engine stays on 127.0.0.1).
  std::string ip() override { return config_.private_ip.empty() ? "127.0.0.1" : config_.private_ip; }
  std::string engine_url() override;
  SshAddress ssh_address() override;
  std::vector<std::string> host_keys() override;
  void add_forward(const PortForward& f) override;
  void remove_forward(const PortForward& f) override;
  std::string publish_address() override { return config_.publish_address; }
  nlohmann::json to_json() const override;
  void from_json(const nlohmann::json& j) override;

  const qemu::QemuConfig& config() const { return config_; }
  // The launch spec start() uses; `private_nic` is the swarm hook.
  qemu::VmSpec vm_spec() const;
  std::optional<qemu::PrivateNic> private_nic;

 private:
  std::filesystem::path file(std::string_view name) const;
  void create_disk();
  void launch();
  // Moves a host port forward (SSH, engine) whose port another program took while the machine
  // was stopped; the caller saves the config and refreshes the docker context.
  void move_taken_ports();
  void wait_gone(int pid, std::chrono::milliseconds timeout);
  void clear_runtime_files();
  void stop_helpers();  // virtiofsd of the mounts

  Context ctx_;
  QemuDriverOptions options_;
  qemu::QemuConfig config_;
  std::shared_ptr<const void> image_hold_;  // create's shared hold on the image cache
};

}  // namespace machine::drivers
