#pragma once
// Shared set-up for the VirtualBox driver tests: the fake VBoxManage
// (tests/drivers/virtualbox/fake/VBoxManage, first in PATH, its state in VBOX_USER_HOME under the
// test's temp dir), a hermetic host probe, a tiny real qcow2 base image and the real seed
// writer (xorriso), driven through the real process runner.
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "drivers/common/guest_image.h"
#include "drivers/virtualbox/virtualbox_driver.h"
#include "machine/process_runner.h"
#include "machine/progress.h"
#include "tests/support/recording_progress.h"
#include "tests/support/temp_dir.h"

namespace machine::testing {

class FakeHostProbe final : public drivers::virtualbox::HostProbe {
 public:
  std::string os_name = "linux";
  bool hw_virt = true;
  bool hyperv = false;
  std::vector<drivers::virtualbox::HostNet> nets;
  std::vector<std::filesystem::path> dirs;
  std::optional<std::string> networks;  // /etc/vbox/networks.conf content

  std::string os() override { return os_name; }
  bool hw_virt_available() override { return hw_virt; }
  bool hyperv_enabled() override { return hyperv; }
  std::vector<drivers::virtualbox::HostNet> host_networks() override { return nets; }
  bool is_directory(const std::filesystem::path& p) override {
    for (const auto& d : dirs)
      if (d == p) return true;
    return false;
  }
  int cpu_count() override { return 4; }
  std::optional<std::string> networks_conf() override { return networks; }
};

class TestMedia final : public drivers::virtualbox::GuestMedia {
 public:
  std::filesystem::path base;
  std::vector<guest::SeedConfig> seeds;
  std::filesystem::path base_image(const drivers::Context&, const std::string&) override { return base; }
  void write_seed(const drivers::Context& ctx, const drivers::CreateSpec& spec,
                  const guest::PrivateNetwork& net, const std::filesystem::path& iso) override {
    seeds.push_back(drivers::common::seed_config(spec, net));
    guest::write_seed_iso(ctx.runner, seeds.back(), iso);
  }
};

class VBoxTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A driver for machine `name` configured from `flags` (name -> value).
  std::unique_ptr<drivers::VirtualBoxDriver> driver(const std::string& name = "vm1",
                                                    const std::map<std::string, std::string>& flags = {});
  // Runs the fake directly (test set-up of pre-existing VirtualBox state).
  std::string vbox(const std::vector<std::string>& args);
  // VBoxManage argv lines since the last clear_calls(), as "a b c".
  std::vector<std::string> calls();
  void clear_calls();
  nlohmann::json fake_state();
  void set_vm_state(const std::string& vm, const std::string& state);
  std::filesystem::path machine_dir(const std::string& name) const { return tmp_.path() / "machines" / name; }

  TempDir tmp_;
  std::unique_ptr<ProcessRunner> runner_ = make_system_process_runner();
  RecordingProgress progress_;
  std::shared_ptr<FakeHostProbe> probe_ = std::make_shared<FakeHostProbe>();
  std::shared_ptr<TestMedia> media_ = std::make_shared<TestMedia>();
  int counter_ = 0;  // the drivers' "random" numbers: 1, 2, 3, ...

 private:
  std::map<std::string, std::optional<std::string>> saved_env_;
  void set_env(const std::string& k, const std::string& v);
};

// VBoxTest with machine vm1 already prepared and created (d_), and the calls so far cleared.
class VBoxCreatedTest : public VBoxTest {
 protected:
  void SetUp() override {
    VBoxTest::SetUp();
    d_ = driver();
    d_->prepare();
    d_->create(drivers::CreateSpec{"vm1", "", {}});
    clear_calls();
  }
  std::unique_ptr<drivers::VirtualBoxDriver> d_;
};

}  // namespace machine::testing
