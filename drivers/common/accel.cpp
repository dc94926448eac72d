#include "drivers/common/accel.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "machine/error.h"

namespace machine::drivers {
namespace {

constexpr std::array<std::pair<Accel, std::string_view>, 5> kNames{{
    {Accel::Auto, "auto"},
    {Accel::Kvm, "kvm"},
    {Accel::Hvf, "hvf"},
    {Accel::Whpx, "whpx"},
    {Accel::Tcg, "tcg"},
}};

// From <linux/kvm.h>; spelled out so the header is not needed on other hosts.
constexpr unsigned long kKvmGetApiVersion = 0xAE00;
constexpr unsigned long kKvmCreateVm = 0xAE01;
constexpr int kKvmApiVersion = 12;

}  // namespace

std::string_view accel_name(Accel a) noexcept {
  for (const auto& [acc, name] : kNames)
    if (acc == a) return name;
  return "";
}

Accel parse_accel(std::string_view s) {
  for (const auto& [acc, name] : kNames)
    if (name == s) return acc;
  fail(Code::InvalidArgument,
       fmt::format("invalid accelerator \"{}\": use one of auto, kvm, hvf, whpx, tcg", s));
}

HostVirt probe_host_virt() {
  HostVirt h;
#if defined(__APPLE__)
  h.os = "darwin";
  h.kvm_problem = "KVM is Linux only";
#elif defined(_WIN32)
  h.os = "windows";
  h.kvm_problem = "KVM is Linux only";
#else
  h.os = "linux";
  std::error_code ec;
  h.kvm_paravirtual = std::filesystem::exists("/sys/module/kvm_pvm", ec);
  int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    h.kvm_problem = fmt::format("cannot open /dev/kvm: {}", std::strerror(errno));
    return h;
  }
  int version = ::ioctl(fd, kKvmGetApiVersion, 0);
  if (version != kKvmApiVersion) {
    h.kvm_problem = fmt::format("/dev/kvm reports API version {}, expected {}", version, kKvmApiVersion);
  } else {
    int vm = ::ioctl(fd, kKvmCreateVm, 0);
    if (vm < 0) {
      h.kvm_problem = fmt::format("/dev/kvm cannot create a VM: {}", std::strerror(errno));
    } else {
      ::close(vm);
      h.kvm_usable = true;
    }
  }
  ::close(fd);
  if (h.kvm_usable && h.kvm_paravirtual)
    h.kvm_problem = "/dev/kvm is paravirtual KVM (kvm_pvm), which cannot boot stock kernels";
#endif
  return h;
}

AccelChoice choose_accel(Accel requested, const HostVirt& host) {
  switch (requested) {
    case Accel::Tcg:
      return {Accel::Tcg, ""};
    case Accel::Kvm:
      if (host.os != "linux" || !host.kvm_usable)
        fail(Code::FailedPrecondition,
             fmt::format("--qemu-accel kvm: KVM is not available: {}",
                         host.kvm_problem.empty() ? "no /dev/kvm" : host.kvm_problem));
      return {Accel::Kvm, ""};
    case Accel::Hvf:
      if (host.os != "darwin")
        fail(Code::FailedPrecondition, "--qemu-accel hvf: HVF is only available on macOS");
      return {Accel::Hvf, ""};
    case Accel::Whpx:
      if (host.os != "windows")
        fail(Code::FailedPrecondition, "--qemu-accel whpx: WHPX is only available on Windows");
      return {Accel::Whpx, ""};
    case Accel::Auto:
      break;
  }
  if (host.os == "darwin") return {Accel::Hvf, ""};
  if (host.os == "windows") return {Accel::Whpx, ""};
  if (host.kvm_usable && !host.kvm_paravirtual) return {Accel::Kvm, ""};
  return {Accel::Tcg, fmt::format("No usable hardware acceleration ({}): using TCG software emulation, "
                                  "which is slower",
                                  host.kvm_problem.empty() ? "no /dev/kvm" : host.kvm_problem)};
}

}  // namespace machine::drivers
