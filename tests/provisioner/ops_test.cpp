// The operations layer without VMs: validation before anything is made, the none flow,
// removal of broken machines, and which machines depend on a cached image.
#include "provisioner/ops.h"

#include <gtest/gtest.h>

#include "machine/error.h"
#include "machine/fs.h"
#include "provisioner/ops_common.h"
#include "tests/support/recording_progress.h"
#include "tests/support/temp_dir.h"

namespace machine::ops {
namespace {

struct OpsTest : ::testing::Test {
  testing::TempDir tmp;
  Store store{tmp.path()};
  std::unique_ptr<ProcessRunner> runner = make_system_process_runner();
  NullProgress progress;
  Env env{store, *runner, progress, {}, false};

  CreateRequest none_request(const std::string& name) {
    CreateRequest r;
    r.name = name;
    r.driver = "none";
    r.flags.set("url", {"tcp://127.0.0.1:2376"});
    r.docker_context = false;
    return r;
  }
};

TEST_F(OpsTest, InvalidNameIsRejectedBeforeAnythingIsMade) {
  auto r = none_request("bad_name");
  try {
    create(env, r);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("Invalid hostname"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(store.certs_dir() / "ca.pem")) << "no side effects on bad input";
  EXPECT_TRUE(store.list().empty());
}

TEST_F(OpsTest, NoneCreateSavesConfigCertsAndClientCopies) {
  create(env, none_request("n1"));
  Host h = store.load("n1");
  EXPECT_EQ(h.driver_name, "none");
  EXPECT_EQ(h.driver["URL"], "tcp://127.0.0.1:2376");
  for (auto f : {"ca.pem", "cert.pem", "key.pem", "server.pem", "server-key.pem"})
    EXPECT_TRUE(std::filesystem::exists(store.machine_dir("n1") / f)) << f;
  EXPECT_TRUE(std::filesystem::exists(store.certs_dir() / "ca-key.pem"));
  EXPECT_EQ(url(env, "n1"), "tcp://127.0.0.1:2376");
  EXPECT_EQ(state(env, "n1").state, State::Running);
}

// Item 12 of issue 17: an address learned only after boot (a --libvirt-network DHCP lease)
// is not in the certificate issued before the VM existed; create re-issues it with
// refresh_server_cert once the driver reports the address. Real CA, real chain check.
TEST_F(OpsTest, ServerCertIsReissuedForAnAddressLearnedAfterIssue) {
  create(env, none_request("n1"));
  auto dir = store.machine_dir("n1");
  auto ca = store.certs_dir() / "ca.pem";
  auto now = std::chrono::system_clock::now();
  const std::string leased = "192.168.213.117";
  ASSERT_FALSE(certs::check_server_cert(dir / "server.pem", ca, leased, now).ok());
  auto m = detail::load(env, "n1");
  auto j = m.driver->to_json();
  j["URL"] = "tcp://" + leased + ":2376";  // what the driver knows once the lease came
  m.driver->from_json(j);
  EXPECT_TRUE(detail::refresh_server_cert(env, m));
  auto check = certs::check_server_cert(dir / "server.pem", ca, leased, now, dir / "server-key.pem");
  EXPECT_TRUE(check.ok()) << check.reason;
  EXPECT_TRUE(certs::check_server_cert(dir / "server.pem", ca, "n1", now).ok()) << "the name stays";
  EXPECT_FALSE(detail::refresh_server_cert(env, m)) << "re-issued although it covers the address";
}

TEST_F(OpsTest, CreatingTheSameNameTwiceFails) {
  create(env, none_request("n1"));
  try {
    create(env, none_request("n1"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::AlreadyExists);
  }
}

TEST_F(OpsTest, NoneLifecycleIsRefusedWithDockerMachineMessages) {
  create(env, none_request("n1"));
  try {
    stop(env, "n1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "hosts without a driver cannot be stopped");
  }
}

TEST_F(OpsTest, RemoveOfBrokenMachineNeedsForce) {
  store.create_machine_dir("broken");
  fs::write_file_atomic(store.machine_file("broken", machine_files::kConfig), "{oops", 0600);
  EXPECT_THROW(remove(env, "broken", false), Error);
  EXPECT_TRUE(store.exists("broken"));
  remove(env, "broken", true);
  EXPECT_FALSE(store.exists("broken"));
}

TEST_F(OpsTest, MachinesUsingFindsOverlaysBackedByAnImage) {
  auto image = tmp / "cache/images/machineos-1";
  std::filesystem::create_directories(image);
  for (auto [name, disk] : {std::pair{"a", image / "disk.qcow2"}, {"b", tmp / "other/disk.qcow2"}}) {
    Host h;
    h.name = name;
    h.driver_name = "none";
    h.driver = {{"BaseDisk", disk.string()}, {"Nested", {{"x", 1}}}};
    store.create_machine_dir(name);
    store.save(h);
  }
  store.create_machine_dir("broken");
  EXPECT_EQ(machines_using(env, image), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(machines_using(env, tmp / "cache/images/machineos-2").empty());
}

TEST(DockerContextName, IsTheMachineNameUnlessDockerRefusesIt) {
  EXPECT_EQ(docker_context_name("vm1"), "vm1");
  EXPECT_EQ(docker_context_name("my.vm-2"), "my.vm-2");
  EXPECT_EQ(docker_context_name("default"), "machine-default");  // docker's reserved name
  EXPECT_EQ(docker_context_name("a"), "machine-a");              // docker wants 2+ characters
  EXPECT_EQ(docker_context_name("Default"), "Default");
}

// The real docker CLI (context create needs no engine) with a DOCKER_CONFIG of the test's own.
TEST_F(OpsTest, MachineNamedDefaultGetsAContextDockerAccepts) {
  ASSERT_TRUE(runner->find_program("docker")) << "scripts/install-deps installs the docker CLI (docker.io)";
  ::setenv("DOCKER_CONFIG", (tmp / "docker").c_str(), 1);
  testing::RecordingProgress recorded;
  Env recording{store, *runner, recorded, {}, false};
  auto r = none_request("default");
  r.docker_context = true;
  create(recording, r);
  EXPECT_EQ(recorded.lines().find("Could not register"), std::string::npos) << recorded.lines();
  EXPECT_NE(recorded.lines().find("Registered docker context \"machine-default\""), std::string::npos)
      << recorded.lines();
  auto inspect = runner->run(
      Command{"docker", {"context", "inspect", "machine-default", "--format", "{{.Endpoints.docker.Host}}"}});
  ASSERT_TRUE(inspect.ok()) << inspect.err;
  EXPECT_EQ(inspect.out, "tcp://127.0.0.1:2376\n");

  remove(recording, "default", false);
  EXPECT_FALSE(runner->run(Command{"docker", {"context", "inspect", "machine-default"}}).ok())
      << "the context goes with the machine";
  ::unsetenv("DOCKER_CONFIG");
}

}  // namespace
}  // namespace machine::ops
