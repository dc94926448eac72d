#pragma once
// The checked wrapper around VBoxManage: locating it (PATH, and on Windows the installer's
// VBOX_INSTALL_PATH / VBOX_MSI_INSTALL_PATH), its version, and running it through the
// injected ProcessRunner with errors that carry the command, exit status and stderr.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "machine/process_runner.h"

namespace machine::drivers::virtualbox {

// docker-machine's words, kept so scripts matching them keep working.
inline constexpr std::string_view kVBoxManageNotFound =
    "VBoxManage not found. Make sure VirtualBox is installed and VBoxManage is in the path";

// What locating VBoxManage depends on, so the Windows rules are testable anywhere.
struct LocateEnv {
  bool windows = false;
  std::string vbox_install_path;      // %VBOX_INSTALL_PATH%
  std::string vbox_msi_install_path;  // %VBOX_MSI_INSTALL_PATH%
};
LocateEnv current_locate_env();

// VBoxManage's path: on Windows VBOX_INSTALL_PATH, VBOX_MSI_INSTALL_PATH and the default
// install folder come first (the installer does not put VBoxManage on PATH); then PATH.
std::optional<std::filesystem::path> locate_vboxmanage(ProcessRunner& runner, const LocateEnv& env);

struct VBoxVersion {
  int major = 0, minor = 0, patch = 0;
  std::string text;  // as printed: "7.0.12r159484", "6.1.38_Ubuntur153438"
  bool at_least(int ma, int mi, int pa = 0) const;
};
// The version from `VBoxManage --version` output: its last non-empty line (warnings about
// the kernel module come first). nullopt when it is not "major.minor...".
std::optional<VBoxVersion> parse_version(std::string_view output);
// Throws Error(FailedPrecondition) with docker-machine's message below VirtualBox 5.
VBoxVersion check_version(std::string_view output);

// `showvminfo --machinereadable` lines `key="value"` / `"key"="value"` / `key=value`,
// quotes removed.
std::map<std::string, std::string> parse_machine_readable(std::string_view output);

// True when stderr says the VM is not registered.
bool is_machine_not_found(std::string_view err);

// The UUID of the VM called `name` in `list vms` output (`"name" {uuid}` lines), if any.
std::optional<std::string> vm_uuid_named(std::string_view list_vms, const std::string& name);

class VBoxManage {
 public:
  // `program` is VBoxManage's path; empty means "not found" and every run throws
  // Error(FailedPrecondition, kVBoxManageNotFound).
  VBoxManage(ProcessRunner& runner, std::filesystem::path program);

  bool found() const { return !program_.empty(); }
  // Runs and throws Error(Internal) "VBoxManage failed: `VBoxManage ...` exited with status
  // N: <stderr>" on failure. Retries "The object is not ready" like docker-machine, and
  // treats "error:" on stderr as failure even with exit status 0 (VBoxManage on Windows).
  ProcessResult run(const std::vector<std::string>& args);
  // Same, but returns a failed result instead of throwing.
  ProcessResult try_run(const std::vector<std::string>& args);
  // Throws run()'s error for a failed result of `args`; does nothing when `r` is ok.
  static void check(const std::vector<std::string>& args, const ProcessResult& r);
  // Every argv run so far (tests, diagnostics).
  const std::vector<std::vector<std::string>>& history() const { return history_; }

 private:
  ProcessRunner& runner_;
  std::filesystem::path program_;
  std::vector<std::vector<std::string>> history_;
};

}  // namespace machine::drivers::virtualbox
