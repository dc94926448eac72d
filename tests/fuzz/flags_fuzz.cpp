// The flag parser (cli/flags.h): argv words separated by NUL. Parses or fails with
// Error(InvalidArgument); reading a parsed value never fails except integer() on a non-number.
#include "cli/flags.h"
#include "machine/error.h"
#include "tests/fuzz/fuzz.h"

using machine::cli::FlagKind;
using machine::cli::FlagSpec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<FlagSpec> specs = {
      {{"storage-path", "s"}, FlagKind::String, "store", "MACHINE_STORAGE_PATH", ""},
      {{"debug", "D"}, FlagKind::Bool, "debug", "", ""},
      {{"qemu-memory"}, FlagKind::Int, "MB", "", "1024"},
      {{"engine-label"}, FlagKind::StringList, "labels", "", ""},
      {{"format", "f"}, FlagKind::String, "template", "", ""},
  };
  auto words = machine::fuzz::split(machine::fuzz::as_text(data, size), '\0');
  for (bool stop : {false, true}) {
    try {
      auto parsed = machine::cli::parse_flags(
          specs, words, [](const std::string&) -> std::optional<std::string> { return std::nullopt; },
          {stop});
      (void)parsed.flags.string("storage-path");
      (void)parsed.flags.boolean("debug");
      (void)parsed.flags.list("engine-label");
      try {
        (void)parsed.flags.integer("qemu-memory");
      } catch (const machine::Error&) {
      }
    } catch (const machine::Error&) {
    }
  }
  return 0;
}
