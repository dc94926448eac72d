#include "tests/drivers/virtualbox/vbox_fixture.h"

#include <fstream>
#include <sstream>

namespace machine::testing {

void VBoxTest::set_env(const std::string& k, const std::string& v) {
  if (!saved_env_.count(k)) {
    const char* old = std::getenv(k.c_str());
    saved_env_[k] = old ? std::optional<std::string>(old) : std::nullopt;
  }
  ::setenv(k.c_str(), v.c_str(), 1);
}

void VBoxTest::SetUp() {
  const char* path = std::getenv("PATH");
  set_env("PATH", std::string(MACHINE_SOURCE_DIR) +
                      "/tests/drivers/virtualbox/fake:" + (path ? path : "/usr/bin:/bin"));
  set_env("VBOX_USER_HOME", (tmp_.path() / "vbox").string());
  set_env("FAKE_VBOX_NETWORKS_CONF", (tmp_.path() / "networks.conf").string());
  // Like a host where docker-machine's default range was allowed in networks.conf.
  write_file(tmp_.path() / "networks.conf", "* 192.168.99.0/24 10.20.0.0/16\n");
  probe_->networks = "* 192.168.99.0/24 10.20.0.0/16\n";
  for (const char* k : {"FAKE_VBOX_VERSION", "FAKE_VBOX_FAIL", "FAKE_VBOX_ACPI", "FAKE_VBOX_ACPI_POLLS"}) {
    set_env(k, "");
    ::unsetenv(k);
  }
  std::filesystem::create_directories(tmp_.path() / "machines");
  media_->base = tmp_.path() / "base.qcow2";
  auto r = runner_->run(Command{"qemu-img", {"create", "-q", "-f", "qcow2", media_->base.string(), "64M"}});
  ASSERT_TRUE(r.ok()) << r.err;
}

void VBoxTest::TearDown() {
  for (const auto& [k, v] : saved_env_) {
    if (v)
      ::setenv(k.c_str(), v->c_str(), 1);
    else
      ::unsetenv(k.c_str());
  }
}

std::unique_ptr<drivers::VirtualBoxDriver> VBoxTest::driver(const std::string& name,
                                                            const std::map<std::string, std::string>& flags) {
  drivers::Context ctx{name, machine_dir(name), tmp_.path(), *runner_, progress_};
  drivers::VirtualBoxOptions o;
  o.probe = probe_;
  o.media = media_;
  o.random = [this](int n) { return ++counter_ % n; };
  o.sleep = [](std::chrono::milliseconds) {};
  o.stop_timeout = std::chrono::seconds(5);
  auto d = std::make_unique<drivers::VirtualBoxDriver>(ctx, o);
  drivers::FlagValues values;
  for (const auto& [k, v] : flags) values.set(k, {v});
  d->configure(values);
  return d;
}

std::string VBoxTest::vbox(const std::vector<std::string>& args) {
  auto r = runner_->run(Command{"VBoxManage", args});
  EXPECT_TRUE(r.ok()) << r.err;
  return r.out;
}

std::vector<std::string> VBoxTest::calls() {
  std::vector<std::string> out;
  std::ifstream in(tmp_.path() / "vbox" / "calls.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    std::string joined;
    for (const auto& a : nlohmann::json::parse(line))
      joined += (joined.empty() ? "" : " ") + a.get<std::string>();
    out.push_back(joined);
  }
  return out;
}

void VBoxTest::clear_calls() { std::filesystem::remove(tmp_.path() / "vbox" / "calls.jsonl"); }

nlohmann::json VBoxTest::fake_state() {
  std::ifstream in(tmp_.path() / "vbox" / "fake-state.json");
  if (!in)
    return nlohmann::json{{"vms", nlohmann::json::object()},
                          {"hostonlyifs", nlohmann::json::array()},
                          {"dhcpservers", nlohmann::json::object()}};
  return nlohmann::json::parse(in);
}

void VBoxTest::set_vm_state(const std::string& vm, const std::string& state) {
  auto st = fake_state();
  st["vms"][vm]["VMState"] = state;
  write_file(tmp_.path() / "vbox" / "fake-state.json", st.dump(1));
}

}  // namespace machine::testing
