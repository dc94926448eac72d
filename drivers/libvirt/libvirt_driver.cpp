#include "drivers/libvirt/libvirt_driver.h"

#include <fmt/format.h>

#include <optional>
#include <thread>

#include "drivers/common/accel.h"
#include "drivers/common/console.h"
#include "drivers/common/mounts.h"
#include "drivers/common/ports.h"
#include "drivers/common/readiness.h"
#include "drivers/common/uuid.h"
#include "drivers/common/virtiofs.h"
#include "drivers/libvirt/domain_state.h"
#include "drivers/libvirt/domain_xml.h"
#include "drivers/libvirt/volumes.h"
#include "machine/store.h"

namespace machine::drivers {
namespace mf = machine_files;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
constexpr uint64_t kMiB = 1024 * 1024;

// Makes a per-machine volume whose name prepare() recorded. When making it fails and a
// volume of that name exists, someone else made it since pre_create_check: forget the name
// so that remove() (the rollback) leaves their volume alone.
template <typename Make>
libvirt::VolumeInfo make_recorded_volume(libvirt::Connection& c, const std::string& pool,
                                         std::string& recorded, Make make) {
  try {
    return make();
  } catch (const Error&) {
    try {
      if (c.volume_info(pool, recorded)) recorded.clear();
    } catch (const Error&) {
      // Cannot tell: keep the name; remove() of a missing volume does nothing.
    }
    throw;
  }
}
}  // namespace

LibvirtDriver::LibvirtDriver(const Context& ctx) : LibvirtDriver(ctx, Deps{}) {}

LibvirtDriver::LibvirtDriver(const Context& ctx, Deps deps) : ctx_(ctx), deps_(std::move(deps)) {
  config_.base.machine_name = ctx.machine_name;
  config_.base.store_path = ctx.store_root.string();
  config_.base.ssh_user = std::string(common::kGuestUser);
}

LibvirtDriver::~LibvirtDriver() = default;

Features LibvirtDriver::features() const {
  Features f;
  f.lifecycle = f.restart = f.ssh = f.provision = f.seed = true;
  // Published ports go onto the user netdev's loopback forwards; a named libvirt network
  // or a remote hypervisor's ports are not this host's loopback.
  f.port_forwarding = config_.network.empty() && config_.forward_bind == "127.0.0.1";
  // libvirt runs virtiofsd next to QEMU: only when that is this host (remote: sshfs).
  f.virtiofs = !remote();
  return f;
}

libvirt::Connection& LibvirtDriver::conn() {
  if (!deps_.connection) deps_.connection = std::make_shared<libvirt::Connection>(config_.uri);
  return *deps_.connection;
}

bool LibvirtDriver::remote() const { return libvirt::uri_is_remote(config_.uri); }

void LibvirtDriver::configure(const FlagValues& flags) {
  libvirt::apply_flags(config_, flags);
  config_.base.ssh_key_path = (ctx_.machine_dir / std::string(mf::kSshKey)).string();
}

void LibvirtDriver::pre_create_check() {
  try {
    auto& c = conn();
    if (c.domain_exists(domain()))
      fail(Code::FailedPrecondition,
           fmt::format("a libvirt domain named '{}' already exists on {}", domain(), config_.uri));
    if (!config_.network.empty()) {
      auto active = c.network_active(config_.network);
      if (!active)
        fail(Code::FailedPrecondition, fmt::format("libvirt network '{}' does not exist", config_.network));
      // Starting a network creates host bridges and addresses: that is the user's call.
      if (!*active)
        fail(Code::FailedPrecondition,
             fmt::format("libvirt network '{}' is not active: start it with `virsh -c {} net-start {}`",
                         config_.network, config_.uri, config_.network));
    }
    libvirt::check_pool(c, config_.pool);
    if (c.pool_exists(config_.pool))
      for (const auto& v : {disk_volume_name(), seed_volume_name(), console_volume_name()})
        if (c.volume_info(config_.pool, v))
          fail(
              Code::FailedPrecondition,
              fmt::format("volume '{}' already exists in storage pool '{}' (left by another machine or VM?): "
                          "remove it with `virsh -c {} vol-delete {} --pool {}` if it is not needed",
                          v, config_.pool, config_.uri, v, config_.pool));
  } catch (const Error& e) {
    if (e.code() == Code::FailedPrecondition) throw;
    fail(Code::FailedPrecondition, e.what());
  }
  if (config_.domain_type_requested == "kvm" && !remote()) {
    auto host = probe_host_virt();
    if (!host.kvm_usable || host.kvm_paravirtual)
      fail(Code::FailedPrecondition,
           fmt::format("--libvirt-domain-type kvm: KVM is not usable here: {}",
                       host.kvm_problem.empty() ? "no /dev/kvm" : host.kvm_problem));
  }
}

std::vector<std::string> LibvirtDriver::prepare() {
  if (config_.domain_type_requested != "auto") {
    config_.domain_type = config_.domain_type_requested;
  } else if (!remote()) {
    auto choice = choose_accel(Accel::Auto, probe_host_virt());
    config_.domain_type = choice.accel == Accel::Kvm ? "kvm" : "qemu";
    if (!choice.notice.empty()) ctx_.progress.step(choice.notice);
  } else {
    // The remote host's /dev/kvm cannot be probed from here: trust what libvirt offers.
    bool kvm = conn().capabilities().find("<domain type='kvm'") != std::string::npos;
    config_.domain_type = kvm ? "kvm" : "qemu";
  }
  // Write-ahead: the domain's UUID and the per-machine volume names are chosen here, and
  // create saves them with the machine before making anything, so a create killed at any
  // point leaves a record that `rm -f` removes them by (remove tolerates missing ones).
  if (config_.domain_uuid.empty()) config_.domain_uuid = common::random_uuid();
  config_.disk_volume = disk_volume_name();
  config_.seed_volume = seed_volume_name();
  config_.console_volume = console_volume_name();
  if (!config_.network.empty()) {
    config_.base.ssh_port = 22;
    config_.engine_port = common::kGuestEnginePort;
    return {};  // the address comes from the network's DHCP lease after boot
  }
  // User networking forwards ports on the hypervisor host: loopback when that is this
  // host (or reached through it), all addresses on a real remote host so we can dial it.
  auto host = libvirt::uri_host(config_.uri);
  bool reachable_on_loopback = host.empty() || libvirt::is_loopback_host(host);
  config_.forward_bind = reachable_on_loopback ? "127.0.0.1" : "0.0.0.0";
  config_.base.ip_address = reachable_on_loopback ? "127.0.0.1" : host;
  auto ports = pick_forward_ports(ctx_.store_root, ctx_.machine_name);
  config_.base.ssh_port = ports[0];
  config_.engine_port = ports[1];
  return {config_.base.ip_address};
}

void LibvirtDriver::create(const CreateSpec& spec) {
  with_context(fmt::format("cannot create machine '{}' on {}", domain(), config_.uri), [&] {
    auto& c = conn();
    libvirt::ensure_pool(c, config_.pool);
    auto image = deps_.resolve_image(ctx_, config_.image);

    ctx_.progress.status("uploading the guest image to the storage pool (once per image)");
    // Parallel creates of one store would see each other's half-done upload as torn and
    // delete it: one uploader at a time.
    auto upload_lock = Store(ctx_.store_root).lock_resource("libvirt-uploads");
    config_.base_volume = libvirt::base_volume_name(image.disk, "disk.qcow2");
    auto base = libvirt::ensure_uploaded(c, config_.pool, config_.base_volume, image.disk);
    libvirt::DomainSpec d;
    for (size_t i = 0; i < spec.virtiofs_mounts.size(); ++i)
      d.filesystems.push_back({common::mount_tag(i), spec.virtiofs_mounts[i].host_dir});
    if (!d.filesystems.empty())
      if (auto v = common::find_virtiofsd(ctx_.runner)) d.virtiofsd = v->string();
    // The machine OS disk is a bare filesystem without a bootloader, and <kernel> must name
    // a file on the hypervisor host: so kernel and initrd are volumes in the pool too.
    if (!image.kernel.empty()) {
      config_.kernel_volume = libvirt::base_volume_name(image.kernel, "vmlinuz");
      d.kernel_path = libvirt::ensure_uploaded(c, config_.pool, config_.kernel_volume, image.kernel).path;
      if (!image.initrd.empty()) {
        config_.initrd_volume = libvirt::base_volume_name(image.initrd, "initrd.img");
        d.initrd_path = libvirt::ensure_uploaded(c, config_.pool, config_.initrd_volume, image.initrd).path;
      }
      d.kernel_cmdline = image.kernel_cmdline;
    }

    // The names were recorded in prepare() (write-ahead); a name someone else took since
    // pre_create_check is dropped from the record when its volume cannot be made.
    if (config_.disk_volume.empty() || config_.seed_volume.empty() || config_.console_volume.empty() ||
        config_.domain_uuid.empty())
      fail(Code::Internal, "create() before prepare(): the volume names and domain UUID are not recorded");
    make_recorded_volume(c, config_.pool, config_.disk_volume, [&] {
      return libvirt::create_overlay(c, config_.pool, config_.disk_volume, base.path,
                                     static_cast<uint64_t>(config_.disk_size_mb) * kMiB);
    });

    auto iso = ctx_.machine_dir / std::string(mf::kSeed);
    deps_.write_seed(ctx_, spec, iso);
    make_recorded_volume(c, config_.pool, config_.seed_volume, [&] {
      return c.create_volume(
          config_.pool, config_.seed_volume,
          libvirt::volume_xml({config_.seed_volume, std::filesystem::file_size(iso), "raw", ""}));
    });
    deps_.upload(c, config_.pool, config_.seed_volume, iso);

    // The serial console goes to a file in the pool: QEMU may write there (libvirt labels
    // it), and the storage API reads it back from any host.
    auto console = make_recorded_volume(c, config_.pool, config_.console_volume, [&] {
      return c.create_volume(config_.pool, config_.console_volume,
                             libvirt::volume_xml({config_.console_volume, 0, "raw", ""}));
    });

    d.name = domain();
    d.uuid = config_.domain_uuid;
    d.type = config_.domain_type;
    d.memory_mb = config_.memory_mb;
    d.cpus = config_.cpus;
    d.pool = config_.pool;
    d.disk_volume = config_.disk_volume;
    d.seed_volume = config_.seed_volume;
    d.serial_log = console.path;
    d.network = config_.network;
    d.user_net = {config_.forward_bind, config_.base.ssh_port, config_.engine_port, config_.restrict_network};
    // A same-named domain defined since pre_create_check has another UUID: defining fails,
    // and remove() leaves it because its UUID is not the recorded one.
    c.define_domain(domain(), libvirt::domain_xml(d));
    c.start_domain(domain());
  });
}

std::string LibvirtDriver::console_text() {
  if (config_.console_volume.empty()) return "";
  try {
    return conn().download_volume(config_.pool, config_.console_volume, common::kConsoleBytes);
  } catch (const Error&) {
    return "";  // not there yet, or a hypervisor that cannot stream volumes
  }
}

std::string LibvirtDriver::lease_address() {
  auto addrs = conn().domain_lease_addresses(domain());
  return addrs.empty() ? "" : addrs.front();
}

void LibvirtDriver::wait_ready(std::chrono::seconds timeout) {
  bool machine_os = !config_.kernel_volume.empty();
  bool probe_ssh = config_.network.empty() && libvirt::is_loopback_host(config_.base.ip_address);
  common::BootWatch w;
  w.machine = domain();
  w.console = [&] {
    auto console = console_text();
    if (auto keys = common::parse_host_keys(console); !keys.empty()) config_.host_keys = keys;
    return console;
  };
  w.check_running = [&](const std::string& console) {
    auto s = state();
    if (s.state == State::Running || s.state == State::Starting) return;
    fail(Code::Unavailable,
         fmt::format("machine '{}' stopped while booting: {}; last console lines:\n{}", domain(),
                     s.reason.empty() ? std::string(state_name(s.state)) : s.reason,
                     common::last_lines(console, 15)));
  };
  w.expects_marker = [&](const std::string&) { return machine_os; };
  w.cloud_init_host_keys = !machine_os;
  w.reachable = [&] {
    // On a named network the address comes from its DHCP lease once the guest is up.
    if (!config_.network.empty() && config_.base.ip_address.empty())
      config_.base.ip_address = lease_address();
    return !config_.base.ip_address.empty() &&
           (!probe_ssh || common::ssh_banner_ready(config_.base.ssh_port, 1s));
  };
  common::wait_until_ready(w, ctx_.progress, timeout);
}

void LibvirtDriver::start() {
  auto s = conn().domain_state(domain());
  if (!s)
    fail(Code::NotFound, fmt::format("libvirt domain '{}' does not exist on {}", domain(), config_.uri));
  // Not a state check of the table's kind (ops resumes a machine the user paused): libvirt
  // cannot create a paused domain, so resuming is how one libvirt paused itself (I/O error,
  // crash, start-up; state() says Error or Starting) runs again.
  if (s->state == VIR_DOMAIN_PAUSED) return resume();
  if (s->state != VIR_DOMAIN_SHUTOFF && s->state != VIR_DOMAIN_CRASHED) return;  // running already
  move_taken_forwards();
  conn().start_domain(domain());
}

void LibvirtDriver::resume() { conn().resume_domain(domain()); }

// The forwarded ports were free at create; another program may hold one now. Moving the
// forwards beats failing to start (the caller saves the new ports; `env` shows them).
void LibvirtDriver::move_taken_forwards() {
  if (!config_.network.empty() || config_.forward_bind != "127.0.0.1") return;
  int ssh = config_.base.ssh_port, engine = config_.engine_port;
  auto ports = replace_taken_forward_ports(ctx_.store_root, ctx_.machine_name, {ssh, engine});
  if (ports[0] == ssh && ports[1] == engine) return;
  auto xml = conn().domain_xml_desc(domain(), /*inactive=*/true);
  auto move = [&](int from, int to, int guest) {
    auto old_rule = fmt::format("hostfwd=tcp:127.0.0.1:{}-:{}", from, guest);
    if (auto at = xml.find(old_rule); at != std::string::npos)
      xml.replace(at, old_rule.size(), fmt::format("hostfwd=tcp:127.0.0.1:{}-:{}", to, guest));
  };
  move(ssh, ports[0], 22);
  move(engine, ports[1], common::kGuestEnginePort);
  config_.domain_uuid = conn().define_domain(domain(), xml);
  config_.base.ssh_port = ports[0];
  config_.engine_port = ports[1];
  ctx_.progress.step(
      fmt::format("Port {} or {} is in use: machine '{}' now forwards SSH from port {} and the engine "
                  "from port {}",
                  ssh, engine, domain(), ports[0], ports[1]));
}

void LibvirtDriver::stop() {
  auto& c = conn();
  auto s = c.domain_state(domain());
  if (!s || s->state == VIR_DOMAIN_SHUTOFF) return;
  if (s->state == VIR_DOMAIN_PAUSED) c.resume_domain(domain());  // a paused guest cannot see ACPI
  c.shutdown_domain(domain());
  auto deadline = Clock::now() + deps_.stop_timeout;
  while (Clock::now() < deadline) {
    s = c.domain_state(domain());
    if (!s || s->state == VIR_DOMAIN_SHUTOFF) return;
    std::this_thread::sleep_for(200ms);
  }
  ctx_.progress.step(fmt::format("Machine '{}' did not shut down within {} s: powering it off", domain(),
                                 deps_.stop_timeout.count()));
  c.destroy_domain(domain());
}

void LibvirtDriver::kill() { conn().destroy_domain(domain()); }

// Stop then start rather than virDomainReboot: the guest's ACPI button means power off,
// a guest that ignores it still comes back, and the fresh console log holds only the
// new boot's markers for wait_ready.
void LibvirtDriver::restart() {
  stop();
  start();
}

void LibvirtDriver::remove() {
  with_context(fmt::format("cannot remove machine '{}' from {}", domain(), config_.uri), [&] {
    auto& c = conn();
    // Only the domain with the recorded UUID: a rollback must not take a same-named one made
    // since. Every name below was recorded before create made anything; absent ones are skipped.
    if (!config_.domain_uuid.empty() && c.domain_uuid(domain()) == config_.domain_uuid) {
      c.destroy_domain(domain());
      c.undefine_domain(domain());
    }
    // Base volumes (image, kernel, initrd) are shared by every machine of the pool.
    for (const auto& v : {config_.disk_volume, config_.seed_volume, config_.console_volume})
      if (!v.empty()) c.delete_volume(config_.pool, v);
  });
  std::error_code ec;
  std::filesystem::remove(ctx_.machine_dir / std::string(mf::kSeed), ec);
}

StateInfo LibvirtDriver::state() {
  try {
    return libvirt::map_domain_state(conn().domain_state(domain()));
  } catch (const Error& e) {
    return {State::Error, e.what()};
  }
}

std::string LibvirtDriver::ip() {
  if (!config_.network.empty() && config_.base.ip_address.empty()) config_.base.ip_address = lease_address();
  return config_.base.ip_address;
}

std::string LibvirtDriver::engine_url() { return tcp_url(ip(), config_.engine_port); }

SshAddress LibvirtDriver::ssh_address() { return {ip(), config_.base.ssh_port, config_.base.ssh_user}; }

std::vector<std::string> LibvirtDriver::host_keys() {
  if (config_.host_keys.empty()) config_.host_keys = common::parse_host_keys(console_text());
  return config_.host_keys;
}

nlohmann::json LibvirtDriver::to_json() const { return libvirt::to_json(config_); }

void LibvirtDriver::from_json(const nlohmann::json& j) {
  auto name = config_.base.machine_name;
  config_ = libvirt::libvirt_config_from_json(j);
  if (config_.base.machine_name.empty()) config_.base.machine_name = name;
}

// The same HMP rules as the qemu driver (drivers/common), through libvirt-qemu's monitor
// passthrough to the netdev the domain XML puts on QEMU's command line.
void LibvirtDriver::add_forward(const PortForward& f) {
  hmp_add_forward([&](const std::string& c) { return conn().qemu_monitor_command(domain(), c); },
                  libvirt::kUserNetdev, f);
}

void LibvirtDriver::remove_forward(const PortForward& f) {
  auto s = conn().domain_state(domain());
  if (!s || (s->state != VIR_DOMAIN_RUNNING && s->state != VIR_DOMAIN_PAUSED))
    return;  // no QEMU, no forwards
  hmp_remove_forward([&](const std::string& c) { return conn().qemu_monitor_command(domain(), c); },
                     libvirt::kUserNetdev, f);
}

}  // namespace machine::drivers
