// LibvirtDriver against test:///default: the driver's own logic (lifecycle, idempotency,
// state mapping, cleanup, error context) on libvirt's real API without a VM.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/common/accel.h"
#include "drivers/common/ports.h"
#include "drivers/libvirt/domain_xml.h"
#include "drivers/libvirt/libvirt_driver.h"
#include "drivers/libvirt/volumes.h"
#include "drivers/registry.h"
#include "machine/error.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers {
namespace {

constexpr const char* kPool = "default-pool";

class LibvirtDriverTest : public ::testing::Test {
 protected:
  LibvirtDriverTest()
      : runner_(make_system_process_runner()),
        ctx_{"vm1", tmp_ / "machines/vm1", tmp_.path(), *runner_, progress_},
        conn_(std::make_shared<libvirt::Connection>("test:///default")) {
    std::filesystem::create_directories(ctx_.machine_dir);
  }

  std::unique_ptr<LibvirtDriver> driver(const std::function<void(LibvirtDriver::Deps&)>& tweak = {}) {
    LibvirtDriver::Deps deps;
    deps.connection = conn_;
    deps.stop_timeout = std::chrono::seconds(2);
    deps.resolve_image = [this](const Context&, const std::string&) { return image(); };
    deps.write_seed = [](const Context&, const CreateSpec&, const std::filesystem::path& iso) {
      machine::testing::write_file(iso, "seed");
    };
    if (tweak) tweak(deps);
    auto d = std::make_unique<LibvirtDriver>(ctx_, deps);
    FlagValues f;
    f.set("libvirt-uri", {"test:///default"});
    f.set("libvirt-pool", {kPool});
    d->configure(f);
    return d;
  }

  // The boot image, written once (its base volume's name follows its modification time).
  common::BootImage image() {
    if (!std::filesystem::exists(tmp_ / "disk.qcow2"))
      machine::testing::write_file(tmp_ / "disk.qcow2", "qcow2");
    return common::BootImage{(tmp_ / "disk.qcow2").string(), "", "", ""};
  }

  // The test hypervisor cannot stream uploads: put the base image into the pool as a
  // finished upload (volume + marker), so create() goes past it.
  void preload_base_image() {
    auto base = libvirt::base_volume_name(image().disk, "disk.qcow2");
    for (const auto& v : {base, libvirt::upload_marker_name(base)})
      conn_->create_volume(kPool, v, libvirt::volume_xml({v, 1, "raw", ""}));
  }

  std::vector<std::string> machine_volumes() {
    std::vector<std::string> left;
    for (const char* v : {"vm1.qcow2", "vm1-seed.iso", "vm1-console.log"})
      if (conn_->volume_info(kPool, v)) left.push_back(v);
    return left;
  }

  // What a successful create leaves behind: a defined domain and its volumes.
  std::unique_ptr<LibvirtDriver> created() {
    auto d = driver();
    nlohmann::json j = d->to_json();
    j["DiskVolume"] = "vm1.qcow2";
    j["SeedVolume"] = "vm1-seed.iso";
    j["ConsoleVolume"] = "vm1-console.log";
    auto ports = pick_free_loopback_ports(2);
    j["SSHPort"] = ports[0];
    j["EnginePort"] = ports[1];
    d->from_json(j);
    for (const char* v : {"vm1.qcow2", "vm1-seed.iso", "vm1-console.log"})
      conn_->create_volume(kPool, v, libvirt::volume_xml({v, 1, "raw", ""}));
    libvirt::DomainSpec s;
    s.name = "vm1";
    s.pool = kPool;
    s.disk_volume = "vm1.qcow2";
    s.seed_volume = "vm1-seed.iso";
    s.serial_log = "/default-pool/vm1-console.log";
    j["DomainUUID"] = conn_->define_domain("vm1", libvirt::domain_xml(s));
    d->from_json(j);
    return d;
  }

  machine::testing::TempDir tmp_;
  std::unique_ptr<ProcessRunner> runner_;
  NullProgress progress_;
  Context ctx_;
  std::shared_ptr<libvirt::Connection> conn_;
};

TEST_F(LibvirtDriverTest, IsRegisteredAfterQemu) {
  auto names = driver_names();
  EXPECT_NE(names.find("qemu, libvirt"), std::string::npos) << names;
  auto d = make_driver("libvirt", ctx_);
  EXPECT_EQ(d->name(), "libvirt");
  auto f = d->features();
  EXPECT_TRUE(f.lifecycle && f.ssh && f.provision && f.seed);
}

TEST_F(LibvirtDriverTest, PrepareForwardsFreeLoopbackPorts) {
  auto d = driver();
  FlagValues f;
  f.set("libvirt-domain-type", {"qemu"});
  d->configure(f);
  d->pre_create_check();
  auto addrs = d->prepare();
  ASSERT_EQ(addrs, std::vector<std::string>{"127.0.0.1"});
  auto ssh = d->ssh_address();
  EXPECT_EQ(ssh.host, "127.0.0.1");
  EXPECT_EQ(ssh.user, "docker");
  EXPECT_GT(ssh.port, 1024);
  EXPECT_NE(d->engine_url(), "tcp://127.0.0.1:" + std::to_string(ssh.port));
  EXPECT_EQ(d->config().domain_type, "qemu");
  EXPECT_EQ(d->config().forward_bind, "127.0.0.1");
  EXPECT_TRUE(d->features().port_forwarding) << "loopback forwards: published ports reach this host";
  EXPECT_EQ(d->publish_address(), "127.0.0.1");
}

TEST_F(LibvirtDriverTest, AutoDomainTypeIsTcgWhereKvmDoesNotReallyWork) {
  auto d = driver();
  d->prepare();
  auto host = probe_host_virt();
  bool kvm = host.kvm_usable && !host.kvm_paravirtual;  // kvm_pvm hangs stock kernels
  EXPECT_EQ(d->config().domain_type, kvm ? "kvm" : "qemu") << host.kvm_problem;
}

TEST_F(LibvirtDriverTest, RemoteHostForwardsOnItsAddressesAndIsDialedByName) {
  auto d = driver();
  FlagValues f;
  f.set("libvirt-uri", {"qemu+ssh://me@host.example/system"});
  d->configure(f);
  EXPECT_EQ(d->prepare(), std::vector<std::string>{"host.example"});
  EXPECT_EQ(d->config().forward_bind, "0.0.0.0");
  EXPECT_FALSE(d->features().port_forwarding) << "a remote hypervisor's ports are not this host's";
  EXPECT_EQ(d->ssh_address().host, "host.example");
  EXPECT_EQ(d->engine_url().rfind("tcp://host.example:", 0), 0u);
}

TEST_F(LibvirtDriverTest, RemovingAForwardOfAStoppedDomainHasNothingToDo) {
  auto d = created();  // defined, not running: the test driver has no QEMU monitor to ask
  EXPECT_NO_THROW(d->remove_forward({Proto::Tcp, "127.0.0.1", 4000, 4000}));
}

TEST_F(LibvirtDriverTest, PreCreateCheckRefusesAnExistingDomainAndMissingPool) {
  auto d = created();
  try {
    d->pre_create_check();
    FAIL() << "accepted an existing domain";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
  conn_->undefine_domain("vm1");
  FlagValues f;
  f.set("libvirt-pool", {"fast"});
  d->configure(f);
  EXPECT_THROW(d->pre_create_check(), Error);
}

TEST_F(LibvirtDriverTest, PreCreateCheckNeverStartsAnInactiveNetwork) {
  auto d = driver();
  FlagValues f;
  f.set("libvirt-network", {"missing"});
  d->configure(f);
  try {
    d->pre_create_check();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("network 'missing' does not exist"), std::string::npos) << e.what();
  }
}

TEST_F(LibvirtDriverTest, LifecycleIsIdempotent) {
  auto d = created();
  EXPECT_EQ(d->state().state, State::Stopped);
  d->stop();  // stopped already
  d->kill();
  d->start();
  EXPECT_EQ(d->state().state, State::Running);
  d->start();  // running already
  EXPECT_EQ(d->state().state, State::Running);
  d->restart();
  EXPECT_EQ(d->state().state, State::Running);
  d->stop();
  EXPECT_EQ(d->state().state, State::Stopped);
  d->start();
  d->kill();
  EXPECT_EQ(d->state().state, State::Stopped);
  d->kill();
}

TEST_F(LibvirtDriverTest, PausedDomainIsPausedAndResumeOrStartResumes) {
  auto d = created();
  conn_->start_domain("vm1");
  conn_->suspend_domain("vm1");
  EXPECT_EQ(d->state().state, State::Paused);
  d->resume();  // what ops calls where machine/state says Verdict::Resume
  EXPECT_EQ(d->state().state, State::Running);
  conn_->suspend_domain("vm1");
  d->start();  // libvirt cannot create a paused domain: start resumes it too
  EXPECT_EQ(d->state().state, State::Running);
}

TEST_F(LibvirtDriverTest, RemoveDeletesDomainAndVolumesButKeepsSharedImages) {
  auto d = created();
  conn_->create_volume(kPool, "machineos-x-disk.qcow2",
                       libvirt::volume_xml({"machineos-x-disk.qcow2", 1, "raw", ""}));
  d->start();
  d->remove();
  EXPECT_FALSE(conn_->domain_exists("vm1"));
  for (const char* v : {"vm1.qcow2", "vm1-seed.iso", "vm1-console.log"})
    EXPECT_FALSE(conn_->volume_info(kPool, v)) << v;
  EXPECT_TRUE(conn_->volume_info(kPool, "machineos-x-disk.qcow2"));
  d->remove();  // idempotent
  EXPECT_EQ(d->state().state, State::Error);
}

TEST_F(LibvirtDriverTest, StartMovesForwardsOffPortsTakenSinceCreate) {
  auto d = created();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::listen(fd, 1);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int taken = ntohs(a.sin_port);
  auto j = d->to_json();
  j["SSHPort"] = taken;
  j["EnginePort"] = taken + 1 == 65536 ? taken - 1 : taken + 1;
  d->from_json(j);
  d->start();
  ::close(fd);
  EXPECT_EQ(d->state().state, State::Running);
  EXPECT_NE(d->ssh_address().port, taken);
  EXPECT_NE(d->engine_url(), "tcp://127.0.0.1:" + std::to_string(taken));
}

TEST_F(LibvirtDriverTest, StartOfAMissingDomainIsNotFound) {
  auto d = driver();
  try {
    d->start();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::NotFound);
    EXPECT_NE(std::string(e.what()).find("domain 'vm1' does not exist on test:///default"),
              std::string::npos);
  }
}

TEST_F(LibvirtDriverTest, CreateFailureIsWrappedAndRemoveCleansUp) {
  auto d = driver();
  d->prepare();
  try {
    d->create(CreateSpec{"vm1", "ssh-ed25519 AAAA test", {}});
    FAIL() << "the test hypervisor cannot upload";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create machine 'vm1' on test:///default: cannot upload"),
              std::string::npos)
        << e.what();
  }
  d->remove();
  EXPECT_FALSE(conn_->domain_exists("vm1"));
}

TEST_F(LibvirtDriverTest, NeverTakesOverOrDeletesAVolumeItDidNotMake) {
  conn_->create_volume(kPool, "vm1-seed.iso", libvirt::volume_xml({"vm1-seed.iso", 1, "raw", ""}));
  auto d = driver();
  try {
    d->pre_create_check();
    FAIL() << "accepted a pool already holding vm1-seed.iso";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("volume 'vm1-seed.iso' already exists"), std::string::npos)
        << e.what();
  }
  d->remove();  // a rollback after that failure
  EXPECT_TRUE(conn_->volume_info(kPool, "vm1-seed.iso"));
}

TEST_F(LibvirtDriverTest, RemoveLeavesASameNamedDomainItDidNotDefine) {
  auto d = created();
  conn_->undefine_domain("vm1");
  libvirt::DomainSpec s;
  s.name = "vm1";
  s.pool = kPool;
  s.disk_volume = "other.qcow2";
  conn_->define_domain("vm1", libvirt::domain_xml(s));  // someone else's, defined since
  d->remove();
  EXPECT_TRUE(conn_->domain_exists("vm1"));
}

// Item 5 of issue 17: create saves the driver's record after prepare() and then calls
// create(); a create killed anywhere inside create() leaves only that record. It must name
// the domain (by UUID) and every per-machine volume, so `rm -f` removes them all.
TEST_F(LibvirtDriverTest, RecordSavedBeforeCreateNamesEverythingCreateMakes) {
  preload_base_image();
  auto d = driver([](LibvirtDriver::Deps& deps) { deps.upload = [](auto&, auto&, auto&, auto&) {}; });
  d->pre_create_check();
  d->prepare();
  const nlohmann::json record = d->to_json();  // what config.json holds while create() runs
  EXPECT_FALSE(record["DomainUUID"].get<std::string>().empty());
  d->create(CreateSpec{"vm1", "ssh-ed25519 AAAA test", {}});
  ASSERT_TRUE(conn_->domain_exists("vm1"));
  EXPECT_EQ(conn_->domain_uuid("vm1"), record["DomainUUID"].get<std::string>())
      << "the domain was defined with another UUID than the one recorded";
  ASSERT_EQ(machine_volumes().size(), 3u);

  d.reset();  // the process dies: nothing but the record is left
  auto rm = driver();
  rm->from_json(record);
  rm->remove();
  EXPECT_FALSE(conn_->domain_exists("vm1")) << "the domain outlived `rm -f`";
  EXPECT_EQ(machine_volumes(), std::vector<std::string>{}) << "volumes outlived `rm -f`";
  EXPECT_TRUE(conn_->volume_info(kPool, libvirt::base_volume_name(image().disk, "disk.qcow2")))
      << "the shared base image went with one machine";
}

TEST_F(LibvirtDriverTest, RemoveAfterAFaultMidCreateDeletesWhatExistsAndSkipsTheRest) {
  preload_base_image();
  auto d = driver([](LibvirtDriver::Deps& deps) {
    deps.upload = [](auto&, auto&, auto&, auto&) { fail(Code::Unavailable, "injected: upload cut off"); };
  });
  d->pre_create_check();
  d->prepare();
  const nlohmann::json record = d->to_json();
  EXPECT_THROW(d->create(CreateSpec{"vm1", "ssh-ed25519 AAAA test", {}}), Error);
  EXPECT_EQ(machine_volumes(), (std::vector<std::string>{"vm1.qcow2", "vm1-seed.iso"}));
  EXPECT_FALSE(conn_->domain_exists("vm1"));

  auto rm = driver();
  rm->from_json(record);
  EXPECT_NO_THROW(rm->remove()) << "a recorded console volume and domain that were never made";
  EXPECT_EQ(machine_volumes(), std::vector<std::string>{});
  EXPECT_NO_THROW(rm->remove()) << "nothing left: still succeeds";
}

TEST_F(LibvirtDriverTest, AVolumeMadeBySomeoneElseAfterTheCheckIsDroppedFromTheRecord) {
  preload_base_image();
  auto d = driver([](LibvirtDriver::Deps& deps) { deps.upload = [](auto&, auto&, auto&, auto&) {}; });
  d->pre_create_check();
  d->prepare();
  conn_->create_volume(kPool, "vm1-seed.iso", libvirt::volume_xml({"vm1-seed.iso", 1, "raw", ""}));
  EXPECT_THROW(d->create(CreateSpec{"vm1", "ssh-ed25519 AAAA test", {}}), Error);
  EXPECT_EQ(d->to_json()["SeedVolume"], "") << "still names a volume it did not make";
  d->remove();  // the rollback
  EXPECT_EQ(machine_volumes(), std::vector<std::string>{"vm1-seed.iso"});
}

TEST_F(LibvirtDriverTest, JsonRoundTripKeepsHostKeys) {
  auto d = driver();
  auto j = d->to_json();
  j["HostKeys"] = {"ssh-ed25519 AAAAkey"};
  d->from_json(j);
  EXPECT_EQ(d->host_keys(), std::vector<std::string>{"ssh-ed25519 AAAAkey"});
  EXPECT_EQ(d->to_json()["MachineName"], "vm1");
}

}  // namespace
}  // namespace machine::drivers
