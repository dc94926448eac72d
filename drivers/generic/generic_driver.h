#pragma once
// `generic`: an existing host reached over SSH (any Linux the provisioner knows). No VM:
// state is a TCP dial of the SSH port; restart reboots the host over SSH. The host key is
// trusted on first use and pinned from then on.
#include "drivers/base.h"

namespace machine::drivers {

class GenericDriver final : public Driver {
 public:
  explicit GenericDriver(const Context& ctx);

  std::string_view name() const override { return "generic"; }
  Features features() const override;
  static std::vector<Flag> flags();  // the registry's flag table
  void configure(const FlagValues& flags) override;
  void pre_create_check() override;
  std::vector<std::string> prepare() override { return {base_.ip_address}; }
  void create(const CreateSpec& spec) override;
  void wait_ready(std::chrono::seconds timeout) override;
  void start() override;
  void stop() override;
  void kill() override;
  void restart() override;
  void remove() override {}  // the host is the user's: nothing of ours to delete there
  StateInfo state() override;
  std::string ip() override { return base_.ip_address; }
  std::string engine_url() override { return tcp_url(base_.ip_address, engine_port_); }
  SshAddress ssh_address() override { return {base_.ip_address, base_.ssh_port, base_.ssh_user}; }
  std::vector<std::string> host_keys() override { return {}; }
  nlohmann::json to_json() const override;
  void from_json(const nlohmann::json& j) override;

 private:
  Context ctx_;
  BaseConfig base_;
  std::string user_key_;  // --generic-ssh-key as given; copied into the machine dir at create
  int engine_port_ = 2376;
};

// True when a TCP connection to host:port succeeds within timeout.
bool tcp_reachable(const std::string& host, int port, std::chrono::milliseconds timeout);

}  // namespace machine::drivers
