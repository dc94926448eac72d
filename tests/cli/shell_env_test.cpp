#include "cli/shell_env.h"

#include <gtest/gtest.h>

#include "tests/cli/golden.h"

namespace machine::cli {
namespace {

const std::vector<std::string> kShells{"bash", "zsh", "fish", "powershell", "cmd", "tcsh", "emacs"};

ShellEnv vm1(const std::string& shell, bool unset) {
  ShellEnv e;
  e.shell = shell;
  e.unset = unset;
  e.docker_host = "tcp://127.0.0.1:2376";
  e.cert_path = "/home/user/.docker/machine/machines/vm1";
  e.machine_name = "vm1";
  e.argv = unset ? std::vector<std::string>{"machine", "env", "--shell", shell, "-u"}
                 : std::vector<std::string>{"machine", "env", "--shell", shell, "vm1"};
  return e;
}

TEST(ShellEnv, MatchesGoldenOutputForEveryShell) {
  for (const auto& shell : kShells) {
    testing::expect_golden("env_" + shell + ".txt", render_shell_env(vm1(shell, false)));
    testing::expect_golden("env_" + shell + "_unset.txt", render_shell_env(vm1(shell, true)));
  }
}

TEST(ShellEnv, BashOutputIsDockerMachines) {
  EXPECT_EQ(render_shell_env(vm1("bash", false)),
            "export DOCKER_TLS_VERIFY=\"1\"\n"
            "export DOCKER_HOST=\"tcp://127.0.0.1:2376\"\n"
            "export DOCKER_CERT_PATH=\"/home/user/.docker/machine/machines/vm1\"\n"
            "export DOCKER_MACHINE_NAME=\"vm1\"\n"
            "# Run this command to configure your shell: \n"
            "# eval $(machine env --shell bash vm1)\n");
}

TEST(ShellEnv, NoProxyLine) {
  auto e = vm1("fish", false);
  e.no_proxy = no_proxy_with("127.0.0.1", nullptr, "example.com");
  EXPECT_NE(render_shell_env(e).find("set -gx NO_PROXY \"example.com,127.0.0.1\";\n"), std::string::npos);
  EXPECT_EQ(no_proxy_with("1.2.3.4", "a,1.2.3.4", nullptr),
            (std::pair<std::string, std::string>{"no_proxy", "a,1.2.3.4"}));
  EXPECT_EQ(no_proxy_with("1.2.3.4", "", ""), (std::pair<std::string, std::string>{"NO_PROXY", "1.2.3.4"}));
}

// The hints docker-machine's own env_test.go expects.
TEST(ShellEnv, UsageHintsAsDockerMachine) {
  EXPECT_EQ(usage_hint("", {"machine", "env", "default"}),
            "# Run this command to configure your shell: \n# eval $(machine env default)\n");
  EXPECT_EQ(usage_hint("fish", {"./machine", "env", "--shell=fish", "default"}),
            "# Run this command to configure your shell: \n# eval (./machine env --shell=fish default)\n");
  EXPECT_EQ(usage_hint("powershell", {"./machine", "env", "--shell=powershell", "--unset"}),
            "# Run this command to configure your shell: \n# & ./machine env --shell=powershell --unset | "
            "Invoke-Expression\n");
  EXPECT_EQ(
      usage_hint("cmd", {"./machine", "env", "--shell=cmd", "default"}),
      "REM Run this command to configure your shell: \nREM \t@FOR /f \"tokens=*\" %i IN ('./machine env "
      "--shell=cmd default') DO @%i\n");
  EXPECT_EQ(
      usage_hint("emacs", {"./machine", "env", "--shell=emacs", "default"}),
      ";; Run this command to configure your shell: \n;; (with-temp-buffer (shell-command \"./machine env "
      "--shell=emacs default\" (current-buffer)) (eval-buffer))\n");
  EXPECT_EQ(usage_hint("tcsh", {"./machine", "env", "--shell=tcsh", "default"}),
            ": Run this command to configure your shell: \n: eval `./machine env --shell=tcsh default`\n");
  EXPECT_EQ(usage_hint("", {"C:\\\\Me\\docker-machine.exe", "env", "default"}),
            "# Run this command to configure your shell: \n# eval $(\"C:\\\\Me\\docker-machine.exe\" env "
            "default)\n");
}

TEST(ShellEnv, DetectsShellFromVariable) {
  EXPECT_EQ(detect_shell("/usr/bin/fish"), "fish");
  EXPECT_EQ(detect_shell(nullptr), "bash");
  EXPECT_EQ(detect_shell(""), "bash");
}

}  // namespace
}  // namespace machine::cli
