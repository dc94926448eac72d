// docker-machine v0.16.2 behaviour that scripts rely on, checked on the real binary with
// docker-machine's texts as golden files (tests/cli/golden/compat_*.txt): commands on a
// stopped machine, "already in that state", usage errors, rm -f of a missing machine,
// ssh -help, the global token flags and the -D debug log.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "tests/cli/blackbox_fixture.h"
#include "tests/cli/golden.h"

namespace machine::cli {
namespace {

class DockerMachineCompat : public MachineCli {
 protected:
  // A qemu machine whose VM is not running (no pidfile): the state table says Stopped. Made
  // from a `none` machine's config so the store's certificates are real.
  void make_stopped_qemu_machine(const std::string& name, const std::string& url) {
    ASSERT_EQ(create_none(name, url).exit_code, 0);
    auto config = store_.path() / "machines" / name / "config.json";
    auto j = nlohmann::json::parse(read_file(config));
    j["DriverName"] = "qemu";
    j["HostOptions"]["Driver"] = "qemu";
    j["Driver"] = {{"MachineName", name},
                   {"StorePath", store_.path().string()},
                   {"SSHPort", 22},
                   {"EnginePort", 2376},
                   {"SSHUser", "docker"}};
    write_file(config, j.dump(4));
  }

  // "$ machine ARGS" then stdout, stderr and the exit status, for golden transcripts.
  std::string transcript(const std::vector<std::string>& args,
                         std::optional<std::string> input = std::nullopt) {
    auto r = machine(args, {{"HOME", "/home/user"}}, std::move(input));  // help shows $HOME's store
    std::string line = "$ machine";
    for (const auto& a : args) line += " " + a;
    return line + "\n[stdout]\n" + r.out + "[stderr]\n" + r.err + "[exit " + std::to_string(r.exit_code) +
           "]\n";
  }
};

TEST_F(DockerMachineCompat, CommandsOnAStoppedMachineSayHostIsNotRunning) {
  FakeEngine engine(store_.path());
  make_stopped_qemu_machine("vm1", engine.url());
  ASSERT_EQ(machine({"status", "vm1"}).out, "Stopped\n");
  std::string out;
  for (std::vector<std::string> args : {std::vector<std::string>{"url", "vm1"},
                                        {"ip", "vm1"},
                                        {"env", "vm1"},
                                        {"config", "vm1"},
                                        {"version", "vm1"},
                                        {"ssh", "vm1"},
                                        {"ssh", "vm1", "echo", "hi"}})
    out += transcript(args);
  testing::expect_golden("compat_stopped.txt", out);
  // ls shows the machine as Stopped without an error, as docker-machine does.
  auto ls = machine({"ls", "--format", "{{.Name}} {{.State}} [{{.URL}}] [{{.Error}}]"});
  EXPECT_EQ(ls.out, "vm1 Stopped [] []\n") << ls.err;
}

TEST_F(DockerMachineCompat, AlreadyInTheStateAskedForIsAnError) {
  FakeEngine engine(store_.path());
  make_stopped_qemu_machine("vm1", engine.url());
  ASSERT_EQ(create_none("up", engine.url()).exit_code, 0);  // the none driver is always Running
  std::string out = transcript({"stop", "vm1"}) + transcript({"kill", "vm1"}) + transcript({"start", "up"});
  testing::expect_golden("compat_already.txt", out);
  // Several machines: each is reported, the command still fails.
  auto r = machine({"stop", "vm1", "up"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Machine \"vm1\" is already stopped."), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hosts without a driver cannot be stopped"), std::string::npos) << r.err;
}

TEST_F(DockerMachineCompat, UsageErrorsGoToStdoutWithDockerMachinesStatus) {
  std::string out = transcript({"ls", "--bogus"}) + transcript({"--bogus", "ls"}) +
                    transcript({"ssh", "-help"}) + transcript({"rm"});
  // The app help carries the version; keep the golden file stable across versions.
  out = std::regex_replace(out, std::regex("Version: [^\n]*"), "Version: VERSION");
  testing::expect_golden("compat_usage.txt", out);
}

TEST_F(DockerMachineCompat, ForcedRemovalOfAMissingMachineSaysCantRemove) {
  std::string out = transcript({"rm", "-f", "ghost"}) + transcript({"rm", "-y", "ghost"});
  testing::expect_golden("compat_rm_missing.txt", out);
}

TEST_F(DockerMachineCompat, TokenFlagsAreAcceptedAndIgnored) {
  auto r = machine({"--github-api-token", "x", "--bugsnag-api-token", "y", "ls", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = machine({"ls", "-q"}, {{"MACHINE_GITHUB_API_TOKEN", "x"}, {"MACHINE_BUGSNAG_API_TOKEN", "y"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto help = machine({"--help"}).out;
  EXPECT_NE(help.find("--github-api-token"), std::string::npos) << help;
  EXPECT_NE(help.find("--bugsnag-api-token"), std::string::npos) << help;
}

TEST_F(DockerMachineCompat, CreateHelpListsTheDriversWithTheirDescriptions) {
  auto r = machine({"create", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nDrivers:\n   qemu\t+QEMU virtual machine on this host")))
      << r.out;
  EXPECT_TRUE(
      std::regex_search(r.out, std::regex("\n   none\t+No VM: an existing Docker engine reached by URL\n")))
      << r.out;
}

TEST_F(DockerMachineCompat, DebugLogShowsRequestsAndStepTimesOnStderrOnly) {
  FakeEngine engine(store_.path());
  auto quiet = create_none("vm1", engine.url());
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("[debug]"), std::string::npos);
  auto r = machine({"-D", "create", "-d", "none", "--url", engine.url(), "--no-docker-context", "vm2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("[debug]"), std::string::npos) << "stdout stays clean for scripts";
  EXPECT_NE(r.err.find("[debug] command=create"), std::string::npos) << r.err;
  EXPECT_TRUE(
      std::regex_search(r.err, std::regex(R"(\[debug\] step after \d+ ms: Running pre-create checks\.\.\.)")))
      << r.err;
  r = machine({"--debug", "env", "vm2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex(R"(\[debug\] engine answer: GET tcp://127\.0\.0\.1:\d+/_ping -> 200 after \d+ ms)")))
      << r.err;
  auto env = machine({"version", "vm1"}, {{"MACHINE_DEBUG", "1"}});
  EXPECT_EQ(env.out, "20.10.24\n");
  EXPECT_NE(env.err.find("[debug] engine request: GET " + engine.url() + "/version"), std::string::npos)
      << env.err;
  auto bad = machine({"ls"}, {{"MACHINE_DEBUG", "maybe"}});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err,
            "Error parsing boolean value from MACHINE_DEBUG: strconv.ParseBool: parsing \"maybe\": invalid "
            "syntax\n");
}

}  // namespace
}  // namespace machine::cli
