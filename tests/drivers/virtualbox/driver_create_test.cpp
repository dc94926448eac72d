// Pre-create checks and create, against the fake VBoxManage (tests/drivers/virtualbox/fake).
#include <gtest/gtest.h>

#include <regex>

#include "drivers/common/uuid.h"
#include "drivers/registry.h"
#include "drivers/virtualbox/vbox_manage.h"
#include "drivers/virtualbox/virtualbox_driver.h"
#include "machine/error.h"
#include "tests/drivers/virtualbox/vbox_fixture.h"
#include "tests/support/error_of.h"
#include "tests/support/fake_process_runner.h"

namespace machine::testing {
namespace {

using drivers::CreateSpec;

using machine::testing::error_of;

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

CreateSpec spec() { return CreateSpec{"vm1", "ssh-ed25519 AAAAC3Nza test@host", {}}; }

bool empty_dir(const std::filesystem::path& p) {
  return !std::filesystem::exists(p) || std::filesystem::is_empty(p);
}

TEST_F(VBoxTest, PreCreateFailsWithDockerMachineMessageWhenVBoxManageIsMissing) {
  FakeProcessRunner nothing;
  drivers::Context ctx{"vm1", machine_dir("vm1"), tmp_.path(), nothing, progress_};
  drivers::VirtualBoxOptions o;
  o.probe = probe_;
  o.media = media_;
  drivers::VirtualBoxDriver d(ctx, o);
  Code code{};
  EXPECT_EQ(error_of([&] { d.pre_create_check(); }, &code),
            "VBoxManage not found. Make sure VirtualBox is installed and VBoxManage is in the path");
  EXPECT_EQ(code, Code::FailedPrecondition);
  EXPECT_TRUE(empty_dir(machine_dir("vm1")));
}

TEST_F(VBoxTest, PreCreateRefusesVirtualBoxOlderThan5) {
  ::setenv("FAKE_VBOX_VERSION", "4.3.40r110317", 1);
  Code code{};
  auto msg = error_of([&] { driver()->pre_create_check(); }, &code);
  EXPECT_EQ(code, Code::FailedPrecondition);
  EXPECT_EQ(msg,
            "We support Virtualbox starting with version 5. Your VirtualBox install is "
            "\"4.3.40r110317\". Please upgrade at https://www.virtualbox.org");
  EXPECT_EQ(calls(), std::vector<std::string>{"--version"});
}

TEST_F(VBoxTest, PreCreateChecksVtxAndHyperVUnlessSkipped) {
  probe_->hw_virt = false;
  Code code{};
  EXPECT_EQ(error_of([&] { driver()->pre_create_check(); }, &code),
            "This computer doesn't have VT-X/AMD-v enabled. Enabling it in the BIOS is mandatory");
  EXPECT_EQ(code, Code::FailedPrecondition);
  probe_->hyperv = true;
  EXPECT_NE(error_of([&] { driver()->pre_create_check(); }).find("This computer is running Hyper-V."),
            std::string::npos);
  EXPECT_NO_THROW(driver("vm1", {{"virtualbox-no-vtx-check", "true"}})->pre_create_check());
}

TEST_F(VBoxTest, PreCreateRefusesCidrCollidingWithAHostInterface) {
  probe_->nets = {{drivers::virtualbox::parse_ipv4("192.168.99.42").value(), 24}};
  Code code{};
  EXPECT_EQ(error_of([&] { driver()->pre_create_check(); }, &code),
            "host-only cidr conflicts with the network address of a host interface");
  EXPECT_EQ(code, Code::FailedPrecondition);
}

TEST_F(VBoxTest, PreCreateMovesTheDefaultCidrIntoWhatVirtualBoxAllows) {
  probe_->networks = std::nullopt;  // no /etc/vbox/networks.conf: only 192.168.56.0/21
  auto d = driver();
  d->pre_create_check();
  EXPECT_EQ(d->config().hostonly_cidr, "192.168.56.1/24");
  ASSERT_EQ(progress_.steps.size(), 1u);
  EXPECT_NE(progress_.steps[0].find("using --virtualbox-hostonly-cidr 192.168.56.1/24"), std::string::npos);
}

TEST_F(VBoxTest, PreCreateRefusesAnExplicitCidrVirtualBoxDoesNotAllow) {
  probe_->networks = std::nullopt;
  Code code{};
  auto msg = error_of(
      [&] {
        driver("vm1", {{"virtualbox-hostonly-cidr", "10.99.0.1/24"}})->pre_create_check();
      },
      &code);
  EXPECT_EQ(code, Code::FailedPrecondition);
  EXPECT_NE(msg.find("add \"* 10.99.0.0/24\" to /etc/vbox/networks.conf"), std::string::npos) << msg;
  // VirtualBox before 6.1.28 had no such rule.
  ::setenv("FAKE_VBOX_VERSION", "6.1.26r145957", 1);
  EXPECT_NO_THROW(driver("vm1", {{"virtualbox-hostonly-cidr", "10.99.0.1/24"}})->pre_create_check());
}

TEST_F(VBoxTest, ConfigureRejectsBadFlagsWithDockerMachineMessages) {
  EXPECT_EQ(error_of([&] {
              driver("vm1", {{"virtualbox-hostonly-cidr", "192.168.99.0/24"}});
            }),
            "host-only cidr must be specified with a host address, not a network address");
  EXPECT_EQ(error_of([&] {
              driver("vm1", {{"virtualbox-hostonly-cidr", "192.168.99.1"}});
            }),
            "invalid CIDR address: 192.168.99.1");
  EXPECT_NE(error_of([&] {
              driver("vm1", {{"virtualbox-ui-type", "vnc"}});
            }).find("gui, sdl, headless, separate"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              driver("vm1", {{"virtualbox-memory", "lots"}});
            }).find("not an integer"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              driver("vm1", {{"virtualbox-share-folder", "/srv"}});
            }).find("dir:name"),
            std::string::npos);
}

TEST_F(VBoxTest, FlagsHaveDockerMachineNamesDefaultsAndEnvVars) {
  auto flags = drivers::driver_flags("virtualbox");  // the registry's table
  auto find = [&](const std::string& n) {
    for (const auto& f : flags)
      if (f.name == n) return f;
    ADD_FAILURE() << n;
    return drivers::Flag{};
  };
  EXPECT_EQ(find("virtualbox-memory").default_value, "1024");
  EXPECT_EQ(find("virtualbox-memory").env, "VIRTUALBOX_MEMORY_SIZE");
  EXPECT_EQ(find("virtualbox-cpu-count").default_value, "1");
  EXPECT_EQ(find("virtualbox-disk-size").default_value, "20000");
  EXPECT_EQ(find("virtualbox-hostonly-cidr").default_value, "192.168.99.1/24");
  EXPECT_EQ(find("virtualbox-hostonly-nictype").env, "VIRTUALBOX_HOSTONLY_NIC_TYPE");
  // docker-machine's 82540EM (e1000) has no driver in the machine OS kernel.
  EXPECT_EQ(find("virtualbox-hostonly-nictype").default_value, "virtio");
  EXPECT_EQ(find("virtualbox-nat-nictype").default_value, "virtio");
  EXPECT_EQ(find("virtualbox-hostonly-nicpromisc").default_value, "deny");
  EXPECT_EQ(find("virtualbox-ui-type").default_value, "headless");
  EXPECT_EQ(find("virtualbox-boot2docker-url").env, "VIRTUALBOX_BOOT2DOCKER_URL");
  for (const char* n :
       {"virtualbox-nat-nictype", "virtualbox-no-share", "virtualbox-share-folder", "virtualbox-no-vtx-check",
        "virtualbox-host-dns-resolver", "virtualbox-no-dns-proxy", "virtualbox-hostonly-no-dhcp"})
    find(n);
}

TEST_F(VBoxTest, CreateRunsTheGoldenVBoxManageSequence) {
  auto d = driver();
  d->pre_create_check();
  EXPECT_EQ(d->prepare(), (std::vector<std::string>{"127.0.0.1", "192.168.99.25"}));
  d->create(spec());

  auto dir = machine_dir("vm1").string();
  std::vector<std::string> golden{
      "--version",
      "list vms",  // pre-create check: a VM of this name that is not ours?
      "list hostonlyifs",
      "list hostonlyifs",  // prepare: is there a DHCP pool to avoid?
      "list hostonlyifs",
      "hostonlyif create",
      "list hostonlyifs",
      "hostonlyif ipconfig vboxnet0 --ip 192.168.99.1 --netmask 255.255.255.0",
      "list hostonlyifs",
      "list dhcpservers",
      "dhcpserver add --netname HostInterfaceNetworking-vboxnet0 --ip 192.168.99.8 --netmask 255.255.255.0 "
      "--lowerip 192.168.99.100 --upperip 192.168.99.254 --enable",
      "createvm --basefolder DIR --name vm1 --register --uuid UUID",
      "modifyvm vm1 --firmware bios --bioslogofadein off --bioslogofadeout off --bioslogodisplaytime 0 "
      "--biosbootmenu disabled --ostype Linux26_64 --cpus 1 --memory 1024 --acpi on --ioapic on --rtcuseutc "
      "on "
      "--natdnshostresolver1 off --natdnsproxy1 on --cpuhotplug off --pae on --hpet on --hwvirtex on "
      "--nestedpaging on --largepages on --vtxvpid on --accelerate3d off --boot1 disk --boot2 none --boot3 "
      "none "
      "--boot4 none --uart1 0x3F8 4 --uartmode1 file DIR/serial.log",
      "modifyvm vm1 --nic1 nat --nictype1 virtio --cableconnected1 on --macaddress1 080027010203",
      "modifyvm vm1 --natpf1 ssh,tcp,127.0.0.1,SSH,,22",
      "modifyvm vm1 --natpf1 docker,tcp,127.0.0.1,ENGINE,,2376",
      "storagectl vm1 --name IDE --add ide --controller PIIX4 --hostiocache on",
      "storageattach vm1 --storagectl IDE --port 0 --device 0 --type hdd --medium DIR/disk.vmdk",
      "storageattach vm1 --storagectl IDE --port 1 --device 0 --type dvddrive --medium DIR/seed.iso",
      "guestproperty set vm1 /VirtualBox/GuestAdd/SharedFolders/MountPrefix /",
      "guestproperty set vm1 /VirtualBox/GuestAdd/SharedFolders/MountDir /",
      "modifyvm vm1 --nic2 hostonly --nictype2 virtio --nicpromisc2 deny --hostonlyadapter2 vboxnet0 "
      "--cableconnected2 on --macaddress2 080027040506",
      "startvm vm1 --type headless",
  };
  for (auto& line : golden) {
    line = replace_all(line, "DIR", dir);
    line = replace_all(line, "UUID", d->config().vm_uuid);
    line = replace_all(line, "SSH", std::to_string(d->config().base.ssh_port));
    line = replace_all(line, "ENGINE", std::to_string(d->config().engine_port));
  }
  EXPECT_EQ(calls(), golden);

  // What VirtualBox now holds: the VM under the UUID the machine recorded.
  auto vm = fake_state()["vms"]["vm1"];
  EXPECT_EQ(vm["UUID"], d->config().vm_uuid);
  EXPECT_EQ(d->to_json()["VMUUID"], d->config().vm_uuid);
  EXPECT_EQ(vm["VMState"], "running");
  EXPECT_EQ(vm["memory"], 1024);
  EXPECT_EQ(vm["nics"]["2"]["hostonlyadapter"], "vboxnet0");
  // The disk: a VMDK grown to --virtualbox-disk-size (qemu-img cannot resize VMDK itself).
  auto info = runner_->run(Command{"qemu-img", {"info", "--output=json", dir + "/disk.vmdk"}});
  auto j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["format"], "vmdk");
  EXPECT_EQ(j["virtual-size"].get<uint64_t>(), uint64_t{20000} << 20);
  EXPECT_FALSE(std::filesystem::exists(dir + "/disk.grow.qcow2"));
  // The seed gives the host-only NIC (by MAC) the address `machine ip` shows.
  ASSERT_EQ(media_->seeds.size(), 1u);
  ASSERT_TRUE(media_->seeds[0].private_network);
  EXPECT_EQ(media_->seeds[0].private_network->address_cidr, "192.168.99.25/24");
  EXPECT_EQ(media_->seeds[0].private_network->mac, "08:00:27:04:05:06");
  EXPECT_EQ(media_->seeds[0].private_network->primary_mac, "08:00:27:01:02:03");
  EXPECT_TRUE(std::filesystem::exists(dir + "/seed.iso"));

  EXPECT_EQ(d->ip(), "192.168.99.25");
  EXPECT_EQ(d->engine_url(), "tcp://127.0.0.1:" + std::to_string(d->config().engine_port));
  EXPECT_EQ(d->ssh_address().host, "127.0.0.1");
  EXPECT_EQ(d->ssh_address().user, "docker");
  EXPECT_EQ(d->state().state, State::Running);
  auto json = d->to_json();
  EXPECT_EQ(json["HostOnlyCIDR"], "192.168.99.1/24");
  EXPECT_EQ(json["IPAddress"], "192.168.99.25");
  EXPECT_EQ(json["HostOnlyAdapter"], "vboxnet0");
  EXPECT_EQ(json["HostOnlyCreated"], true);
  EXPECT_EQ(json["UIType"], "headless");
  EXPECT_EQ(json["DNSProxy"], true);
}

TEST_F(VBoxTest, CreateReusesTheHostOnlyAdapterAndItsDhcpServer) {
  vbox({"hostonlyif", "create"});
  vbox({"hostonlyif", "ipconfig", "vboxnet0", "--ip", "192.168.99.1", "--netmask", "255.255.255.0"});
  vbox({"dhcpserver", "add", "--netname", "HostInterfaceNetworking-vboxnet0", "--ip", "192.168.99.2",
        "--netmask", "255.255.255.0", "--lowerip", "192.168.99.20", "--upperip", "192.168.99.254",
        "--enable"});
  clear_calls();
  auto d = driver();
  d->prepare();
  d->create(spec());
  for (const auto& c : calls()) {
    EXPECT_EQ(c.find("hostonlyif create"), std::string::npos) << c;
    EXPECT_EQ(c.find("dhcpserver "), std::string::npos) << c;  // already right: left alone
  }
  EXPECT_EQ(d->config().hostonly_adapter, "vboxnet0");
  EXPECT_FALSE(d->config().hostonly_created);
  // Outside the existing pool (.20-.254) and never the server (.2).
  EXPECT_EQ(d->ip(), "192.168.99.3");
  d->remove();
  EXPECT_EQ(fake_state()["hostonlyifs"].size(), 1u);  // not ours: kept
}

TEST_F(VBoxTest, SecondMachineGetsAnotherAddressAndKeepsTheSharedAdapter) {
  auto a = driver("vm1");
  a->prepare();
  a->create(spec());
  write_file(machine_dir("vm1") / "config.json", nlohmann::json{{"Driver", a->to_json()}}.dump());
  auto b = driver("vm2");
  b->prepare();
  b->create(CreateSpec{"vm2", "", {}});
  EXPECT_EQ(a->ip(), "192.168.99.25");
  EXPECT_EQ(b->ip(), "192.168.99.26");
  EXPECT_NE(a->config().base.ssh_port, b->config().base.ssh_port);
  EXPECT_FALSE(b->config().hostonly_created);
  a->remove();  // created the adapter, but vm2 still uses it
  EXPECT_EQ(fake_state()["hostonlyifs"].size(), 1u);
  b->remove();
  EXPECT_EQ(fake_state()["hostonlyifs"].size(), 1u);
}

TEST_F(VBoxTest, RemoveDeletesTheAdapterThisMachineCreatedOnceUnused) {
  auto d = driver();
  d->prepare();
  d->create(spec());
  d->remove();
  auto st = fake_state();
  EXPECT_TRUE(st["vms"].empty());
  EXPECT_TRUE(st["hostonlyifs"].empty());
  EXPECT_TRUE(st["dhcpservers"].empty());
}

TEST_F(VBoxTest, HostOnlyAdapterCreationFailureReportsVBoxManageAndLeavesNothingAfterRemove) {
  ::setenv("FAKE_VBOX_FAIL", "hostonlyif create", 1);
  auto d = driver();
  d->prepare();
  Code code{};
  auto msg = error_of([&] { d->create(spec()); }, &code);
  EXPECT_NE(msg.find("VBoxManage: error: Failed to create the host-only adapter"), std::string::npos) << msg;
  EXPECT_NE(msg.find("`VBoxManage hostonlyif create` exited with status 1"), std::string::npos) << msg;
  EXPECT_EQ(msg.rfind("cannot create VirtualBox VM 'vm1': ", 0), 0u) << msg;
  d->remove();
  EXPECT_TRUE(empty_dir(machine_dir("vm1")));
  EXPECT_TRUE(fake_state()["vms"].empty());
}

TEST_F(VBoxTest, FailedStartLeavesNothingAfterRemove) {
  ::setenv("FAKE_VBOX_FAIL", "startvm", 1);
  auto d = driver();
  d->prepare();
  auto msg = error_of([&] { d->create(spec()); });
  EXPECT_NE(msg.find("Unable to start the VM: VBoxManage failed: `VBoxManage startvm vm1 --type headless`"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("terminated unexpectedly during startup"), std::string::npos) << msg;
  ::unsetenv("FAKE_VBOX_FAIL");
  d->remove();
  auto st = fake_state();
  EXPECT_TRUE(st["vms"].empty());
  EXPECT_TRUE(st["hostonlyifs"].empty());
  EXPECT_TRUE(st["dhcpservers"].empty());
  EXPECT_TRUE(empty_dir(machine_dir("vm1")));
}

TEST_F(VBoxTest, FailureBeforeTheVmExistsLeavesNothingAfterRemove) {
  ::setenv("FAKE_VBOX_FAIL", "storageattach", 1);
  auto d = driver();
  d->prepare();
  EXPECT_THROW(d->create(spec()), Error);
  ::unsetenv("FAKE_VBOX_FAIL");
  d->remove();
  EXPECT_TRUE(fake_state()["vms"].empty());
  EXPECT_TRUE(empty_dir(machine_dir("vm1")));
}

TEST_F(VBoxTest, CpuCountMinusOneUsesHostCpusAndSharesFollowTheFlag) {
  auto share = tmp_.path() / "src";
  std::filesystem::create_directories(share);
  probe_->dirs = {share};
  auto d =
      driver("vm1", {{"virtualbox-cpu-count", "-1"}, {"virtualbox-share-folder", share.string() + ":code"}});
  d->prepare();
  d->create(spec());
  auto vm = fake_state()["vms"]["vm1"];
  EXPECT_EQ(vm["cpus"], 4);
  EXPECT_EQ(vm["sharedfolders"]["code"], share.string());
  EXPECT_EQ(vm["extradata"]["VBoxInternal2/SharedFoldersEnableSymlinksCreate/code"], "1");
}

TEST_F(VBoxTest, RemoteBoot2DockerUrlIsIgnoredWithANotice) {
  auto d = driver("vm1", {{"virtualbox-boot2docker-url", "https://example.invalid/boot2docker.iso"}});
  d->prepare();
  d->create(spec());
  ASSERT_FALSE(progress_.steps.empty());
  EXPECT_NE(progress_.steps[0].find("is ignored"), std::string::npos) << progress_.steps[0];
  EXPECT_EQ(d->to_json()["Boot2DockerURL"], "https://example.invalid/boot2docker.iso");
}

// Issue 17 item 2: a VM VirtualBox already has under the machine's name is the user's.
TEST_F(VBoxTest, PreCreateCheckRefusesANameVirtualBoxAlreadyHasAndTouchesNothing) {
  vbox({"createvm", "--name", "vm1", "--basefolder", (tmp_.path() / "user-vms").string(), "--register"});
  auto uuid = fake_state()["vms"]["vm1"]["UUID"].get<std::string>();
  clear_calls();
  Code code{};
  auto msg = error_of([&] { driver()->pre_create_check(); }, &code);
  EXPECT_EQ(code, Code::FailedPrecondition);
  EXPECT_NE(msg.find("VirtualBox already has a VM named \"vm1\" ({" + uuid + "})"), std::string::npos) << msg;
  EXPECT_EQ(calls(), (std::vector<std::string>{"--version", "list vms"}));
  EXPECT_EQ(fake_state()["vms"]["vm1"]["UUID"], uuid);
}

TEST_F(VBoxTest, AVmWhoseNameMerelyContainsTheMachineNameIsNoObstacle) {
  vbox({"createvm", "--name", "vm10", "--basefolder", (tmp_.path() / "user-vms").string(), "--register"});
  EXPECT_NO_THROW(driver()->pre_create_check());
}

TEST(VBoxListVms, FindsTheUuidOfAnExactNameOnly) {
  std::string out =
      "\"vm10\" {11111111-1111-4111-8111-111111111111}\n"
      "\"my \"odd\" {vm}\" {22222222-2222-4222-8222-222222222222}\r\n"
      "\"vm1\" {33333333-3333-4333-8333-333333333333}\n";
  EXPECT_EQ(drivers::virtualbox::vm_uuid_named(out, "vm1"), "33333333-3333-4333-8333-333333333333");
  EXPECT_EQ(drivers::virtualbox::vm_uuid_named(out, "my \"odd\" {vm}"),
            "22222222-2222-4222-8222-222222222222");
  EXPECT_FALSE(drivers::virtualbox::vm_uuid_named(out, "vm"));
  EXPECT_FALSE(drivers::virtualbox::vm_uuid_named("", "vm1"));
}

TEST(VBoxListVms, RandomUuidsAreVersion4AndDiffer) {
  auto a = drivers::common::random_uuid(), b = drivers::common::random_uuid();
  EXPECT_NE(a, b);
  EXPECT_TRUE(
      std::regex_match(a, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << a;
}

}  // namespace
}  // namespace machine::testing
