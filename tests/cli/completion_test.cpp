// Shell completion and the man page, generated from the command table: bash's completion
// function driven the way bash drives it (COMP_WORDS/COMP_CWORD), machine names read from a
// real store through the real binary, `machine help CMD` against machine.1, and the
// did-you-mean suggestions.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/cli_model.h"
#include "cli/manpage.h"
#include "machine/process_runner.h"
#include "machine/store.h"
#include "machine/suggest.h"
#include "tests/support/temp_dir.h"

namespace machine::cli {
namespace {
using machine::testing::TempDir;
using machine::testing::write_file;

std::string machine_binary() {
  const char* env = std::getenv("MACHINE_BINARY");
  if (env && std::filesystem::exists(env)) return env;
  return MACHINE_BINARY_PATH;
}

ProcessResult run_machine(const std::vector<std::string>& args) {
  auto runner = make_system_process_runner();
  Command c{machine_binary(), args};
  c.timeout = std::chrono::seconds(30);
  return runner->run(c);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

class BashCompletion : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = run_machine({"completion", "bash"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    write_file(dir_ / "machine.bash", r.out);
    // A store with two machines (none driver: nothing to query) for name completion.
    Store store(dir_ / "store");
    for (const char* name : {"vm1", "vm2"}) {
      store.create_machine_dir(name);
      Host h;
      h.name = name;
      h.driver_name = "none";
      h.driver = {{"URL", "tcp://127.0.0.1:2376"}, {"MachineName", name}};
      h.options.driver = "none";
      store.save(h);
    }
    std::filesystem::create_directory(dir_ / "cwd");
    write_file(dir_ / "cwd" / "vfile.txt", "x");
  }

  // What bash would offer for the command line `words` (the last word is being typed), as
  // bash calls the function: COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT.
  std::vector<std::string> complete(std::vector<std::string> words) {
    words.insert(words.begin(), machine_binary());
    std::string script =
        "source \"$1\"\nshift\nCOMP_WORDS=(\"$@\")\nCOMP_CWORD=$(($# - 1))\n"
        "COMP_LINE=\"$*\"\nCOMP_POINT=${#COMP_LINE}\n_machine \"$1\" \"${COMP_WORDS[COMP_CWORD]}\" "
        "\"${COMP_WORDS[COMP_CWORD-1]}\"\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    Command c{"bash", {"-c", script, "bash", (dir_ / "machine.bash").string()}};
    c.args.insert(c.args.end(), words.begin(), words.end());
    c.env = {{"MACHINE_STORAGE_PATH", (dir_ / "store").string()}, {"MACHINE_DRIVER", ""}};
    c.working_dir = dir_ / "cwd";
    c.timeout = std::chrono::seconds(30);
    auto r = make_system_process_runner()->run(c);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    return lines(r.out);
  }

  TempDir dir_;
};

using V = std::vector<std::string>;

TEST_F(BashCompletion, CompletesCommandsAndGlobalFlags) {
  EXPECT_EQ(complete({"cr"}), V({"create"}));
  EXPECT_EQ(complete({"co"}), V({"completion", "config"}));
  EXPECT_EQ(complete({"--stor"}), V({"--storage-path"}));
  // A global flag's value is not mistaken for the command.
  EXPECT_EQ(complete({"-s", "/tmp", "rest"}), V({"restart"}));
  EXPECT_EQ(complete({"help", "reg"}), V({"regenerate-certs"}));
}

TEST_F(BashCompletion, CompletesFlagsPerCommand) {
  EXPECT_EQ(complete({"ls", "--f"}), V({"--filter", "--format"}));
  EXPECT_EQ(complete({"rm", "-"}), V({"--force", "-f", "-y", "--help", "-h"}));
  EXPECT_EQ(complete({"env", "--shell", "f"}), V({"fish"}));
  EXPECT_EQ(complete({"image", ""}), V({"build", "ls", "rm"}));
  EXPECT_EQ(complete({"completion", "z"}), V({"zsh"}));
}

TEST_F(BashCompletion, CompletesDriversAndEachDriversFlagsAfterDashD) {
  auto drivers = complete({"create", "-d", ""});
  EXPECT_EQ(drivers.front(), "qemu");
  EXPECT_NE(std::find(drivers.begin(), drivers.end(), "virtualbox"), drivers.end());
  EXPECT_EQ(complete({"create", "--qemu-me"}), V({"--qemu-memory"}));  // the default driver
  EXPECT_EQ(complete({"create", "-d", "virtualbox", "--qemu-me"}), V{});
  EXPECT_EQ(complete({"create", "-d", "virtualbox", "--virtualbox-mem"}), V({"--virtualbox-memory"}));
  EXPECT_EQ(complete({"create", "-d", "generic", "--generic-ssh-p"}), V({"--generic-ssh-port"}));
  EXPECT_EQ(complete({"create", "--qemu-accel", "t"}), V({"tcg"}));
  EXPECT_EQ(complete({"create", "--mount-type", ""}), V({"virtiofs", "sshfs"}));
  EXPECT_EQ(complete({"create", "--engine-"}).size(), 7u);  // shared flags too
}

TEST_F(BashCompletion, CompletesMachineNamesFromTheStore) {
  EXPECT_EQ(complete({"stop", ""}), V({"vm1", "vm2"}));
  EXPECT_EQ(complete({"inspect", "vm2"}), V({"vm2"}));
  EXPECT_EQ(complete({"ssh", "v"}), V({"vm1", "vm2"}));
  EXPECT_EQ(complete({"ssh", "vm1", "d"}), V{});  // the command runs in the machine
  // -s names another store: its (no) machines.
  EXPECT_EQ(complete({"-s", (dir_ / "cwd").string(), "stop", ""}), V{});
  EXPECT_EQ(complete({"create", ""}), V{});  // a new name
}

TEST_F(BashCompletion, ScpCompletesMachinePrefixesAndLocalFiles) {
  EXPECT_EQ(complete({"scp", "v"}), V({"vm1:", "vm2:", "vfile.txt"}));
  EXPECT_EQ(complete({"scp", "-r", "vf"}), V({"vfile.txt"}));
}

TEST(CompletionScripts, AllThreeShellsAreGeneratedAndBashParsesItsOwn) {
  for (const char* shell : {"bash", "zsh", "fish"}) {
    auto r = run_machine({"completion", shell});
    ASSERT_EQ(r.exit_code, 0) << shell << r.err;
    EXPECT_NE(r.out.find("qemu-memory"), std::string::npos) << shell;
    EXPECT_NE(r.out.find("virtualbox-memory"), std::string::npos) << shell;
  }
  auto bad = run_machine({"completion", "fihs"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("Did you mean fish?"), std::string::npos) << bad.err;
  TempDir dir;
  write_file(dir / "c.bash", run_machine({"completion", "bash"}).out);
  auto r = make_system_process_runner()->run({"bash", {"-n", (dir / "c.bash").string()}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Shells installed here check their scripts too.
  for (auto [shell, file] : {std::pair{"zsh", "_machine"}, {"fish", "machine.fish"}}) {
    if (!make_system_process_runner()->find_program(shell)) continue;
    write_file(dir / file, run_machine({"completion", shell}).out);
    auto check = make_system_process_runner()->run({shell, {"-n", (dir / file).string()}});
    EXPECT_EQ(check.exit_code, 0) << shell << ": " << check.err;
  }
}

// fish completes from the generated script as bash does (fish's own `complete -C`).
TEST(CompletionScripts, FishCompletesCommandsDriverFlagsAndShells) {
  if (!make_system_process_runner()->find_program("fish")) GTEST_SKIP() << "fish is not installed";
  TempDir dir;
  write_file(dir / "machine.fish", run_machine({"completion", "fish"}).out);
  auto complete = [&](const std::string& line) {
    Command c{"fish",
              {"--no-config", "-c", "source $argv[1]; complete -C $argv[2]", (dir / "machine.fish").string(),
               line}};
    auto r = make_system_process_runner()->run(c);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> words;
    for (const auto& l : lines(r.out)) words.push_back(l.substr(0, l.find('\t')));
    return words;
  };
  EXPECT_EQ(complete("machine cre"), std::vector<std::string>({"create"}));
  EXPECT_EQ(complete("machine create -d virtualbox --virtualbox-mem"),
            std::vector<std::string>({"--virtualbox-memory"}));
  EXPECT_EQ(complete("machine create --qemu-mem"), std::vector<std::string>({"--qemu-memory"}));
  EXPECT_EQ(complete("machine env --shell f"), std::vector<std::string>({"fish"}));
}

// `machine help CMD` and machine.1 say the same: the man page's section for each command
// holds its usage line, description and every option line as help prints them.
TEST(ManPage, SaysWhatHelpSaysForEveryCommand) {
  auto man = run_machine({"__man"});
  ASSERT_EQ(man.exit_code, 0) << man.err;
  auto model = cli_model();
  for (const auto& c : model.commands) {
    if (c.name == "help") continue;
    auto at = man.out.find(".SS " + roff_escape(c.name) + "\n");
    ASSERT_NE(at, std::string::npos) << c.name;
    auto end = man.out.find("\n.S", at + 1);
    std::string section = man.out.substr(at, end - at);
    auto help = run_machine({"help", c.name});
    ASSERT_EQ(help.exit_code, 0) << c.name << help.err;
    EXPECT_NE(section.find(roff_escape(c.usage)), std::string::npos) << c.name;
    EXPECT_NE(help.out.find(c.usage), std::string::npos) << c.name;
    if (!c.description.empty()) {
      EXPECT_NE(section.find(roff_escape(c.description)), std::string::npos) << c.name;
    }
    for (const auto& f : c.flags) {
      auto line = flag_help_line(f.spec);
      auto tab = line.find('\t');
      std::string names = line.substr(0, tab), usage = line.substr(tab + 1);
      while (names.back() == ' ') names.pop_back();
      EXPECT_NE(section.find(roff_escape(names)), std::string::npos) << c.name << " " << names;
      EXPECT_NE(section.find(roff_escape(usage)), std::string::npos) << c.name << " " << usage;
      EXPECT_NE(help.out.find(names), std::string::npos) << c.name << " " << names;
      EXPECT_NE(help.out.find(usage), std::string::npos) << c.name << " " << usage;
    }
  }
  // Each driver's flags, with their environment variables.
  EXPECT_NE(man.out.find("\\-\\-qemu\\-memory \"1024\""), std::string::npos);
  EXPECT_NE(man.out.find(".B VIRTUALBOX_MEMORY_SIZE\n"), std::string::npos);
}

TEST(Suggest, ClosestNameIsATypoAwayOrNothing) {
  V drivers{"qemu", "libvirt", "virtualbox", "generic", "none"};
  EXPECT_EQ(closest_name("virutalbox", drivers), "virtualbox");
  EXPECT_EQ(closest_name("qmeu", drivers), "qemu");
  EXPECT_EQ(closest_name("libvrt", drivers), "libvirt");
  EXPECT_EQ(closest_name("docker", drivers), std::nullopt);
  EXPECT_EQ(closest_name("", drivers), std::nullopt);
  EXPECT_EQ(did_you_mean("Generic", drivers), " Did you mean generic?");
  EXPECT_EQ(did_you_mean("hyperv", drivers), "");
}

TEST(Suggest, MistypedCommandsAndDriversGetTheClosestName) {
  auto r = run_machine({"lss"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Did you mean 'ls'?"), std::string::npos) << r.err;
  r = run_machine({"xyzzy"});
  EXPECT_EQ(r.err.find("Did you mean"), std::string::npos) << r.err;
  TempDir dir;
  r = run_machine({"-s", dir.path().string(), "create", "-d", "virutalbox", "vm1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Did you mean virtualbox?"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "machines" / "vm1"));
}

TEST(Suggest, ABadFlagValueNamesTheFlagAndItsFormWithoutTheWholeHelp) {
  TempDir dir;
  auto r = run_machine({"-s", dir.path().string(), "create", "--qemu-memory", "lots", "vm1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "invalid value \"lots\" for flag -qemu-memory: parse error\n"
            "--qemu-memory takes a whole number, e.g. --qemu-memory 1024. See 'machine create --help'.\n");
  r = run_machine({"-s", dir.path().string(), "ls", "-t", "soon"});
  EXPECT_EQ(r.err,
            "invalid value \"soon\" for flag -t: parse error\n"
            "-t takes a whole number, e.g. -t 10. See 'machine ls --help'.\n");
  // An unknown flag still gets docker-machine's usage text: the help on stdout, the error on stderr.
  r = run_machine({"-s", dir.path().string(), "ls", "--bogus"});
  EXPECT_EQ(r.out.rfind("Incorrect Usage.\n", 0), 0u) << r.out;
  EXPECT_EQ(r.err, "flag provided but not defined: -bogus\n");
}

}  // namespace
}  // namespace machine::cli
