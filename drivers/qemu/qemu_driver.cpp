#include "drivers/qemu/qemu_driver.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <thread>

#include "drivers/common/console.h"
#include "drivers/common/guest_image.h"
#include "drivers/common/ports.h"
#include "drivers/common/readiness.h"
#include "drivers/common/virtiofs.h"
#include "drivers/network/network_store.h"
#include "drivers/network/subnet.h"
#include "drivers/qemu/qmp.h"
#include "drivers/qemu/vm_state.h"
#include "machine/error.h"
#include "machine/store.h"

namespace machine::drivers {
namespace mf = machine::machine_files;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kMinQemuMajor = 6;  // -accel/-qmp option syntax, restrict=on with hostfwd
constexpr const char* kQemuPackage = "qemu-system-x86";
constexpr const char* kQemuImgPackage = "qemu-utils";

long host_memory_mb() {
  long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? pages / (1024 * 1024 / size) : 0;
}

void remove_quietly(const std::filesystem::path& p) {
  std::error_code ec;
  std::filesystem::remove(p, ec);
}

network::NetworkStore networks(const Context& ctx) {
  return network::NetworkStore(ctx.store_root, ctx.runner);
}

}  // namespace

QemuDriver::QemuDriver(const Context& ctx, QemuDriverOptions options)
    : ctx_(ctx), options_(std::move(options)) {
  config_.base.machine_name = ctx.machine_name;
  config_.base.store_path = ctx.store_root.string();
  config_.base.ip_address = "127.0.0.1";
  config_.base.ssh_user = std::string(common::kGuestUser);
  config_.base.ssh_key_path = file(mf::kSshKey).string();
}

std::filesystem::path QemuDriver::file(std::string_view name) const {
  return ctx_.machine_dir / std::string(name);
}

Features QemuDriver::features() const {
  Features f;
  f.lifecycle = f.restart = true;
  f.ssh = true;
  f.seed = true;
  f.private_network = true;
  f.port_forwarding = true;
  f.virtiofs = true;  // virtiofsd per mount (drivers/common/virtiofs.h)
  // The machine OS starts dockerd with TLS from the seed, so provisioning it only verifies
  // (idempotent, no restart); a stock cloud image gets the engine installed and configured.
  f.provision = true;
  return f;
}

void QemuDriver::configure(const FlagValues& flags) { qemu::apply_flags(config_, flags, host_memory_mb()); }

void QemuDriver::pre_create_check() {
  require_program(ctx_.runner, config_.binary, kQemuPackage);
  require_program(ctx_.runner, "qemu-img", kQemuImgPackage);
  Command version{config_.binary, {"--version"}};
  version.timeout = 20s;
  auto r = ctx_.runner.run(version);
  std::smatch m;
  static const std::regex re(R"(version (\d+)\.(\d+))");
  if (!r.ok() || !std::regex_search(r.out, m, re))
    fail(Code::FailedPrecondition,
         fmt::format("cannot tell the version of {} (`{}` said: {}); install {}", config_.binary,
                     version.to_string(), r.err.empty() ? r.out : r.err, kQemuPackage));
  if (std::stoi(m[1]) < kMinQemuMajor)
    fail(Code::FailedPrecondition,
         fmt::format("{} is version {}.{}; version {}.0 or newer is needed (Debian package {})",
                     config_.binary, m[1].str(), m[2].str(), kMinQemuMajor, kQemuPackage));
  choose_accel(config_.accel_requested, options_.probe());
  if (!config_.image.empty() && !std::filesystem::exists(config_.image))
    fail(Code::FailedPrecondition, fmt::format("--qemu-image {}: no such file or directory", config_.image));
}

std::vector<std::string> QemuDriver::prepare() {
  auto choice = choose_accel(config_.accel_requested, options_.probe());
  config_.accel = choice.accel;
  if (!choice.notice.empty()) ctx_.progress.step(choice.notice);
  auto ports = pick_forward_ports(ctx_.store_root, ctx_.machine_name);
  config_.base.ssh_port = ports[0];
  config_.engine_port = ports[1];
  if (config_.network.empty()) return {"127.0.0.1"};
  auto a =
      networks(ctx_).attach(config_.network, ctx_.machine_name, config_.network_subnet, config_.private_ip);
  config_.network_subnet = a.subnet;
  config_.private_ip = a.ip;
  config_.private_mac = a.mac;
  config_.base.ip_address = a.ip;  // `machine ip` and IPAddress show the private address
  return {"127.0.0.1", a.ip};
}

void QemuDriver::create(const CreateSpec& spec) {
  with_context(fmt::format("cannot create machine '{}'", ctx_.machine_name), [&] {
    auto image = common::resolve_boot_image(ctx_, config_.image, "--qemu-image");
    config_.base_disk = image.disk;
    config_.kernel = image.kernel;
    config_.initrd = image.initrd;
    config_.kernel_cmdline = image.kernel_cmdline;
    image_hold_ = image.hold;  // until this create ends (the driver object goes with it)
    create_disk();
    std::optional<guest::PrivateNetwork> priv;
    if (!config_.private_ip.empty())
      priv = guest::PrivateNetwork{
          fmt::format("{}/{}", config_.private_ip, network::parse_subnet(config_.network_subnet).prefix),
          config_.private_mac, ""};
    common::write_seed(ctx_, spec, file(mf::kSeed), priv);
    config_.virtiofs_mounts = spec.virtiofs_mounts;
  });
  start();
}

void QemuDriver::create_disk() {
  auto info = common::disk_image_info(ctx_.runner, config_.base_disk);
  auto image_mb = static_cast<long long>((info.virtual_size + (1 << 20) - 1) >> 20);
  if (config_.disk_size_mb < image_mb) {
    ctx_.progress.step(fmt::format("The image is {} MB, larger than --qemu-disk-size {} MB: using {} MB",
                                   image_mb, config_.disk_size_mb, image_mb));
    config_.disk_size_mb = static_cast<int>(image_mb);
  }
  remove_quietly(file(mf::kDisk));
  Command create{"qemu-img",
                 {"create", "-q", "-f", "qcow2", "-F", info.format, "-b", config_.base_disk,
                  file(mf::kDisk).string(), std::to_string(config_.disk_size_mb) + "M"}};
  create.timeout = 60s;
  run_checked(ctx_.runner, create, "qemu-img");
}

qemu::VmSpec QemuDriver::vm_spec() const {
  qemu::VmSpec s;
  s.name = ctx_.machine_name;
  s.dir = ctx_.machine_dir;
  s.accel = config_.accel;
  s.memory_mb = config_.memory_mb;
  s.cpus = config_.cpus;
  s.kernel = config_.kernel;
  s.initrd = config_.initrd;
  s.kernel_cmdline = config_.kernel_cmdline;
  s.ssh_port = config_.base.ssh_port;
  s.engine_port = config_.engine_port;
  s.restrict_network = config_.restrict_network;
  s.private_nic = private_nic;
  if (!s.private_nic && !config_.network.empty()) {
    // QEMU option values escape ',' as ",,".
    std::string dir, raw = networks(ctx_).network_dir(config_.network).string() + "/switch";
    for (char c : raw) dir += c == ',' ? std::string(",,") : std::string(1, c);
    s.private_nic = qemu::PrivateNic{"vde,sock=" + dir, config_.private_mac};
  }
  s.virtiofs = common::virtiofs_shares(ctx_.machine_dir, config_.virtiofs_mounts);
  return s;
}

void QemuDriver::clear_runtime_files() {
  remove_quietly(file(mf::kPidFile));
  remove_quietly(file(mf::kQmpSocket));
}

void QemuDriver::stop_helpers() { common::stop_virtiofsd(ctx_.machine_dir); }

void QemuDriver::launch() {
  clear_runtime_files();
  remove_quietly(file(mf::kVmLog));  // fresh QEMU stderr for this launch's diagnostics
  auto spec = vm_spec();
  // virtiofsd listens before QEMU connects to it; each serves one QEMU run.
  common::start_virtiofsd(ctx_.runner, ctx_.machine_dir, spec.virtiofs);
  Command cmd{config_.binary, qemu::build_qemu_args(spec)};
  cmd.working_dir = ctx_.machine_dir;
  int pid = ctx_.runner.spawn_detached(cmd, file(mf::kVmLog));
  auto deadline = Clock::now() + options_.launch_timeout;
  for (;;) {
    if (!common::process_alive(pid)) {
      auto why = common::last_lines(common::read_file_tail(file(mf::kVmLog)), 10);
      clear_runtime_files();
      common::stop_virtiofsd(ctx_.machine_dir);
      fail(Code::Internal, fmt::format("qemu exited at start{}{}", why.empty() ? "" : ": ", why));
    }
    if (std::filesystem::exists(file(mf::kQmpSocket))) {
      try {
        qemu::QmpClient qmp(file(mf::kQmpSocket), 1s);
        qmp.execute("query-status");
        return;
      } catch (const Error&) {
      }
    }
    if (Clock::now() > deadline) {
      if (qemu::process_has_arg(pid, file(mf::kPidFile).string())) {  // never signal a stranger
        ::kill(pid, SIGKILL);
        wait_gone(pid, 5s);
      }
      clear_runtime_files();
      common::stop_virtiofsd(ctx_.machine_dir);
      fail(Code::Unavailable,
           fmt::format("qemu did not answer on QMP within {} s", options_.launch_timeout.count()));
    }
    std::this_thread::sleep_for(20ms);
  }
}

void QemuDriver::start() {
  with_context(fmt::format("cannot start machine '{}'", ctx_.machine_name), [&] {
    auto o = qemu::observe(ctx_.machine_dir);
    if (o.process_is_ours) {
      auto s = qemu::map_state(o).state;
      if (s == State::Running || s == State::Starting || s == State::Paused) return;
      // Panicked, internal error, deaf to QMP: a fresh QEMU is the way back.
      ::kill(o.pid, SIGKILL);
      wait_gone(o.pid, 10s);
    }
    if (!std::filesystem::exists(file(mf::kDisk)))
      fail(Code::FailedPrecondition, fmt::format("{} is missing", file(mf::kDisk).string()));
    if (!config_.network.empty()) {  // the switch may be gone (host reboot, `network rm -f`)
      auto a = networks(ctx_).connect(config_.network, ctx_.machine_name, config_.network_subnet,
                                      config_.private_ip);
      if (!a.note.empty()) ctx_.progress.step(a.note);
    }
    move_taken_ports();
    launch();
  });
}

void QemuDriver::resume() {
  with_context(fmt::format("cannot resume machine '{}'", ctx_.machine_name),
               [&] { qemu::QmpClient(file(mf::kQmpSocket)).execute("cont"); });
}

void QemuDriver::move_taken_ports() {
  auto fresh = replace_taken_forward_ports(ctx_.store_root, ctx_.machine_name,
                                           {config_.base.ssh_port, config_.engine_port});
  auto move = [&](const char* what, int& port, int to) {
    if (to == port) return;
    ctx_.progress.step(fmt::format("The {} port 127.0.0.1:{} of \"{}\" is taken on the host; using {}", what,
                                   port, ctx_.machine_name, to));
    port = to;
  };
  move("SSH", config_.base.ssh_port, fresh[0]);
  move("engine", config_.engine_port, fresh[1]);
}

void QemuDriver::wait_gone(int pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (common::process_alive(pid) && Clock::now() < deadline) std::this_thread::sleep_for(50ms);
}

void QemuDriver::stop() {
  auto o = qemu::observe(ctx_.machine_dir);
  if (!o.process_is_ours) {
    clear_runtime_files();
    stop_helpers();
    return;
  }
  // ACPI power button; pressed again every few seconds because a guest early in its boot
  // (before acpid runs) misses it.
  auto deadline = Clock::now() + options_.stop_timeout;
  bool resumed = !o.qmp_status || *o.qmp_status == "running";
  for (auto next_press = Clock::now(); common::process_alive(o.pid) && Clock::now() < deadline;
       std::this_thread::sleep_for(50ms)) {
    if (Clock::now() < next_press) continue;
    next_press = Clock::now() + 5s;
    try {
      qemu::QmpClient qmp(file(mf::kQmpSocket), 2s);
      if (!resumed) qmp.execute("cont");
      resumed = true;
      qmp.execute("system_powerdown");
    } catch (const Error&) {
      // QEMU may be exiting right now; the liveness check above decides.
    }
  }
  if (common::process_alive(o.pid)) {
    ctx_.progress.step(
        fmt::format("The guest did not power off within {} s; killing qemu", options_.stop_timeout.count()));
    ::kill(o.pid, SIGKILL);
    wait_gone(o.pid, 10s);
  }
  clear_runtime_files();
  stop_helpers();
}

void QemuDriver::kill() {
  auto o = qemu::observe(ctx_.machine_dir);
  if (o.process_is_ours) {
    ::kill(o.pid, SIGKILL);
    wait_gone(o.pid, 10s);
    if (common::process_alive(o.pid))
      fail(Code::Internal,
           fmt::format("cannot kill qemu (pid {}) of machine '{}'", o.pid, ctx_.machine_name));
  }
  clear_runtime_files();
  stop_helpers();
}

void QemuDriver::restart() {
  stop();
  start();
}

void QemuDriver::remove() {
  kill();
  for (auto name : {mf::kDisk, mf::kSeed, mf::kSerialLog, mf::kPidFile, mf::kQmpSocket, mf::kVmLog})
    remove_quietly(file(name));
  std::error_code ec;
  std::filesystem::remove_all(file(mf::kMountsDir), ec);
  // Releases the address; the last machine out stops the network's switch.
  if (!config_.network.empty()) networks(ctx_).detach(config_.network, ctx_.machine_name);
}

StateInfo QemuDriver::state() { return qemu::map_state(qemu::observe(ctx_.machine_dir)); }

void QemuDriver::wait_ready(std::chrono::seconds timeout) {
  auto pidfile = file(mf::kPidFile);
  common::BootWatch w;
  w.machine = ctx_.machine_name;
  w.console = [&] { return common::read_file_tail(file(mf::kSerialLog), common::kConsoleBytes); };
  w.check_running = [&](const std::string&) {
    if (qemu::process_has_arg(qemu::read_pidfile(pidfile), pidfile.string())) return;
    auto s = state();
    fail(Code::Unavailable, fmt::format("machine '{}' stopped while booting: {}", ctx_.machine_name,
                                        s.reason.empty() ? std::string(state_name(s.state)) : s.reason));
  };
  bool machine_os = !config_.kernel.empty();
  w.expects_marker = [&](const std::string&) { return machine_os; };
  w.cloud_init_host_keys = !machine_os;
  w.reachable = [&] { return common::ssh_banner_ready(config_.base.ssh_port, 1s); };
  common::wait_until_ready(w, ctx_.progress, timeout);
}

std::string QemuDriver::engine_url() { return tcp_url("127.0.0.1", config_.engine_port); }

SshAddress QemuDriver::ssh_address() { return {"127.0.0.1", config_.base.ssh_port, config_.base.ssh_user}; }

std::vector<std::string> QemuDriver::host_keys() {
  return common::parse_host_keys(common::read_file_tail(file(mf::kSerialLog), common::kConsoleBytes));
}

// Published ports go onto the user netdev through QMP's HMP passthrough (hostfwd_add);
// the rules are drivers/common's, shared with libvirt.
void QemuDriver::add_forward(const PortForward& f) {
  // slirp's restricted mode drops every UDP datagram the guest sends but DHCP/TFTP, replies
  // to a forward included: say so instead of forwarding into silence.
  if (f.proto == Proto::Udp && config_.restrict_network)
    fail(Code::FailedPrecondition,
         "UDP cannot be forwarded on a --qemu-restrict-network machine (its user "
         "networking drops the guest's UDP replies)");
  qemu::QmpClient qmp(file(mf::kQmpSocket), 3s);
  hmp_add_forward(qemu::hmp_runner(qmp), qemu::kUserNetdev, f);
}

void QemuDriver::remove_forward(const PortForward& f) {
  auto pidfile = file(mf::kPidFile);
  if (!qemu::process_has_arg(qemu::read_pidfile(pidfile), pidfile.string())) return;  // no VM, no forwards
  qemu::QmpClient qmp(file(mf::kQmpSocket), 3s);
  hmp_remove_forward(qemu::hmp_runner(qmp), qemu::kUserNetdev, f);
}

nlohmann::json QemuDriver::to_json() const { return qemu::to_json(config_); }

void QemuDriver::from_json(const nlohmann::json& j) {
  auto name = config_.base.machine_name;
  config_ = qemu::qemu_config_from_json(j);
  if (config_.base.machine_name.empty()) config_.base.machine_name = name;
}

}  // namespace machine::drivers
