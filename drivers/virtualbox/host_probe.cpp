#include "drivers/virtualbox/host_probe.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace machine::drivers::virtualbox {
namespace {

std::optional<std::string> slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class SystemHostProbe final : public HostProbe {
 public:
  std::string os() override {
#if defined(__APPLE__)
    return "darwin";
#elif defined(_WIN32)
    return "windows";
#else
    return "linux";
#endif
  }

  // docker-machine asks CPUID for VMX/SVM; on Linux the kernel shows the same bits as
  // cpuinfo flags (and hides them when the firmware disabled them).
  bool hw_virt_available() override {
#if defined(__linux__)
    auto info = slurp("/proc/cpuinfo");
    if (!info) return true;  // cannot tell: let VirtualBox decide
    std::istringstream in(*info);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("flags", 0) != 0) continue;
      std::istringstream words(line);
      std::string w;
      while (words >> w)
        if (w == "vmx" || w == "svm") return true;
      return false;
    }
    return true;
#else
    return true;
#endif
  }

  // Hyper-V only exists on Windows (vmms.exe + a present hypervisor); not on this build.
  bool hyperv_enabled() override { return false; }

  std::vector<HostNet> host_networks() override {
    std::vector<HostNet> nets;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return nets;
    for (auto* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || !a->ifa_netmask) continue;
      if (!(a->ifa_flags & IFF_UP) || (a->ifa_flags & IFF_LOOPBACK)) continue;
      uint32_t ip = ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr);
      uint32_t mask = ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_netmask)->sin_addr.s_addr);
      nets.push_back(HostNet{ip, mask_prefix(mask).value_or(32)});
    }
    ::freeifaddrs(list);
    return nets;
  }

  bool is_directory(const std::filesystem::path& p) override {
    std::error_code ec;
    return std::filesystem::is_directory(p, ec);
  }

  int cpu_count() override {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
  }

  std::optional<std::string> networks_conf() override { return slurp("/etc/vbox/networks.conf"); }
};

}  // namespace

std::unique_ptr<HostProbe> make_system_host_probe() { return std::make_unique<SystemHostProbe>(); }

}  // namespace machine::drivers::virtualbox
