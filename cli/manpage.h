#pragma once
// machine(1) in roff, generated from the same model as completion (cli_model.h): one
// subsection per command with its usage, description and options as `machine help CMD`
// prints them, one per driver with its create flags, and every environment variable a flag
// reads. Pure.
#include <string>

#include "cli/cli_model.h"

namespace machine::cli {

std::string man_page(const CliModel& m);

// Text as roff shows it literally (backslashes, leading dots and quotes escaped).
std::string roff_escape(const std::string& text);

}  // namespace machine::cli
