#include "drivers/network/network_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "drivers/network/host_interface.h"
#include "machine/error.h"
#include "machine/fs.h"

namespace machine::drivers::network {
namespace {

// flock on <networks>/<name>.lock, outside the network dir so remove() can delete that.
class NetworkLock {
 public:
  explicit NetworkLock(const std::filesystem::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0)
      fail(Code::Internal, fmt::format("cannot open lock {}: {}", path.string(), std::strerror(errno)));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd_);
      fail(Code::Internal, fmt::format("cannot lock {}: {}", path.string(), std::strerror(err)));
    }
  }
  ~NetworkLock() { ::close(fd_); }  // closing releases the flock
  NetworkLock(const NetworkLock&) = delete;
  NetworkLock& operator=(const NetworkLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

void require_valid_network_name(const std::string& name) {
  if (!valid_network_name(name))
    fail(Code::InvalidArgument,
         fmt::format(
             "invalid network name \"{}\": use letters, digits, '.', '_' and '-', starting with a letter "
             "or digit, at most 64 characters",
             name));
}

NetworkStore::NetworkStore(std::filesystem::path store_root, ProcessRunner& runner,
                           SwitchOptions switch_options)
    : root_(std::move(store_root)), runner_(runner), switch_options_(std::move(switch_options)) {
  if (!switch_options_.host_interface_allowed)
    switch_options_.host_interface_allowed = [] { return ::geteuid() == 0; };
  if (!switch_options_.route_table)
    switch_options_.route_table = [] {
      try {
        return fs::read_file("/proc/net/route");
      } catch (const Error&) {
        return std::string();
      }
    };
}

std::filesystem::path NetworkStore::network_dir(const std::string& name) const {
  require_valid_network_name(name);
  return networks_dir() / name;
}

VdeSwitch NetworkStore::switch_for(const std::string& name) const {
  return VdeSwitch(runner_, network_dir(name), switch_options_);
}

std::optional<NetworkConfig> NetworkStore::load(const std::string& name) const {
  auto path = config_path(name);
  if (!std::filesystem::exists(path)) return std::nullopt;
  return with_context(fmt::format("cannot read network '{}' ({})", name, path.string()), [&] {
    auto j = nlohmann::json::parse(fs::read_file(path), nullptr, false);
    if (j.is_discarded()) fail(Code::InvalidArgument, "not valid JSON");
    auto net = network_config_from_json(j);
    net.name = name;  // the directory decides
    return net;
  });
}

void NetworkStore::save(const NetworkConfig& net) const {
  fs::ensure_private_dir(network_dir(net.name));
  fs::write_file_atomic(config_path(net.name), to_json(net).dump(4) + "\n", 0600);
}

std::vector<Subnet> NetworkStore::host_routes() const {
  return parse_route_table(switch_options_.route_table());
}

std::string NetworkStore::free_default_subnet() const {
  std::vector<Subnet> taken;
  for (const auto& info : list()) taken.push_back(info.config.subnet);
  if (auto s = first_free_subnet(taken, host_routes())) return s->to_string();
  fail(Code::FailedPrecondition,
       "every 192.168.99-254.0/24 subnet is taken by another network or a route of this host; give one with "
       "--qemu-network-subnet");
}

std::string NetworkStore::start_switch(NetworkConfig& net) {
  auto sw = switch_for(net.name);
  net.host_interface.clear();
  if (!switch_options_.host_interface_allowed()) {
    sw.ensure_running();
    return "not running as root";
  }
  for (const auto& r : host_routes())
    if (overlaps(net.subnet, r)) {
      sw.ensure_running();
      return fmt::format("its subnet overlaps this host's route to {}", r.to_string());
    }
  auto tap = tap_name(network_dir(net.name));
  sw.ensure_running(tap);
  try {
    auto addr = fmt::format("{}/{}", format_ipv4(host_address(net.subnet)), net.subnet.prefix);
    Command add{"ip", {"addr", "replace", addr, "dev", tap}};
    add.timeout = std::chrono::seconds(10);
    run_checked(runner_, add, "ip");
    Command up{"ip", {"link", "set", tap, "up"}};
    up.timeout = std::chrono::seconds(10);
    run_checked(runner_, up, "ip");
  } catch (const Error& e) {
    return fmt::format("host interface {} failed: {}", tap, e.what());
  }
  net.host_interface = tap;
  return "";
}

Attachment NetworkStore::attach_locked(const std::string& network, const std::string& machine,
                                       const std::string& subnet, const std::string& preferred) {
  auto net = load(network);
  if (!net) {
    net = NetworkConfig{network, parse_subnet(subnet.empty() ? free_default_subnet() : subnet), {}};
  } else if (!subnet.empty() && parse_subnet(subnet).to_string() != net->subnet.to_string()) {
    fail(Code::InvalidArgument,
         fmt::format("network '{}' exists with subnet {}, not {}", network, net->subnet.to_string(), subnet));
  }
  // A machine removed with `rm -f` after its driver failed never released its address.
  for (auto it = net->machines.begin(); it != net->machines.end();) {
    bool gone = it->first != machine && !std::filesystem::exists(root_ / "machines" / it->first);
    it = gone ? net->machines.erase(it) : std::next(it);
  }
  auto a = allocate(*net, machine, preferred);
  save(*net);
  return Attachment{
      network, a.ip, net->cidr(a), a.mac, net->subnet.to_string(), switch_for(network).socket_dir()};
}

Attachment NetworkStore::attach(const std::string& network, const std::string& machine,
                                const std::string& subnet, const std::string& preferred) {
  require_valid_network_name(network);
  fs::ensure_private_dir(networks_dir());
  NetworkLock lock(networks_dir() / (network + ".lock"));
  return with_context(fmt::format("cannot attach '{}' to network '{}'", machine, network),
                      [&] { return attach_locked(network, machine, subnet, preferred); });
}

Attachment NetworkStore::connect(const std::string& network, const std::string& machine,
                                 const std::string& subnet, const std::string& preferred) {
  require_valid_network_name(network);
  fs::ensure_private_dir(networks_dir());
  NetworkLock lock(networks_dir() / (network + ".lock"));
  return with_context(fmt::format("cannot connect '{}' to network '{}'", machine, network), [&] {
    auto a = attach_locked(network, machine, subnet, preferred);
    auto net = load(network);  // attach_locked saved it
    std::string why = "it was started without one";
    if (!switch_for(network).running()) {
      why = start_switch(*net);
      save(*net);
    }
    if (!net->host_interface.empty()) {
      a.host_address = format_ipv4(host_address(net->subnet));
    } else {
      a.note = fmt::format(
          "network '{}' ({}) has no host interface ({}): its machines reach each other, but this host cannot "
          "reach {} (run machine as root for a host-reachable network)",
          network, net->subnet.to_string(), why, a.ip);
    }
    return a;
  });
}

void NetworkStore::detach(const std::string& network, const std::string& machine) {
  if (!valid_network_name(network) || !std::filesystem::exists(network_dir(network))) return;
  NetworkLock lock(networks_dir() / (network + ".lock"));
  with_context(fmt::format("cannot detach '{}' from network '{}'", machine, network), [&] {
    auto net = load(network);
    if (net && release(*net, machine)) save(*net);
    if (!net || net->machines.empty()) {
      switch_for(network).stop();  // its tap goes with it
      if (net && !net->host_interface.empty()) {
        net->host_interface.clear();
        save(*net);
      }
    }
  });
}

std::optional<NetworkInfo> NetworkStore::find(const std::string& network) const {
  if (!valid_network_name(network)) return std::nullopt;
  std::optional<NetworkConfig> net;
  try {
    net = load(network);
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!net) return std::nullopt;
  return NetworkInfo{*net, switch_for(network).running()};
}

std::vector<NetworkInfo> NetworkStore::list() const {
  std::vector<NetworkInfo> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(networks_dir(), ec)) {
    if (!e.is_directory()) continue;
    if (auto info = find(e.path().filename().string())) out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.config.name < b.config.name; });
  return out;
}

void NetworkStore::remove(const std::string& network, bool force) {
  require_valid_network_name(network);
  if (!std::filesystem::exists(network_dir(network)))
    fail(Code::NotFound, fmt::format("network \"{}\" does not exist", network));
  NetworkLock lock(networks_dir() / (network + ".lock"));
  std::optional<NetworkConfig> net;
  try {
    net = load(network);
  } catch (const Error&) {
    if (!force) throw;
  }
  if (net && !net->machines.empty() && !force) {
    std::string names;
    for (const auto& n : machine_names(*net)) names += (names.empty() ? "" : ", ") + n;
    fail(Code::FailedPrecondition,
         fmt::format("network \"{}\" is in use by {} (remove them first, or use -f)", network, names));
  }
  switch_for(network).stop();
  std::filesystem::remove_all(network_dir(network));
}

}  // namespace machine::drivers::network
