// Host keys a guest prints on its serial console (drivers/common/console.h, checked by
// provisioner/ssh/known_hosts.h): any console text yields only valid key lines, never a crash.
#include "drivers/common/console.h"
#include "machine/error.h"
#include "provisioner/ssh/known_hosts.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string console(machine::fuzz::as_text(data, size));
  for (const auto& line : machine::drivers::common::parse_host_keys(console)) {
    auto sp = line.find(' ');
    machine::fuzz::check(sp != std::string::npos, "a console host key line has no type");
    try {
      auto k = machine::ssh::parse_host_key(line.substr(0, sp), line.substr(sp + 1));
      machine::fuzz::check(!k.type.empty() && !k.blob.empty(), "an empty host key was accepted");
    } catch (const machine::Error&) {
    }
  }
  (void)machine::drivers::common::boot_done(console);
  (void)machine::drivers::common::last_lines(console, 10);
  return 0;
}
