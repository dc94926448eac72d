// create on a terminal (under script(1), a real pty): the heartbeat shows what the step is
// waiting for with its elapsed seconds, and create ends with its time summary.
#include <gtest/gtest.h>

#include <regex>

#include "tests/e2e/e2e_env.h"

namespace machine::e2e {
namespace {

TEST(Progress, CreateOnATerminalShowsTheHeartbeat) {
  Store store;
  std::string cmd = store.binary() + " -s " + store.path().string() + " create --qemu-restrict-network vmtty";
  auto r = sh("script -qefc '" + cmd + "' /dev/null",
              {"DOCKER_CONFIG=" + store.docker_config(), "HOME=" + store.home(), "TERM=xterm"});
  EXPECT_EQ(r.status, 0) << r.out;
  // "\r\033[K/ waiting for the guest to boot (7 s)"
  std::regex heartbeat(R"(\r\x1b\[K[|/\\-] waiting for [a-zA-Z ]+ \((\d+) s\))");
  int beats = 0, max_seconds = 0;
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), heartbeat); it != std::sregex_iterator();
       ++it) {
    ++beats;
    max_seconds = std::max(max_seconds, std::stoi((*it)[1].str()));
  }
  EXPECT_GE(beats, 2) << r.out;
  EXPECT_GE(max_seconds, 1) << r.out;
  EXPECT_NE(r.out.find("Created \"vmtty\" in "), std::string::npos) << r.out;
  auto rm = store.machine("rm -y vmtty");
  EXPECT_EQ(rm.status, 0) << rm.out;
}

}  // namespace
}  // namespace machine::e2e
