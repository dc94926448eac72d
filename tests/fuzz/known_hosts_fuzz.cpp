// known_hosts (provisioner/ssh/known_hosts.h): any text parses (malformed lines skipped); each
// entry formats to a line that parses back to the same entry.
#include "machine/error.h"
#include "provisioner/ssh/known_hosts.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto entries = machine::ssh::parse_known_hosts(machine::fuzz::as_text(data, size));
  for (const auto& e : entries) {
    auto line = machine::ssh::format_known_hosts_line(e);
    auto back = machine::ssh::parse_known_hosts(line);
    machine::fuzz::check(back.size() == 1, "a formatted known_hosts line did not parse back to one entry");
    machine::fuzz::check(machine::ssh::format_known_hosts_line(back[0]) == line,
                         "a known_hosts line changed through parse -> format");
    (void)machine::ssh::known_hosts_entry_matches(e, "[127.0.0.1]:40022");
    (void)machine::ssh::known_hosts_entry_matches(e, "vm1");
  }
  try {
    (void)machine::ssh::base64_decode(machine::fuzz::as_text(data, size));
  } catch (const machine::Error&) {
  }
  return 0;
}
