#include "drivers/virtualbox/virtualbox_driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "drivers/common/console.h"
#include "drivers/common/guest_image.h"
#include "drivers/common/ports.h"
#include "drivers/common/readiness.h"
#include "drivers/common/uuid.h"
#include "drivers/virtualbox/hostonly_setup.h"
#include "drivers/virtualbox/vm_commands.h"
#include "machine/cancel.h"
#include "machine/error.h"
#include "machine/store.h"

namespace machine::drivers {
namespace mf = machine_files;
using namespace virtualbox;
using namespace std::chrono_literals;

namespace {

// docker-machine's words.
constexpr std::string_view kErrMustEnableVTX =
    "This computer doesn't have VT-X/AMD-v enabled. Enabling it in the BIOS is mandatory";
constexpr std::string_view kErrNotCompatibleWithHyperV =
    "This computer is running Hyper-V. VirtualBox won't boot a 64bits VM when Hyper-V is activated. Either "
    "use "
    "Hyper-V as a driver, or disable the Hyper-V hypervisor. (To skip this check, use "
    "--virtualbox-no-vtx-check)";
constexpr std::string_view kDefaultCidr = "192.168.99.1/24";
constexpr std::string_view kFallbackCidr = "192.168.56.1/24";
constexpr std::string_view kGrowOverlay = "disk.grow.qcow2";

// Host-only addresses other machines of the store recorded (IPAddress of their driver).
std::set<uint32_t> addresses_used_by_machines(const std::filesystem::path& store_root,
                                              std::string_view except) {
  std::set<uint32_t> used;
  for (const auto& driver : other_machines_driver_configs(store_root, except)) {
    std::string ip;
    read_field(driver, "IPAddress", ip);
    if (auto a = parse_ipv4(ip)) used.insert(*a);
  }
  return used;
}

std::string random_mac(const std::function<int(int)>& random) {
  // VirtualBox's own OUI, as VirtualBox assigns them. (Arguments are drawn in order.)
  int a = random(256), b = random(256), c = random(256);
  return fmt::format("080027{:02X}{:02X}{:02X}", a, b, c);
}

// VT-x problems VirtualBox only reports in the VM's log (docker-machine's list).
bool vtx_disabled_in_log(const std::string& log) {
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("VT-x is disabled") != std::string::npos &&
        line.find("Falling back to raw-mode: VT-x is disabled in the BIOS for all CPU modes") ==
            std::string::npos)
      return true;
    if (line.find("the host CPU does NOT support HW virtualization") != std::string::npos) return true;
    if (line.find("VERR_VMX_UNABLE_TO_START_VM") != std::string::npos) return true;
    if (line.find("Power up failed") != std::string::npos &&
        line.find("VERR_VMX_NO_VMX") != std::string::npos)
      return true;
  }
  return false;
}

}  // namespace

VirtualBoxDriver::VirtualBoxDriver(const Context& ctx, VirtualBoxOptions options)
    : ctx_(ctx), options_(std::move(options)) {
  if (!options_.probe) options_.probe = make_system_host_probe();
  if (!options_.media) options_.media = make_default_guest_media();
  config_.base.machine_name = ctx.machine_name;
  config_.base.store_path = ctx.store_root.string();
  config_.base.ssh_user = std::string(common::kGuestUser);
  config_.base.ssh_key_path = (ctx.machine_dir / mf::kSshKey).string();
}

VBoxManage& VirtualBoxDriver::vbm() {
  if (!vbm_) {
    auto path = locate_vboxmanage(ctx_.runner, options_.locate);
    vbm_ = std::make_unique<VBoxManage>(ctx_.runner, path.value_or(std::filesystem::path{}));
  }
  return *vbm_;
}

std::filesystem::path VirtualBoxDriver::file(std::string_view name) const { return ctx_.machine_dir / name; }
std::filesystem::path VirtualBoxDriver::vm_dir() const { return ctx_.machine_dir / ctx_.machine_name; }

int VirtualBoxDriver::random(int n) {
  if (options_.random) return options_.random(n);
  static thread_local std::mt19937 gen{std::random_device{}()};
  return std::uniform_int_distribution<int>(0, n - 1)(gen);
}

void VirtualBoxDriver::sleep(std::chrono::milliseconds d) {
  if (options_.sleep) return options_.sleep(d);
  std::this_thread::sleep_for(d);
}

void VirtualBoxDriver::pre_create_check() {
  auto& v = vbm();
  if (!v.found()) fail(Code::FailedPrecondition, std::string(kVBoxManageNotFound));
  auto out = v.try_run({"--version"});
  if (!out.ok()) {
    try {
      VBoxManage::check({"--version"}, out);
    } catch (const Error& e) {
      throw Error(Code::FailedPrecondition, e.what());  // a VirtualBox that cannot even say its version
    }
  }
  auto version = check_version(out.out);  // docker-machine's message, unprefixed
  refuse_existing_vm();
  auto& probe = *options_.probe;
  if (!config_.no_vtx_check) {
    if (probe.hyperv_enabled()) fail(Code::FailedPrecondition, std::string(kErrNotCompatibleWithHyperV));
    if (!probe.hw_virt_available()) fail(Code::FailedPrecondition, std::string(kErrMustEnableVTX));
  }
  require_program(ctx_.runner, "qemu-img", "qemu-utils");
  require_program(ctx_.runner, "xorriso", "xorriso");

  auto cidr = parse_hostonly_cidr(config_.hostonly_cidr);
  // VirtualBox 6.1.28+ refuses host-only addresses outside /etc/vbox/networks.conf on
  // Linux and macOS (E_ACCESSDENIED at `hostonlyif ipconfig`). docker-machine's default
  // 192.168.99.1/24 is outside the built-in 192.168.56.0/21, so the default moves there;
  // an explicit CIDR is refused here, before anything is created.
  if (version.at_least(6, 1, 28) && probe.os() != "windows") {
    auto allowed = allowed_hostonly_ranges(probe.networks_conf());
    if (!cidr_allowed(cidr, allowed)) {
      auto fallback = parse_hostonly_cidr(kFallbackCidr);
      if (config_.hostonly_cidr == kDefaultCidr && cidr_allowed(fallback, allowed)) {
        ctx_.progress.step(
            fmt::format("VirtualBox {} only allows host-only networks listed in /etc/vbox/networks.conf: "
                        "using --virtualbox-hostonly-cidr {}",
                        version.text, kFallbackCidr));
        config_.hostonly_cidr = std::string(kFallbackCidr);
        cidr = fallback;
      } else {
        auto net = Cidr{cidr.network(), cidr.prefix};
        fail(Code::FailedPrecondition,
             fmt::format(
                 "host-only cidr {} is not allowed by VirtualBox {}: add \"* {}/{}\" to "
                 "/etc/vbox/networks.conf or choose a --virtualbox-hostonly-cidr inside 192.168.56.0/21",
                 cidr.text(), version.text, format_ipv4(net.ip), net.prefix));
      }
    }
  }
  auto adapters = with_context("cannot list host-only adapters", [&] {
    return parse_hostonlyifs(v.run({"list", "hostonlyifs"}).out);
  });
  if (collides_with_host(cidr, probe.host_networks(), adapters))
    fail(Code::FailedPrecondition, std::string(kErrNetworkAddrCollision));
}

// A VM of this name that VirtualBox already has is someone else's: creating would fail at
// createvm, and the rollback of that failure must not delete it. Refuse before anything.
void VirtualBoxDriver::refuse_existing_vm() {
  auto r = vbm().try_run({"list", "vms"});
  if (!r.ok()) VBoxManage::check({"list", "vms"}, r);
  if (auto uuid = virtualbox::vm_uuid_named(r.out, ctx_.machine_name))
    fail(Code::FailedPrecondition,
         fmt::format(
             "VirtualBox already has a VM named \"{}\" ({{{}}}) that this machine did not create; choose "
             "another machine name, or remove or rename that VM in VirtualBox first",
             ctx_.machine_name, *uuid));
}

std::vector<std::string> VirtualBoxDriver::prepare() {
  if (config_.base.ssh_port == 22 || config_.base.ssh_port == 0 || config_.engine_port == 0) {
    auto ports = pick_forward_ports(ctx_.store_root, ctx_.machine_name);
    config_.base.ssh_port = ports[0];
    config_.engine_port = ports[1];
  }
  if (config_.nat_mac.empty()) config_.nat_mac = random_mac([this](int n) { return random(n); });
  if (config_.vm_uuid.empty()) config_.vm_uuid = common::random_uuid();
  if (config_.hostonly_mac.empty()) {
    do config_.hostonly_mac = random_mac([this](int n) { return random(n); });
    while (config_.hostonly_mac == config_.nat_mac);
  }
  if (config_.base.ip_address.empty()) {
    auto cidr = parse_hostonly_cidr(config_.hostonly_cidr);
    std::optional<DhcpServer> dhcp;
    if (vbm().found()) {
      try {
        dhcp = existing_dhcp_server(vbm(), cidr);
      } catch (const Error&) {  // create() sets the network up and checks again
      }
    }
    auto used = addresses_used_by_machines(ctx_.store_root, ctx_.machine_name);
    config_.base.ip_address = format_ipv4(choose_static_address(cidr, dhcp, used));
  }
  return {"127.0.0.1", config_.base.ip_address};
}

std::string VirtualBoxDriver::local_image() const {
  const auto& url = config_.boot2docker_url;
  std::string path = url.rfind("file://", 0) == 0 ? url.substr(7) : url;
  bool remote = url.find("://") != std::string::npos && url.rfind("file://", 0) != 0;
  bool iso = path.size() > 4 && path.compare(path.size() - 4, 4, ".iso") == 0;
  return remote || iso ? "" : path;
}

std::string VirtualBoxDriver::image_path() {
  const auto& url = config_.boot2docker_url;
  if (url.empty()) return "";
  auto path = local_image();
  if (path.empty()) {
    ctx_.progress.step(
        fmt::format("--virtualbox-boot2docker-url {} is ignored: machine boots its own OS image "
                    "(or a local disk image given by path)",
                    url));
  }
  return path;
}

void VirtualBoxDriver::create_disk(const std::filesystem::path& base) {
  auto info = common::disk_image_info(ctx_.runner, base);
  const auto& format = info.format;
  uint64_t virtual_size = info.virtual_size;
  uint64_t wanted = uint64_t(config_.disk_size) << 20;
  auto disk = file(mf::kVmdk);
  std::filesystem::path source = base;
  // qemu-img cannot resize VMDK images: grow a throw-away qcow2 overlay, then convert it.
  if (wanted > virtual_size) {
    source = file(kGrowOverlay);
    run_checked(ctx_.runner,
                Command{"qemu-img",
                        {"create", "-q", "-f", "qcow2", "-b", base.string(), "-F", format, source.string(),
                         std::to_string(config_.disk_size) + "M"}},
                "qemu-img");
  } else if (wanted < virtual_size) {
    ctx_.progress.step(
        fmt::format("The image is {} MB: the disk keeps that size instead of --virtualbox-disk-size {}",
                    virtual_size >> 20, config_.disk_size));
  }
  Command convert{"qemu-img", {"convert", "-O", "vmdk", source.string(), disk.string()}};
  convert.timeout = std::chrono::minutes(10);
  run_checked(ctx_.runner, convert, "qemu-img");
  if (source != base) std::filesystem::remove(source);
}

std::vector<std::pair<std::string, std::string>> VirtualBoxDriver::shares() {
  if (config_.no_share) return {};
  // docker-machine's per-OS default share, or dir:name from --virtualbox-share-folder.
  std::string name, dir;
  auto os = options_.probe->os();
  if (os == "darwin")
    name = "Users", dir = "/Users";
  else if (os == "windows")
    name = "c/Users", dir = "\\\\?\\c:\\Users";
  else
    name = "hosthome", dir = "/home";
  if (!config_.share_folder.empty()) {
    auto colon = config_.share_folder.rfind(':');
    dir = config_.share_folder.substr(0, colon);
    name = config_.share_folder.substr(colon + 1);
  }
  if (dir.empty() || !options_.probe->is_directory(dir)) return {};
  if (name.empty()) name = dir.substr(dir.find_first_not_of('/'));
  return {{name, dir}};
}

HostOnlyResult VirtualBoxDriver::ensure_network() {
  HostOnlyOptions opts;
  opts.dhcp = !config_.hostonly_no_dhcp;
  opts.host_nets = options_.probe->host_networks();
  opts.random = [this](int n) { return random(n); };
  opts.sleep = [this](std::chrono::milliseconds d) { sleep(d); };
  auto r = setup_hostonly_network(vbm(), parse_hostonly_cidr(config_.hostonly_cidr), opts);
  // Remember an adapter this machine created so rm can remove it once nothing uses it.
  if (r.adapter != config_.hostonly_adapter) config_.hostonly_created = false;
  config_.hostonly_created |= r.created;
  config_.hostonly_adapter = r.adapter;
  return r;
}

void VirtualBoxDriver::attach_hostonly_nic() {
  vbm().run(hostonly_nic_command(ctx_.machine_name, {config_.hostonly_adapter, config_.hostonly_nic_type,
                                                     config_.hostonly_promisc, config_.hostonly_mac}));
}

void VirtualBoxDriver::create(const CreateSpec& spec) {
  with_context(fmt::format("cannot create VirtualBox VM '{}'", ctx_.machine_name), [&] {
    if (config_.engine_port == 0 || config_.base.ip_address.empty()) prepare();
    auto base = options_.media->base_image(ctx_, image_path());
    ctx_.progress.step("Creating VirtualBox VM...");
    std::filesystem::create_directories(ctx_.machine_dir);
    ctx_.progress.status("creating the disk");
    create_disk(base);

    // The network first: the guest's static address must sit outside the DHCP pool the
    // adapter really has, and goes into the seed.
    auto cidr = parse_hostonly_cidr(config_.hostonly_cidr);
    auto net = ensure_network();
    auto addr = parse_ipv4(config_.base.ip_address);
    auto used = addresses_used_by_machines(ctx_.store_root, ctx_.machine_name);
    if (!addr || !static_address_usable(*addr, cidr, net.dhcp, used))
      config_.base.ip_address = format_ipv4(choose_static_address(cidr, net.dhcp, used));

    options_.media->write_seed(
        ctx_, spec,
        guest::PrivateNetwork{fmt::format("{}/{}", config_.base.ip_address, cidr.prefix),
                              mac_with_colons(config_.hostonly_mac), mac_with_colons(config_.nat_mac)},
        file(mf::kSeed));

    VmSettings s;
    s.name = ctx_.machine_name;
    s.uuid = config_.vm_uuid;
    s.machine_dir = ctx_.machine_dir;
    s.cpus = config_.cpu < 1 ? options_.probe->cpu_count() : config_.cpu;
    s.cpus = std::min(s.cpus, 32);
    s.memory_mb = config_.memory;
    s.nat_nic_type = config_.nat_nic_type;
    s.nat_mac = config_.nat_mac;
    s.host_dns_resolver = config_.host_dns_resolver;
    s.dns_proxy = config_.dns_proxy;
    s.ssh_port = config_.base.ssh_port;
    s.engine_port = config_.engine_port;
    s.disk = file(mf::kVmdk);
    s.seed = file(mf::kSeed);
    s.serial_log = file(mf::kSerialLog);
    s.shares = shares();
    for (const auto& args : create_vm_commands(s)) vbm().run(args);
    attach_hostonly_nic();
    ctx_.progress.step("Starting the VM...");
    start_vm();
  });
}

std::string VirtualBoxDriver::vbox_log_last_line() {
  std::ifstream in(vm_dir() / "Logs" / "VBox.log");
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

// VirtualBox's NAT cannot bind a forward whose host port another program took since the
// last start, and only says so in VBox.log: move such a forward to a free port (as
// docker-machine does for SSH). The caller saves the new port with the machine.
void VirtualBoxDriver::move_busy_forwards() {
  struct Forward {
    const char* rule;
    int* port;
    int guest;
    int to;
  };
  auto fresh = replace_taken_forward_ports(ctx_.store_root, ctx_.machine_name,
                                           {config_.base.ssh_port, config_.engine_port});
  for (auto f : {Forward{"ssh", &config_.base.ssh_port, 22, fresh[0]},
                 Forward{"docker", &config_.engine_port, common::kGuestEnginePort, fresh[1]}}) {
    if (f.to == *f.port) continue;
    ctx_.progress.step(fmt::format("127.0.0.1:{} is in use: forwarding {} from 127.0.0.1:{} instead", *f.port,
                                   f.rule, f.to));
    vbm().try_run({"modifyvm", ctx_.machine_name, "--natpf1", "delete", f.rule});
    vbm().run({"modifyvm", ctx_.machine_name, "--natpf1",
               fmt::format("{},tcp,127.0.0.1,{},,{}", f.rule, f.to, f.guest)});
    *f.port = f.to;
  }
}

void VirtualBoxDriver::start_vm() {
  auto r = vbm().try_run(start_vm_command(ctx_.machine_name, config_.ui_type));
  if (!r.ok()) {
    try {
      VBoxManage::check(start_vm_command(ctx_.machine_name, config_.ui_type), r);
    } catch (const Error& e) {
      auto last = vbox_log_last_line();
      throw Error(e.code(), fmt::format("Unable to start the VM: {}{}", e.what(),
                                        last.empty() ? "" : "\nDetails: " + last));
    }
  }
  if (!config_.no_vtx_check) {
    std::ifstream in(vm_dir() / "Logs" / "VBox.log");
    std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (vtx_disabled_in_log(log)) fail(Code::FailedPrecondition, std::string(kErrMustEnableVTX));
  }
}

std::string VirtualBoxDriver::vm_state() { return vm_state(ctx_.machine_name); }

std::string VirtualBoxDriver::vm_state(const std::string& vm) {
  auto r = vbm().try_run({"showvminfo", vm, "--machinereadable"});
  if (!r.ok()) {
    if (is_machine_not_found(r.err)) return "";
    VBoxManage::check({"showvminfo", vm, "--machinereadable"}, r);
  }
  auto kv = parse_machine_readable(r.out);
  auto it = kv.find("VMState");
  return it == kv.end() ? "unknown" : it->second;
}

StateInfo VirtualBoxDriver::state() {
  std::string s;
  try {
    s = vm_state();
  } catch (const Error& e) {
    return {State::Error, e.what()};
  }
  if (s.empty()) return {State::Error, fmt::format("VirtualBox has no VM named '{}'", ctx_.machine_name)};
  if (s == "running") return {State::Running, ""};
  if (s == "paused") return {State::Paused, ""};
  if (s == "saved") return {State::Saved, ""};
  if (s == "poweroff" || s == "aborted") return {State::Stopped, ""};
  if (s == "starting" || s == "restoring") return {State::Starting, ""};
  if (s == "stopping" || s == "saving") return {State::Stopping, ""};
  if (s == "stuck")
    return {State::Error,
            "the VM is stuck (guru meditation); see " + (vm_dir() / "Logs" / "VBox.log").string()};
  return {State::None, ""};  // docker-machine's answer for every other VirtualBox state
}

void VirtualBoxDriver::wait_ready(std::chrono::seconds timeout) {
  common::BootWatch w;
  w.machine = ctx_.machine_name;
  w.console = [&] { return common::read_file_tail(file(mf::kSerialLog), common::kConsoleBytes); };
  w.check_running = [&](const std::string& console) {
    auto s = vm_state();
    if (s == "running" || s == "starting" || s == "restoring") return;
    fail(Code::Unavailable,
         fmt::format("VirtualBox VM '{}' is {} instead of running; last console lines:\n{}",
                     ctx_.machine_name, s.empty() ? "gone" : s, common::last_lines(console, 15)));
  };
  // The machine OS (it prints its host keys before sshd starts) says when sshd and dockerd
  // are both up: provisioning earlier races the dockerd its boot starts. Other images only
  // have SSH to go by.
  w.expects_marker = [](const std::string& console) { return !common::parse_host_keys(console).empty(); };
  w.reachable = [&] { return common::ssh_banner_ready(config_.base.ssh_port, 1s); };
  w.sleep = [&](std::chrono::milliseconds d) { sleep(d); };
  common::wait_until_ready(w, ctx_.progress, timeout);
}

void VirtualBoxDriver::start() {
  with_context(fmt::format("cannot start VirtualBox VM '{}'", ctx_.machine_name), [&] {
    auto s = vm_state();
    if (s.empty()) fail(Code::NotFound, "machine does not exist");
    if (s == "running" || s == "paused") return;
    // The adapter may be gone or renamed (host reboot, VirtualBox upgrade): check it on every
    // start from poweroff, as docker-machine does. A saved VM cannot change its NICs.
    if (s == "poweroff" || s == "aborted") {
      ensure_network();
      attach_hostonly_nic();
      move_busy_forwards();
    }
    start_vm();
  });
}

void VirtualBoxDriver::resume() {
  with_context(fmt::format("cannot resume VirtualBox VM '{}'", ctx_.machine_name), [&] {
    vbm().run({"controlvm", ctx_.machine_name, "resume"});
  });
}

void VirtualBoxDriver::stop() {
  with_context(fmt::format("cannot stop VirtualBox VM '{}'", ctx_.machine_name), [&] {
    auto s = vm_state();
    if (s.empty()) fail(Code::NotFound, "machine does not exist");
    if (s != "running" && s != "paused") return;
    if (s == "paused") vbm().run({"controlvm", ctx_.machine_name, "resume"});
    vbm().run({"controlvm", ctx_.machine_name, "acpipowerbutton"});
    auto deadline = std::chrono::steady_clock::now() + options_.stop_timeout;
    int polls = 0;
    // Polls are counted too so a fake clock (tests) cannot loop forever.
    while (vm_state() == "running") {
      throw_if_cancelled();
      if (std::chrono::steady_clock::now() >= deadline || ++polls > options_.stop_timeout.count())
        fail(Code::Unavailable,
             fmt::format("the guest did not power off within {} s of the ACPI power button; "
                         "`machine kill {}` powers it off",
                         options_.stop_timeout.count(), ctx_.machine_name));
      ctx_.progress.status("waiting for the guest to power off");
      sleep(1s);
    }
  });
}

void VirtualBoxDriver::kill() {
  with_context(fmt::format("cannot kill VirtualBox VM '{}'", ctx_.machine_name), [&] {
    auto s = vm_state();
    if (s.empty()) fail(Code::NotFound, "machine does not exist");
    if (s == "running" || s == "paused" || s == "stuck")
      vbm().run({"controlvm", ctx_.machine_name, "poweroff"});
    else if (s == "saved")
      vbm().run({"discardstate", ctx_.machine_name});
  });
}

void VirtualBoxDriver::restart() {
  stop();
  start();
}

void VirtualBoxDriver::remove() {
  with_context(fmt::format("cannot remove VirtualBox VM '{}'", ctx_.machine_name), [&] {
    if (vbm().found()) {
      // By the UUID this machine recorded: a VM of the same name that is not ours (made by
      // the user, or after ours was deleted in VirtualBox) is left alone. Machines made
      // before the UUID was recorded fall back to the name.
      const auto& vm = config_.vm_uuid.empty() ? ctx_.machine_name : config_.vm_uuid;
      auto s = vm_state(vm);
      if (!s.empty()) {
        if (s == "running" || s == "paused" || s == "stuck") vbm().run({"controlvm", vm, "poweroff"});
        // --delete also deletes the attached disk image and the VM folder's files.
        vbm().run({"unregistervm", "--delete", vm});
      }
      if (config_.hostonly_created && !config_.hostonly_adapter.empty() &&
          remove_hostonly_if_unused(vbm(), config_.hostonly_adapter))
        config_.hostonly_created = false;
    }
    // What create made before the VM held it, or what VirtualBox leaves (DVD images, logs).
    for (auto name : {mf::kVmdk, mf::kSeed, mf::kSerialLog, kGrowOverlay})
      std::filesystem::remove(file(name));
    std::filesystem::remove_all(vm_dir());
  });
}

std::string VirtualBoxDriver::ip() { return config_.base.ip_address; }

std::string VirtualBoxDriver::engine_url() { return tcp_url("127.0.0.1", config_.engine_port); }

SshAddress VirtualBoxDriver::ssh_address() {
  return {"127.0.0.1", config_.base.ssh_port, config_.base.ssh_user};
}

std::vector<std::string> VirtualBoxDriver::host_keys() {
  return common::parse_host_keys(common::read_file_tail(file(mf::kSerialLog), common::kConsoleBytes));
}

std::vector<std::string> VirtualBoxDriver::nat_rules() {
  auto r = vbm().run({"showvminfo", ctx_.machine_name, "--machinereadable"});
  return natpf_rules(parse_machine_readable(r.out));
}

// Idempotent on top of VBoxManage, which refuses a rule name twice and a delete of an
// absent one: the adapter's current rules decide.
void VirtualBoxDriver::add_forward(const PortForward& f) {
  auto rules = nat_rules();
  auto rule = natpf_rule(f);
  if (std::find(rules.begin(), rules.end(), rule) != rules.end()) return;
  auto name = rule.substr(0, rule.find(','));
  for (const auto& r : rules)
    if (r.substr(0, r.find(',')) == name)
      vbm().run(natpf_delete_command(ctx_.machine_name, f));  // other address
  vbm().run(natpf_add_command(ctx_.machine_name, f));
}

void VirtualBoxDriver::remove_forward(const PortForward& f) {
  auto s = vm_state();
  if (s != "running" && s != "paused")
    return;  // controlvm needs a running VM, which a stopped one has none of
  auto rule = natpf_rule(f);
  auto name = rule.substr(0, rule.find(','));
  for (const auto& r : nat_rules())
    if (r.substr(0, r.find(',')) == name) {
      vbm().run(natpf_delete_command(ctx_.machine_name, f));
      return;
    }
}

}  // namespace machine::drivers
