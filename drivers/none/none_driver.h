#pragma once
// `none`: no VM, just the URL of an engine the user already runs. Never dials anything
// but that URL (and only when a command asks the engine).
#include "drivers/base.h"

namespace machine::drivers {

class NoneDriver final : public Driver {
 public:
  explicit NoneDriver(const Context& ctx);

  std::string_view name() const override { return "none"; }
  Features features() const override { return {}; }
  static std::vector<Flag> flags();  // the registry's flag table
  void configure(const FlagValues& flags) override;
  void pre_create_check() override {}
  std::vector<std::string> prepare() override;
  void create(const CreateSpec&) override {}
  void wait_ready(std::chrono::seconds) override {}
  void start() override;
  void stop() override;
  void kill() override;
  void restart() override;
  void remove() override {}
  StateInfo state() override { return {State::Running, ""}; }
  std::string ip() override;
  std::string engine_url() override { return url_; }
  SshAddress ssh_address() override;
  std::vector<std::string> host_keys() override { return {}; }
  nlohmann::json to_json() const override;
  void from_json(const nlohmann::json& j) override;

 private:
  BaseConfig base_;
  std::string url_;
};

}  // namespace machine::drivers
