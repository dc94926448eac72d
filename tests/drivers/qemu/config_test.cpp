// Create flags: defaults, env fallbacks, validation before anything exists, and the
// persisted config.json form.
#include <gtest/gtest.h>

#include "drivers/qemu/qemu_config.h"
#include "machine/error.h"

namespace machine::drivers::qemu {
namespace {

const Flag* find_flag(const std::vector<Flag>& flags, const std::string& name) {
  for (const auto& f : flags)
    if (f.name == name) return &f;
  return nullptr;
}

TEST(QemuFlags, EveryFlagHasAnEnvFallbackAndTheDocumentedDefault) {
  auto flags = qemu_flags();
  std::map<std::string, std::pair<std::string, std::string>> want{
      {"qemu-memory", {"QEMU_MEMORY", "1024"}},
      {"qemu-cpus", {"QEMU_CPUS", "2"}},
      {"qemu-disk-size", {"QEMU_DISK_SIZE", "20000"}},
      {"qemu-image", {"QEMU_IMAGE", ""}},
      {"qemu-accel", {"QEMU_ACCEL", "auto"}},
      {"qemu-binary", {"QEMU_BINARY", "qemu-system-x86_64"}},
      {"qemu-restrict-network", {"QEMU_RESTRICT_NETWORK", "false"}},
      {"qemu-network", {"QEMU_NETWORK", ""}},
      {"qemu-network-subnet", {"QEMU_NETWORK_SUBNET", ""}},
      {"qemu-publish-address", {"QEMU_PUBLISH_ADDRESS", "127.0.0.1"}},
  };
  EXPECT_EQ(flags.size(), want.size());
  for (const auto& [name, env_default] : want) {
    auto f = find_flag(flags, name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->env, env_default.first);
    EXPECT_EQ(f->default_value, env_default.second);
    EXPECT_FALSE(f->usage.empty());
  }
}

FlagValues values(std::map<std::string, std::string> v) {
  FlagValues f;
  for (auto& [k, val] : v) f.set(k, {val});
  return f;
}

TEST(QemuFlags, AppliesValues) {
  QemuConfig c;
  apply_flags(c,
              values({{"qemu-memory", "2048"},
                      {"qemu-cpus", "4"},
                      {"qemu-disk-size", "5000"},
                      {"qemu-accel", "tcg"},
                      {"qemu-binary", "/opt/qemu"},
                      {"qemu-restrict-network", "true"},
                      {"qemu-image", "/img.qcow2"}}),
              8192);
  EXPECT_EQ(c.memory_mb, 2048);
  EXPECT_EQ(c.cpus, 4);
  EXPECT_EQ(c.disk_size_mb, 5000);
  EXPECT_EQ(c.accel_requested, Accel::Tcg);
  EXPECT_EQ(c.binary, "/opt/qemu");
  EXPECT_TRUE(c.restrict_network);
  EXPECT_EQ(c.image, "/img.qcow2");
  EXPECT_EQ(c.publish_address, "127.0.0.1") << "published ports stay on loopback unless asked";
  apply_flags(c, values({{"qemu-publish-address", "0.0.0.0"}}), 8192);
  EXPECT_EQ(c.publish_address, "0.0.0.0");
  EXPECT_EQ(to_json(c)["PublishAddress"], "0.0.0.0");
}

void expect_invalid(std::map<std::string, std::string> v, const std::string& mention) {
  QemuConfig c;
  try {
    apply_flags(c, values(std::move(v)), 8192);
    ADD_FAILURE() << "expected an error mentioning " << mention;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
  }
}

TEST(QemuFlags, RejectsBadValuesNamingTheFlag) {
  expect_invalid({{"qemu-memory", "128"}}, "--qemu-memory");
  expect_invalid({{"qemu-memory", "100000"}}, "8192 MB");
  expect_invalid({{"qemu-memory", "lots"}}, "--qemu-memory");
  expect_invalid({{"qemu-cpus", "0"}}, "--qemu-cpus");
  expect_invalid({{"qemu-cpus", "1000"}}, "--qemu-cpus");
  expect_invalid({{"qemu-disk-size", "10"}}, "--qemu-disk-size");
  expect_invalid({{"qemu-accel", "xen"}}, "--qemu-accel");
  expect_invalid({{"qemu-publish-address", "localhost"}}, "--qemu-publish-address");
  expect_invalid({{"qemu-restrict-network", "maybe"}}, "--qemu-restrict-network");
}

TEST(QemuConfigJson, RoundTripsAndUsesDockerMachineBaseNames) {
  QemuConfig c;
  c.base.machine_name = "vm1";
  c.base.ip_address = "127.0.0.1";
  c.base.ssh_port = 40022;
  c.base.ssh_user = "docker";
  c.engine_port = 40376;
  c.accel_requested = Accel::Auto;
  c.accel = Accel::Tcg;
  c.kernel = "/cache/vmlinuz";
  c.restrict_network = true;
  auto j = to_json(c);
  EXPECT_EQ(j["MachineName"], "vm1");
  EXPECT_EQ(j["SSHPort"], 40022);
  EXPECT_EQ(j["EnginePort"], 40376);
  EXPECT_EQ(j["Accel"], "tcg");
  EXPECT_EQ(j["AccelRequested"], "auto");
  auto back = qemu_config_from_json(j);
  EXPECT_EQ(to_json(back), j);
}

TEST(QemuConfigJson, MissingFieldsKeepDefaults) {
  auto c = qemu_config_from_json(nlohmann::json::object());
  EXPECT_EQ(c.memory_mb, 1024);
  EXPECT_EQ(c.cpus, 2);
  EXPECT_EQ(c.binary, "qemu-system-x86_64");
}

}  // namespace
}  // namespace machine::drivers::qemu
