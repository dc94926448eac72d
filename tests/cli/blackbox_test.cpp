// Black-box tests: the real `machine` binary against a temporary store
// (MACHINE_STORAGE_PATH) with the `none` driver pointed at a real TLS engine stand-in
// (openssl s_server on 127.0.0.1 with a server cert signed by the store's CA).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <thread>

#include "certs/certs.h"
#include "drivers/common/ports.h"
#include "machine/process_runner.h"
#include "machine/store.h"
#include "tests/cli/blackbox_fixture.h"
#include "tests/cli/golden.h"
#include "tests/support/temp_dir.h"

namespace machine::cli {
namespace {
using namespace std::chrono_literals;
using machine::testing::read_file;
using machine::testing::TempDir;
using machine::testing::write_file;

TEST_F(MachineCli, CreateListInspectAndRemoveANoneMachine) {
  FakeEngine engine(store_.path());
  auto r = create_none("vm1", engine.url());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Running pre-create checks..."), std::string::npos) << r.out;
  EXPECT_TRUE(
      std::regex_search(r.out, std::regex("To see how to connect your Docker Client to the Docker Engine "
                                          "running on this virtual machine, run: \\S*machine env vm1\n")))
      << r.out;

  r = machine({"ls"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string url = engine.url();
  EXPECT_EQ(r.out, "NAME   ACTIVE   DRIVER   STATE     URL" + std::string(url.size(), ' ') +
                       "SWARM   DOCKER      ERRORS\n"
                       "vm1    -        none     Running   " +
                       url + "           v20.10.24   \n");

  r = machine({"ls", "--format", "{{.Name}} {{.Active}}"}, {{"DOCKER_HOST", engine.url()}});
  EXPECT_EQ(r.out, "vm1 *\n");
  r = machine({"ls", "-q"});
  EXPECT_EQ(r.out, "vm1\n");
  r = machine({"active"}, {{"DOCKER_HOST", engine.url()}});
  EXPECT_EQ(r.out, "vm1\n");
  r = machine({"active"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "No active host found\n");

  r = machine({"inspect", "-f", "{{.DriverName}} {{.Driver.URL}}", "vm1"});
  EXPECT_EQ(r.out, "none " + engine.url() + "\n");
  r = machine({"inspect", "vm1"});
  ASSERT_EQ(r.exit_code, 0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["Name"], "vm1");
  EXPECT_EQ(j["HostOptions"]["AuthOptions"]["StorePath"], (store_.path() / "machines" / "vm1").string());

  EXPECT_EQ(machine({"url", "vm1"}).out, engine.url() + "\n");
  EXPECT_EQ(machine({"ip", "vm1"}).out, "127.0.0.1\n");
  EXPECT_EQ(machine({"status", "vm1"}).out, "Running\n");
  EXPECT_EQ(machine({"version", "vm1"}).out, "20.10.24\n");

  auto dir = store_.path() / "machines" / "vm1";
  r = machine({"config", "vm1"});
  EXPECT_EQ(r.out, "--tlsverify\n--tlscacert=\"" + (dir / "ca.pem").string() + "\"\n--tlscert=\"" +
                       (dir / "cert.pem").string() + "\"\n--tlskey=\"" + (dir / "key.pem").string() +
                       "\"\n-H=" + engine.url() + "\n");

  r = machine({"ssh", "vm1", "true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "machine 'vm1' (driver none) has no SSH access\n");
  r = machine({"scp", "vm1:/etc/hostname", "."});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no SSH access"), std::string::npos) << r.err;

  r = machine({"rm", "vm1"}, {}, "n\n");
  EXPECT_EQ(
      r.out,
      "About to remove vm1\nWARNING: This action will delete both local reference and remote instance.\n"
      "Are you sure? (y/n): ");
  EXPECT_TRUE(std::filesystem::exists(dir));
  r = machine({"rm", "vm1"}, {}, "y\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Successfully removed vm1\n"), std::string::npos);
  EXPECT_TRUE(machine_dirs().empty());
}

TEST_F(MachineCli, EnvForEveryShellSetAndUnset) {
  FakeEngine engine(store_.path());
  ASSERT_EQ(create_none("vm1", engine.url()).exit_code, 0);
  auto dir = (store_.path() / "machines" / "vm1").string();
  for (std::string shell : {"bash", "zsh", "fish", "powershell", "cmd", "tcsh", "emacs"}) {
    auto r = machine({"env", "--shell", shell, "vm1"});
    ASSERT_EQ(r.exit_code, 0) << shell << ": " << r.err;
    // The golden files hold the same output for a fixed URL, path and argv[0].
    std::string out = r.out;
    for (auto [from, to] :
         std::vector<std::pair<std::string, std::string>>{{engine.url(), "tcp://127.0.0.1:2376"},
                                                          {dir, "/home/user/.docker/machine/machines/vm1"},
                                                          {machine_binary(), "machine"}}) {
      for (size_t p; (p = out.find(from)) != std::string::npos;) out.replace(p, from.size(), to);
    }
    testing::expect_golden("env_" + shell + ".txt", out);
    r = machine({"env", "--shell", shell, "-u"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    out = r.out;
    for (size_t p; (p = out.find(machine_binary())) != std::string::npos;)
      out.replace(p, machine_binary().size(), "machine");
    testing::expect_golden("env_" + shell + "_unset.txt", out);
  }
  // $SHELL picks the syntax when --shell is absent.
  auto r = machine({"env", "vm1"}, {{"SHELL", "/usr/bin/fish"}});
  EXPECT_EQ(r.out.rfind("set -gx DOCKER_TLS_VERIFY \"1\";\n", 0), 0u) << r.out;
  r = machine({"env", "--no-proxy", "vm1"}, {{"NO_PROXY", "example.com"}});
  EXPECT_NE(r.out.find("export NO_PROXY=\"example.com,127.0.0.1\"\n"), std::string::npos) << r.out;
}

TEST_F(MachineCli, EnvRefusesAnEngineWhoseCertificateIsNotTrusted) {
  int port;
  {
    FakeEngine engine(store_.path());
    ASSERT_EQ(create_none("vm1", engine.url()).exit_code, 0);
    port = engine.port();
  }
  // Another engine, signed by another CA, now answers at the machine's URL.
  TempDir other;
  FakeEngine impostor(other.path(), port);
  auto r = machine({"env", "vm1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("Error checking TLS connection: ", 0), 0u) << r.err;
  r = machine({"config", "vm1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
}

TEST_F(MachineCli, InvalidNameLeavesNothingBehind) {
  auto r = create_none("bad_name", "tcp://127.0.0.1:1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "Error creating machine: Invalid hostname specified. Allowed hostname chars are: 0-9a-zA-Z . - "
            "(machine "
            "name \"bad_name\": it contains '_')\n");
  EXPECT_TRUE(machine_dirs().empty());
}

TEST_F(MachineCli, UnknownFlagIsAClearErrorAndLeavesNothingBehind) {
  auto r = machine({"create", "-d", "none", "--url", "tcp://127.0.0.1:1", "--bogus", "x", "vm1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("flag provided but not defined: -bogus"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.rfind("Incorrect Usage.\n\nUsage: machine create [OPTIONS] [arg...]", 0), 0u) << r.out;
  EXPECT_TRUE(machine_dirs().empty());
  // Other commands: usage on stdout, the error on stderr, and status 1 (docker-machine
  // exited 0 here; a deliberate difference, cli/README.md).
  r = machine({"ls", "--nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "flag provided but not defined: -nope\n");
  r = machine({"frobnicate"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'frobnicate' is not a machine command"), std::string::npos) << r.err;
}

TEST_F(MachineCli, FailedPreCreateCheckExitsWith3) {
  if (runner_->find_program("VBoxManage"))
    GTEST_SKIP() << "VirtualBox is installed: its pre-create check passes";
  auto r = machine({"create", "-d", "virtualbox", "--no-docker-context", "vm1"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err, "");
  EXPECT_TRUE(machine_dirs().empty());
}

TEST_F(MachineCli, UnknownDriverListsTheKnownOnes) {
  auto r = machine({"create", "-d", "nosuch", "vm1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Driver \"nosuch\" not found. Available drivers: "), std::string::npos) << r.err;
  EXPECT_TRUE(machine_dirs().empty());
}

TEST_F(MachineCli, UnknownMachineMessageAndExitCode) {
  std::string msg = machine_not_found_message("nope") + "\n";
  for (std::vector<std::string> args : {std::vector<std::string>{"inspect", "nope"},
                                        {"status", "nope"},
                                        {"url", "nope"},
                                        {"env", "nope"},
                                        {"ip", "nope"},
                                        {"stop", "nope"}}) {
    auto r = machine(args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_EQ(r.err, msg) << args[0];
  }
  auto r = machine({"rm", "-y", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error removing host \"nope\": " + msg);
}

TEST_F(MachineCli, NoNameAndNoDefaultMachine) {
  auto r = machine({"status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: No machine name(s) specified and no \"default\" machine exists\n");
}

TEST_F(MachineCli, CorruptConfigShowsAsErrorAndRmForceRemovesIt) {
  FakeEngine engine(store_.path());
  ASSERT_EQ(create_none("good", engine.url()).exit_code, 0);
  ASSERT_EQ(create_none("bad", engine.url()).exit_code, 0);
  write_file(store_.path() / "machines" / "bad" / "config.json", "{not json");
  auto r = machine({"ls"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nbad +not found +Error +cannot read config of 'bad'")))
      << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\ngood +- +none +Running"))) << r.out;
  r = machine({"ls", "--format", "{{.Name}}:{{.State}}"});
  EXPECT_EQ(r.out, "bad:Error\ngood:Running\n");
  r = machine({"rm", "-f", "-y", "bad"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(machine_dirs(), std::vector<std::string>{"good"});
}

TEST_F(MachineCli, CreateRefusesAnExistingName) {
  FakeEngine engine(store_.path());
  ASSERT_EQ(create_none("vm1", engine.url()).exit_code, 0);
  auto r = create_none("vm1", engine.url());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Docker machine \"vm1\" already exists\n");
  EXPECT_EQ(machine_dirs(), std::vector<std::string>{"vm1"});
}

TEST_F(MachineCli, FiltersAndTableFormat) {
  FakeEngine engine(store_.path());
  for (auto name : {"web10", "web2", "db1"}) ASSERT_EQ(create_none(name, engine.url()).exit_code, 0);
  EXPECT_EQ(machine({"ls", "-q"}).out, "db1\nweb2\nweb10\n");
  EXPECT_EQ(machine({"ls", "-q", "--filter", "name=^web"}).out, "web2\nweb10\n");
  EXPECT_EQ(machine({"ls", "-q", "--filter", "driver=none", "--filter", "name=db"}).out, "db1\n");
  EXPECT_EQ(machine({"ls", "-q", "--filter", "state=Stopped"}).out, "");
  EXPECT_EQ(machine({"ls", "--format", "table {{.Name}}\\t{{.State}}"}).out,
            "NAME    STATE\ndb1     Running\nweb2    Running\nweb10   Running\n");
  auto r = machine({"ls", "--filter", "colour=red"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Unsupported filter key 'colour'\n");
  r = machine({"ls", "--format", "{{.Nope}}"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("can't evaluate field Nope"), std::string::npos) << r.err;
}

TEST_F(MachineCli, ImageListOfAnEmptyCache) {
  auto r = machine({"image", "ls"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ID   SUITE   KERNEL   SIZE   BUILT\n");
  r = machine({"image", "rm", "machineos-0.0.0"});
  EXPECT_EQ(r.exit_code, 1);
  r = machine({"image", "frob"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Unknown image subcommand \"frob\""), std::string::npos) << r.err;
  // A suite the recipe does not know is refused before anything is built.
  r = machine({"image", "build", "--suite", "buster"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown Debian suite \"buster\" for the machine OS: use one of trixie, bookworm"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(machine({"image", "ls"}).out, "ID   SUITE   KERNEL   SIZE   BUILT\n");
}

TEST_F(MachineCli, HelpAndVersion) {
  auto r = machine({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(std::regex_match(r.out, std::regex("machine version [0-9.]+\n"))) << r.out;
  r = machine({"help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Usage: machine [OPTIONS] COMMAND [arg...]"), std::string::npos);
  r = machine({"create", "-d", "none", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--url \t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[$NONE_URL]"), std::string::npos) << r.out;
  for (const auto& c : {"ls", "env", "rm", "inspect", "start", "regenerate-certs"}) {
    r = machine({c, "--help"});
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_EQ(r.out.rfind(std::string("Usage: machine ") + c, 0), 0u) << r.out;
  }
}

TEST_F(MachineCli, ControlCharactersInOptionValuesAreRefusedBeforeAnythingIsMade) {
  for (std::vector<std::string> flag :
       {std::vector<std::string>{"--engine-label", "a=b\nExecStart=/bin/evil"},
        {"--engine-opt", "debug\r"},
        {"--engine-insecure-registry", "r:5000\n"},
        {"--tls-san", "host\nDNS:evil"},
        {"--engine-env", std::string("A=\x1b[31m")}}) {
    std::vector<std::string> args = {
        "create", "-d", "none", "--url", "tcp://127.0.0.1:1", "--no-docker-context"};
    args.insert(args.end(), flag.begin(), flag.end());
    args.push_back("vm1");
    auto r = machine(args);
    EXPECT_EQ(r.exit_code, 1) << flag[0] << r.out << r.err;
    EXPECT_NE(r.err.find("invalid value for " + flag[0] + ": it contains the control character"),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(machine_dirs().empty()) << flag[0];
    EXPECT_FALSE(std::filesystem::exists(store_.path() / "certs")) << "checked before the CA is made";
  }
}

TEST_F(MachineCli, RegenerateClientCertsOfSeveralMachinesMakesOneNewCa) {
  FakeEngine engine(store_.path());
  std::vector<std::string> names;
  for (int i = 1; i <= 6; ++i) {
    names.push_back("m" + std::to_string(i));
    ASSERT_EQ(create_none(names.back(), engine.url()).exit_code, 0);
  }
  const auto old_ca = read_file(store_.path() / "certs" / "ca.pem");
  std::vector<std::string> args = {"regenerate-certs", "-f", "--client-certs"};
  args.insert(args.end(), names.begin(), names.end());
  auto r = machine(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto new_ca = read_file(store_.path() / "certs" / "ca.pem");
  EXPECT_NE(new_ca, old_ca);
  auto verifier = make_system_process_runner();
  for (const auto& n : names) {
    auto dir = store_.path() / "machines" / n;
    EXPECT_EQ(read_file(dir / "ca.pem"), new_ca) << n;
    EXPECT_EQ(read_file(dir / "cert.pem"), read_file(store_.path() / "certs" / "cert.pem")) << n;
    Command verify;
    verify.program = "openssl";
    verify.args = {"verify", "-CAfile", (store_.path() / "certs" / "ca.pem").string(),
                   (dir / "server.pem").string()};
    auto v = verifier->run(verify);
    EXPECT_EQ(v.exit_code, 0) << n << ": " << v.out << v.err;
  }
}

TEST_F(MachineCli, RegenerateClientCertsWithAnUnknownNameChangesNoCa) {
  FakeEngine engine(store_.path());
  ASSERT_EQ(create_none("m1", engine.url()).exit_code, 0);
  const auto old_ca = read_file(store_.path() / "certs" / "ca.pem");
  auto r = machine({"regenerate-certs", "-f", "--client-certs", "m1", "nope"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(read_file(store_.path() / "certs" / "ca.pem"), old_ca);
}

}  // namespace
}  // namespace machine::cli
