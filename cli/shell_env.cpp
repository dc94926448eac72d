#include "cli/shell_env.h"

#include <fmt/format.h>

#include <filesystem>

namespace machine::cli {
namespace {

struct Syntax {
  std::string prefix, delimiter, suffix;
};

Syntax set_syntax(const std::string& shell) {
  if (shell == "fish") return {"set -gx ", " \"", "\";\n"};
  if (shell == "powershell") return {"$Env:", " = \"", "\"\n"};
  if (shell == "cmd") return {"SET ", "=", "\n"};
  if (shell == "tcsh") return {"setenv ", " \"", "\";\n"};
  if (shell == "emacs") return {"(setenv \"", "\" \"", "\")\n"};
  return {"export ", "=\"", "\"\n"};
}

Syntax unset_syntax(const std::string& shell) {
  if (shell == "fish") return {"set -e ", "", ";\n"};
  if (shell == "powershell") return {"Remove-Item Env:\\\\", "", "\n"};
  if (shell == "cmd") return {"SET ", "=", "\n"};
  if (shell == "emacs") return {"(setenv \"", "\" nil", ")\n"};
  if (shell == "tcsh") return {"unsetenv ", "", ";\n"};
  return {"unset ", "", "\n"};
}

}  // namespace

std::string usage_hint(const std::string& shell, std::vector<std::string> argv) {
  if (!argv.empty() && (argv[0].find(' ') != std::string::npos || argv[0].find('\\') != std::string::npos))
    argv[0] = "\"" + argv[0] + "\"";
  std::string line;
  for (size_t i = 0; i < argv.size(); ++i) line += (i ? " " : "") + argv[i];
  std::string comment = "#";
  std::string cmd;
  if (shell == "fish") {
    cmd = fmt::format("eval ({})", line);
  } else if (shell == "powershell") {
    cmd = fmt::format("& {} | Invoke-Expression", line);
  } else if (shell == "cmd") {
    cmd = fmt::format("\t@FOR /f \"tokens=*\" %i IN ('{}') DO @%i", line);
    comment = "REM";
  } else if (shell == "emacs") {
    cmd = fmt::format("(with-temp-buffer (shell-command \"{}\" (current-buffer)) (eval-buffer))", line);
    comment = ";;";
  } else if (shell == "tcsh") {
    cmd = fmt::format("eval `{}`", line);
    comment = ":";
  } else {
    cmd = fmt::format("eval $({})", line);
  }
  return fmt::format("{} Run this command to configure your shell: \n{} {}\n", comment, comment, cmd);
}

std::string render_shell_env(const ShellEnv& env) {
  Syntax s = env.unset ? unset_syntax(env.shell) : set_syntax(env.shell);
  // Unsetting prints empty values (cmd has no unset: it sets them to nothing).
  bool values = !env.unset;
  auto var = [&](const std::string& name, const std::string& value) {
    return s.prefix + name + s.delimiter + (values ? value : "") + s.suffix;
  };
  std::string out;
  out += var("DOCKER_TLS_VERIFY", "1");
  out += var("DOCKER_HOST", env.docker_host);
  out += var("DOCKER_CERT_PATH", env.cert_path);
  out += var("DOCKER_MACHINE_NAME", env.machine_name);
  // docker-machine appends the current value after "unset NO_PROXY" (a bug that yields
  // "unset NO_PROXY1.2.3.4"); we print the variable name alone.
  if (env.no_proxy) out += var(env.no_proxy->first, env.no_proxy->second);
  out += usage_hint(env.shell, env.argv);
  return out;
}

std::string detect_shell(const char* shell_variable) {
  if (!shell_variable || !*shell_variable) return "bash";
  return std::filesystem::path(shell_variable).filename().string();
}

std::pair<std::string, std::string> no_proxy_with(const std::string& ip, const char* lower,
                                                  const char* upper) {
  std::string name = "no_proxy";
  std::string value = lower ? lower : "";
  if (value.empty()) {
    name = "NO_PROXY";
    value = upper ? upper : "";
  }
  if (value.empty())
    value = ip;
  else if (value.find(ip) == std::string::npos)
    value += "," + ip;
  return {name, value};
}

}  // namespace machine::cli
