// VBoxManage output parsers (drivers/virtualbox): version, --machinereadable, hostonlyifs,
// dhcpservers, error text, CIDR flags. Each parses or fails with machine::Error.
#include "drivers/virtualbox/network.h"
#include "drivers/virtualbox/vbox_manage.h"
#include "machine/error.h"
#include "tests/fuzz/fuzz.h"

namespace vb = machine::drivers::virtualbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = machine::fuzz::as_text(data, size);
  (void)vb::parse_version(text);
  (void)vb::parse_machine_readable(text);
  (void)vb::is_machine_not_found(text);
  (void)vb::parse_dhcpservers(text);
  try {
    (void)vb::check_version(text);
  } catch (const machine::Error&) {
  }
  try {
    auto ifs = vb::parse_hostonlyifs(text);
    (void)vb::find_hostonly_adapter(ifs, vb::parse_hostonly_cidr("192.168.99.1/24"));
  } catch (const machine::Error&) {
  }
  try {
    auto c = vb::parse_hostonly_cidr(text);
    (void)vb::dhcp_range(c.ip, c);
  } catch (const machine::Error&) {
  }
  return 0;
}
