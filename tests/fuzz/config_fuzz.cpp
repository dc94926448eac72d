// The config.json loader (machine/host.h): bytes either load as a Host or fail the way
// Store::load reports (nlohmann::json exceptions, machine::Error). A loaded Host written back
// and read again gives the same JSON (nothing lost or invented by a save).
#include <nlohmann/json.hpp>

#include "machine/error.h"
#include "machine/host.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = machine::fuzz::as_text(data, size);
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return 0;
  machine::Host h;
  try {
    h = machine::host_from_json(j);
  } catch (const nlohmann::json::exception&) {
    return 0;
  } catch (const machine::Error&) {
    return 0;
  }
  auto saved = machine::to_json(h);
  auto again = machine::to_json(machine::host_from_json(saved));
  machine::fuzz::check(saved == again, "config.json save -> load -> save changed the document");
  return 0;
}
