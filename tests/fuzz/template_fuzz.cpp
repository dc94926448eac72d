// Go-template parser and renderer (cli/template.h): any text either parses or fails with
// Error(InvalidArgument); a parsed template executes against an `ls`/`inspect`-like document
// or fails with Error.
#include <nlohmann/json.hpp>

#include "cli/template.h"
#include "machine/error.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlohmann::json doc = nlohmann::json::parse(R"({
    "Name": "vm1", "DriverName": "qemu", "State": "Running", "URL": "tcp://127.0.0.1:2376",
    "Active": "-", "Swarm": "", "DockerVersion": "v20.10.24", "Error": "", "ResponseTime": 12,
    "Driver": {"SSHPort": 40022, "EnginePort": 2376, "IPAddress": "127.0.0.1", "Mounts": [],
               "Nested": {"A": [1, 2, {"B": null}], "C": true, "D": 1.5}},
    "HostOptions": {"EngineOptions": {"Labels": ["a=b", "c"], "Env": []}},
    "List": ["x", "y"], "Empty": {}, "Null": null
  })");
  auto text = machine::fuzz::as_text(data, size);
  try {
    auto t = machine::cli::Template::parse(machine::cli::expand_escapes(text));
    (void)t.execute(doc);
    (void)t.execute(doc["List"]);
    (void)t.execute(nullptr);
  } catch (const machine::Error&) {
  }
  return 0;
}
