#pragma once
// `machine completion bash|zsh|fish`: completion scripts generated from the command table
// and the driver registry (cli_model.h). Pure: the same model gives the same script.
// Machine names are listed at completion time with `machine [-s STORE] ls -q`.
#include <string>

#include "cli/cli_model.h"

namespace machine::cli {

std::string bash_completion(const CliModel& m);
std::string zsh_completion(const CliModel& m);
std::string fish_completion(const CliModel& m);

}  // namespace machine::cli
