// The engine configuration as data: daemon.json, systemd drop-in, OpenRC conf.d and machine
// OS defaults against golden files in tests/provisioner/golden/.
#include "provisioner/engine_config.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "machine/error.h"
#include "provisioner/provision.h"
#include "tests/support/golden.h"
#include "tests/support/temp_dir.h"

namespace machine::provision {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string golden_path(const std::string& name) {
  return std::string(MACHINE_SOURCE_DIR) + "/tests/provisioner/golden/" + name;
}

void expect_golden(const std::string& name, const std::string& actual) {
  machine::testing::expect_golden_file(golden_path(name), actual);
}

std::string unit(const std::string& name) {
  return machine::testing::read_file(golden_path("units/" + name));
}

// Everything docker-machine's --engine-* flags can set.
EngineOptions full_options() {
  EngineOptions o;
  o.labels = {"env=test", "team=infra"};
  o.insecure_registry = {"registry.local:5000"};
  o.registry_mirror = {"https://mirror.example.com"};
  o.storage_driver = "overlay2";
  o.env = {"HTTP_PROXY=http://proxy:3128", "NO_PROXY=localhost,127.0.0.1", "ODD=a \"quoted\" 100% $value"};
  o.arbitrary_flags = {"log-driver=json-file", "log-opt max-size=10m", "--debug",
                       "label=from-opt=1",     "dns=192.0.2.53",       "default-ulimit=nofile=1024:2048"};
  return o;
}

TEST(DaemonJson, MinimalHasTlsOnAndBothHosts) {
  expect_golden("daemon-minimal.json", daemon_json(EngineOptions{}, TlsRemotePaths{}, 2376));
}

TEST(DaemonJson, FullMergesEngineOptsThatDaemonJsonHolds) {
  expect_golden("daemon-full.json", daemon_json(full_options(), TlsRemotePaths{}, 2376));
}

TEST(DaemonJson, TlsVerifyCannotBeTurnedOff) {
  EngineOptions o;
  o.tls_verify = false;
  auto d = engine_config(o, TlsRemotePaths{}, 12376).daemon;
  EXPECT_EQ(d["tls"], true);
  EXPECT_EQ(d["tlsverify"], true);
  EXPECT_EQ(d["hosts"][0], "tcp://0.0.0.0:12376");
}

TEST(DaemonJson, RejectsEngineOptsThatWouldChangeTls) {
  for (std::string opt : {"tlsverify=false", "--tls=false", "tlscacert=/x", "tlscert=/x", "tlskey=/x",
                          "config-file=/etc/other.json"}) {
    EngineOptions o;
    o.arbitrary_flags = {opt};
    try {
      engine_config(o, TlsRemotePaths{}, 2376);
      ADD_FAILURE() << opt << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::InvalidArgument) << opt;
    }
  }
}

TEST(DaemonJson, RejectsBadEnvAndPort) {
  EngineOptions o;
  o.env = {"NOEQUALS"};
  EXPECT_THROW(engine_config(o, TlsRemotePaths{}, 2376), Error);
  o.env = {"1BAD=x"};
  EXPECT_THROW(engine_config(o, TlsRemotePaths{}, 2376), Error);
  EXPECT_THROW(engine_config(EngineOptions{}, TlsRemotePaths{}, 0), Error);
  EXPECT_THROW(engine_config(EngineOptions{}, TlsRemotePaths{}, 70000), Error);
}

TEST(DaemonJson, ExtraHostFromEngineOptStaysUnderTls) {
  EngineOptions o;
  o.arbitrary_flags = {"H=tcp://0.0.0.0:2377", "-H unix:///var/run/docker.sock"};
  auto c = engine_config(o, TlsRemotePaths{}, 2376);
  EXPECT_EQ(c.daemon["hosts"],
            nlohmann::json({"tcp://0.0.0.0:2376", "unix:///var/run/docker.sock", "tcp://0.0.0.0:2377"}));
  EXPECT_TRUE(c.flags.empty());  // a -H flag next to "hosts" would stop dockerd from starting
  EXPECT_EQ(c.daemon["tlsverify"], true);
}

TEST(EngineConfig, KeepsOtherFlagsInOrderAndSplitsEnv) {
  auto c = engine_config(full_options(), TlsRemotePaths{}, 2376);
  EXPECT_EQ(c.flags, (std::vector<std::string>{"--log-driver=json-file", "--log-opt=max-size=10m", "--debug",
                                               "--default-ulimit=nofile=1024:2048"}));
  ASSERT_EQ(c.env.size(), 3u);
  EXPECT_EQ(c.env[1], (std::pair<std::string, std::string>{"NO_PROXY", "localhost,127.0.0.1"}));
}

TEST(DistroExecStart, DebianUnitLosesOnlyTheHostFlag) {
  EXPECT_EQ(distro_exec_start(unit("debian-12-docker.io.service")),
            (std::vector<std::string>{"/usr/sbin/dockerd", "--containerd=/run/containerd/containerd.sock",
                                      "$DOCKER_OPTS"}));
  EXPECT_EQ(distro_exec_start(unit("docker-ce.service")),
            (std::vector<std::string>{"/usr/bin/dockerd", "--containerd=/run/containerd/containerd.sock"}));
}

TEST(DistroExecStart, JoinsContinuationLinesAndDropsEveryHostForm) {
  // The shape of Fedora's moby-engine unit: continuation lines, --host=, $OPTIONS.
  auto words = distro_exec_start(
      "[Unit]\nExecStart=/not/this\n[Service]\nExecStart=/old\nExecStart=\n"
      "ExecStart=/usr/bin/dockerd \\\n          --host=fd:// \\\n          -H unix:///x -Hfd:// --host fd:// "
      "\\\n"
      "          --exec-opt native.cgroupdriver=systemd \\\n          \"--label=a b\" $OPTIONS\n");
  EXPECT_EQ(words, (std::vector<std::string>{"/usr/bin/dockerd", "--exec-opt", "native.cgroupdriver=systemd",
                                             "\"--label=a b\"", "$OPTIONS"}));
  EXPECT_TRUE(distro_exec_start("[Service]\nType=notify\n").empty());
  // A hand-made unit with TLS flags (docker-machine era) keeps none of them.
  EXPECT_EQ(distro_exec_start("[Service]\nExecStart=/usr/bin/dockerd --tlsverify --tlscacert /a --tlscert=/b "
                              "--tlskey /c --tls=true --debug\n"),
            (std::vector<std::string>{"/usr/bin/dockerd", "--debug"}));
}

TEST(SystemdDropin, DebianFull) {
  auto c = engine_config(full_options(), TlsRemotePaths{}, 2376);
  expect_golden("dropin-debian-full.conf", systemd_dropin(c, unit("debian-12-docker.io.service")));
}

TEST(SystemdDropin, DockerCeMinimal) {
  auto c = engine_config(EngineOptions{}, TlsRemotePaths{}, 2376);
  expect_golden("dropin-docker-ce-minimal.conf", systemd_dropin(c, unit("docker-ce.service")));
}

TEST(SystemdDropin, WithoutADistroUnitStartsDockerdDirectly) {
  auto c = engine_config(EngineOptions{}, TlsRemotePaths{}, 2376);
  auto d = systemd_dropin(c, "", "/usr/local/bin/dockerd");
  EXPECT_THAT(d, HasSubstr("ExecStart=\nExecStart=/usr/local/bin/dockerd\n"));
}

TEST(SystemdDropin, NeverCarriesAHostFlag) {
  for (auto name : {"debian-12-docker.io.service", "docker-ce.service"}) {
    auto d = systemd_dropin(engine_config(full_options(), TlsRemotePaths{}, 2376), unit(name));
    EXPECT_THAT(d, Not(HasSubstr("-H ")));
    EXPECT_THAT(d, Not(HasSubstr("fd://")));
    EXPECT_THAT(d, Not(HasSubstr("tls")));
  }
}

TEST(SystemdQuote, EscapesSpecifiersVariablesAndSpaces) {
  EXPECT_EQ(systemd_quote("--debug"), "--debug");
  EXPECT_EQ(systemd_quote("--label=a b"), "\"--label=a b\"");
  EXPECT_EQ(systemd_quote("100%"), "100%%");
  EXPECT_EQ(systemd_quote("$HOME"), "$$HOME");
  EXPECT_EQ(systemd_quote("say \"x\""), "\"say \\\"x\\\"\"");
  EXPECT_EQ(systemd_quote(""), "\"\"");
}

TEST(OpenRcConfd, Full) {
  expect_golden("openrc-confd-full", openrc_confd(engine_config(full_options(), TlsRemotePaths{}, 2376)));
}

TEST(MachineOsDefaults, FullAndMinimal) {
  expect_golden("machineos-default-docker-full",
                machineos_defaults(engine_config(full_options(), TlsRemotePaths{}, 2376)));
  expect_golden("machineos-default-docker-minimal",
                machineos_defaults(engine_config(EngineOptions{}, TlsRemotePaths{}, 2376)));
}

EngineRequest request() {
  EngineRequest r;
  r.ca_pem = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
  r.server_pem = "-----BEGIN CERTIFICATE-----\nSERVER\n-----END CERTIFICATE-----";  // no final newline
  r.server_key_pem = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";
  return r;
}

TEST(EngineSeedFiles, MachineOsGetsCertsKeyDaemonJsonAndDefaults) {
  auto files = engine_seed_files(request());
  ASSERT_EQ(files.size(), 5u);
  std::string listing;
  for (const auto& f : files) listing += fmt::format("{:04o} {}\n", f.mode, f.path);
  expect_golden("seed-files.txt", listing);
  EXPECT_EQ(files[1].content.back(), '\n');  // normalised so the seed's copy compares equal
  EXPECT_EQ(files[2].mode, 0600u);           // the server key
  EXPECT_EQ(files[3].content, daemon_json(EngineOptions{}, TlsRemotePaths{}, 2376));
}

TEST(EngineFiles, InitFileFollowsTheInitSystem) {
  auto r = request();
  EXPECT_EQ(engine_files(InitSystem::Systemd, r, unit("docker-ce.service")).back().path,
            "/etc/systemd/system/docker.service.d/10-machine.conf");
  EXPECT_EQ(engine_files(InitSystem::OpenRc, r).back().path, "/etc/conf.d/docker");
  EXPECT_EQ(engine_files(InitSystem::MachineDocker, r).back().path, "/etc/default/docker");
  for (auto init : {InitSystem::Systemd, InitSystem::OpenRc, InitSystem::MachineDocker})
    for (const auto& f : engine_files(init, r))
      EXPECT_EQ(f.mode, f.path == "/etc/docker/server-key.pem" ? 0600u : 0644u) << f.path;
}

}  // namespace
}  // namespace machine::provision
