#pragma once
// `machine env` output for each shell, byte-for-byte as docker-machine v0.16 prints it
// (bash/zsh/sh and unknown shells use the POSIX form). Pure: no store, no network.
#include <optional>
#include <string>
#include <vector>

namespace machine::cli {

struct ShellEnv {
  std::string shell;  // bash, zsh, fish, powershell, cmd, tcsh, emacs (others: POSIX)
  bool unset = false;
  std::string docker_host;  // tcp://1.2.3.4:2376
  std::string cert_path;    // DOCKER_CERT_PATH (the machine directory)
  std::string machine_name;
  std::optional<std::pair<std::string, std::string>> no_proxy;  // variable name, value
  std::vector<std::string> argv;  // the command line, repeated in the usage hint
};

std::string render_shell_env(const ShellEnv& env);

// The two closing comment lines ("# Run this command to configure your shell: ...").
std::string usage_hint(const std::string& shell, std::vector<std::string> argv);

// The shell named by $SHELL (its basename), "bash" when unset.
std::string detect_shell(const char* shell_variable);

// NO_PROXY handling: picks no_proxy if set (else NO_PROXY) and appends `ip` unless present.
std::pair<std::string, std::string> no_proxy_with(const std::string& ip, const char* lower,
                                                  const char* upper);

}  // namespace machine::cli
