#include <gtest/gtest.h>

#include "drivers/libvirt/libvirt_config.h"
#include "machine/error.h"

namespace machine::drivers::libvirt {
namespace {

FlagValues values(std::initializer_list<std::pair<std::string, std::string>> kv) {
  FlagValues f;
  for (const auto& [k, v] : kv) f.set(k, {v});
  return f;
}

TEST(LibvirtFlags, EveryFlagHasALibvirtEnvFallback) {
  auto flags = libvirt_flags();
  ASSERT_GE(flags.size(), 7u);
  for (const auto& f : flags) {
    EXPECT_EQ(f.name.rfind("libvirt-", 0), 0u) << f.name;
    EXPECT_EQ(f.env.rfind("LIBVIRT_", 0), 0u) << f.name;
  }
  EXPECT_EQ(flags[0].name, "libvirt-uri");
  EXPECT_EQ(flags[0].default_value, "qemu:///system");
}

TEST(LibvirtFlags, AppliesValues) {
  LibvirtConfig c;
  apply_flags(c, values({{"libvirt-uri", "qemu+ssh://me@host/system"},
                         {"libvirt-memory", "2048"},
                         {"libvirt-cpus", "4"},
                         {"libvirt-disk-size", "5000"},
                         {"libvirt-pool", "fast"},
                         {"libvirt-network", "machines"},
                         {"libvirt-domain-type", "qemu"},
                         {"libvirt-restrict-network", "true"}}));
  EXPECT_EQ(c.uri, "qemu+ssh://me@host/system");
  EXPECT_EQ(c.memory_mb, 2048);
  EXPECT_EQ(c.cpus, 4);
  EXPECT_EQ(c.disk_size_mb, 5000);
  EXPECT_EQ(c.pool, "fast");
  EXPECT_EQ(c.network, "machines");
  EXPECT_EQ(c.domain_type_requested, "qemu");
  EXPECT_TRUE(c.restrict_network);
}

TEST(LibvirtFlags, RejectsBadValuesNamingTheFlag) {
  LibvirtConfig c;
  auto expect_bad = [&](const std::string& flag, const std::string& value) {
    try {
      apply_flags(c, values({{flag, value}}));
      ADD_FAILURE() << flag << "=" << value << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find("--" + flag), std::string::npos) << e.what();
    }
  };
  expect_bad("libvirt-memory", "100");
  expect_bad("libvirt-memory", "lots");
  expect_bad("libvirt-cpus", "0");
  expect_bad("libvirt-disk-size", "10");
  expect_bad("libvirt-domain-type", "xen");
  expect_bad("libvirt-uri", "nonsense");
}

TEST(LibvirtConfigJson, RoundTripsWithDockerMachineBaseFields) {
  LibvirtConfig c;
  c.base.machine_name = "vm1";
  c.base.ip_address = "127.0.0.1";
  c.base.ssh_port = 40022;
  c.base.ssh_user = "docker";
  c.uri = "qemu:///session";
  c.engine_port = 40376;
  c.domain_type = "qemu";
  c.disk_volume = "vm1.qcow2";
  c.host_keys = {"ssh-ed25519 AAAA"};
  auto j = to_json(c);
  EXPECT_EQ(j["MachineName"], "vm1");
  EXPECT_EQ(j["IPAddress"], "127.0.0.1");
  EXPECT_EQ(j["SSHPort"], 40022);
  EXPECT_EQ(j["URI"], "qemu:///session");
  auto back = libvirt_config_from_json(j);
  EXPECT_EQ(to_json(back), j);
}

TEST(LibvirtUri, HostOfRemoteUris) {
  EXPECT_EQ(uri_host("qemu:///system"), "");
  EXPECT_EQ(uri_host("qemu+ssh://me@host.example:2222/system?keyfile=/k"), "host.example");
  EXPECT_EQ(uri_host("qemu+ssh://127.0.0.1/system"), "127.0.0.1");
  EXPECT_EQ(uri_host("qemu+ssh://root@[::1]:22/system"), "::1");
  EXPECT_FALSE(uri_is_remote("test:///default"));
  EXPECT_TRUE(uri_is_remote("qemu+ssh://h/system"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_FALSE(is_loopback_host("host.example"));
}

}  // namespace
}  // namespace machine::drivers::libvirt
