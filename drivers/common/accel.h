#pragma once
// Hardware acceleration for QEMU-based drivers (qemu, libvirt): what the host offers and
// which accelerator to use. Kept free of any one driver so both share the probing.
#include <string>
#include <string_view>

namespace machine::drivers {

enum class Accel { Auto, Kvm, Hvf, Whpx, Tcg };

// "auto", "kvm", "hvf", "whpx", "tcg".
std::string_view accel_name(Accel a) noexcept;
// Inverse of accel_name; throws Error(InvalidArgument) listing the valid names.
Accel parse_accel(std::string_view s);

// What the host offers, probed once per command (see probe_host_virt).
struct HostVirt {
  std::string os;                // "linux", "darwin", "windows"
  bool kvm_usable = false;       // /dev/kvm opens read-write and creates a VM
  bool kvm_paravirtual = false;  // /sys/module/kvm_pvm: stock kernels stall, -cpu host fails
  std::string kvm_problem;       // why KVM is not usable ("" when it is)
};

// Probes this host: the OS, /dev/kvm (open, KVM_GET_API_VERSION, KVM_CREATE_VM) and the
// paravirtual kvm_pvm module. No side effects beyond a VM fd closed at once.
HostVirt probe_host_virt();

struct AccelChoice {
  Accel accel = Accel::Tcg;  // never Auto
  std::string notice;        // one line for the user when auto fell back to TCG; else ""
};

// Resolves `requested` against the host. Auto: KVM only when it really works (not
// paravirtual), HVF on macOS, WHPX on Windows, else TCG. An explicit request the host
// cannot honour throws Error(FailedPrecondition) saying why. Pure.
AccelChoice choose_accel(Accel requested, const HostVirt& host);

}  // namespace machine::drivers
