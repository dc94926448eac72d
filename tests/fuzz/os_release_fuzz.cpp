// os-release (provisioner/os_release.h): never throws, ID is never empty.
#include "provisioner/os_release.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto os = machine::provision::parse_os_release(machine::fuzz::as_text(data, size));
  machine::fuzz::check(!os.id.empty(), "os-release gave an empty ID");
  (void)os.display_name();
  (void)os.init();
  return 0;
}
