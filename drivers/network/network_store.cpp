#include "drivers/network/network_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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
    : root_(std::move(store_root)), runner_(runner), switch_options_(std::move(switch_options)) {}

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

std::string NetworkStore::free_default_subnet() const {
  std::vector<Subnet> taken;
  for (const auto& info : list()) taken.push_back(info.config.subnet);
  auto base = parse_subnet(kDefaultSubnet);
  for (std::uint32_t third = (base.network >> 8) & 255; third <= 254; ++third) {
    Subnet s{(base.network & 0xffff0000u) | (third << 8), 24};
    bool overlaps = std::any_of(taken.begin(), taken.end(), [&](const Subnet& t) {
      return t.contains(s.network) || s.contains(t.network);
    });
    if (!overlaps) return s.to_string();
  }
  fail(Code::FailedPrecondition,
       "every 192.168.99-254.0/24 subnet is taken by another network; give one with "
       "--qemu-network-subnet");
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
    switch_for(network).ensure_running();
    return a;
  });
}

void NetworkStore::detach(const std::string& network, const std::string& machine) {
  if (!valid_network_name(network) || !std::filesystem::exists(network_dir(network))) return;
  NetworkLock lock(networks_dir() / (network + ".lock"));
  with_context(fmt::format("cannot detach '{}' from network '{}'", machine, network), [&] {
    auto net = load(network);
    if (net && release(*net, machine)) save(*net);
    if (!net || net->machines.empty()) switch_for(network).stop();
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
