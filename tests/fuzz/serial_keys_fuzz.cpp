// Host keys a guest prints on its serial console (provisioner/known_hosts.h and
// drivers/qemu/console.h): any console text yields only valid keys, never a crash.
#include "drivers/qemu/console.h"
#include "machine/error.h"
#include "provisioner/known_hosts.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string console(machine::fuzz::as_text(data, size));
  for (const auto& k : machine::ssh::parse_serial_host_keys(console))
    machine::fuzz::check(!k.type.empty() && !k.blob.empty(), "an empty host key was accepted");
  for (const auto& line : machine::drivers::qemu::parse_host_keys(console)) {
    auto sp = line.find(' ');
    machine::fuzz::check(sp != std::string::npos, "a console host key line has no type");
    try {
      (void)machine::ssh::parse_host_key(line.substr(0, sp), line.substr(sp + 1));
    } catch (const machine::Error&) {
    }
  }
  (void)machine::drivers::qemu::boot_done(console);
  (void)machine::drivers::qemu::last_lines(console, 10);
  return 0;
}
