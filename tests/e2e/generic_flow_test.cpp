// The generic driver against a real host: a guest booted by the QEMU driver, reached only
// through its SSH port on 127.0.0.1. The generic machine provisions that host's engine with
// its own server certificate and the docker CLI reaches it over TLS.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_env.h"

namespace machine::e2e {
namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

TEST(GenericDriver, ProvisionsAnExistingSshHost) {
  Store s;
  auto host = s.machine("create --qemu-restrict-network --no-docker-context hostvm");
  ASSERT_EQ(host.status, 0) << host.out;
  auto ssh_port = trimmed(s.machine("inspect -f '{{.Driver.SSHPort}}' hostvm").out);
  auto user = trimmed(s.machine("inspect -f '{{.Driver.SSHUser}}' hostvm").out);
  auto url = trimmed(s.machine("url hostvm").out);
  auto engine_port = url.substr(url.rfind(':') + 1);
  auto key = (s.path() / "machines/hostvm/id_ed25519").string();
  ASSERT_FALSE(ssh_port.empty());

  auto gen = s.machine("create -d generic --generic-ip-address 127.0.0.1 --generic-ssh-port " + ssh_port +
                       " --generic-ssh-user " + user + " --generic-ssh-key " + key +
                       " --generic-engine-port " + engine_port + " gen1");
  ASSERT_EQ(gen.status, 0) << gen.out;
  EXPECT_NE(gen.out.find("Provisioning with"), std::string::npos) << gen.out;
  EXPECT_EQ(trimmed(s.machine("status gen1").out), "Running");

  // The host key seen on first connect is pinned in the machine's known_hosts.
  EXPECT_TRUE(std::filesystem::exists(s.path() / "machines/gen1/known_hosts"));
  auto r = s.with_env("gen1", "docker info --format '{{.Name}}'");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(trimmed(s.machine("ssh gen1 -- echo via-generic").out), "via-generic");

  // Removing the generic machine leaves the host itself alone.
  ASSERT_EQ(s.machine("rm -y gen1").status, 0);
  EXPECT_EQ(trimmed(s.machine("status hostvm").out), "Running");
  ASSERT_EQ(s.machine("rm -y hostvm").status, 0);
}

}  // namespace
}  // namespace machine::e2e
