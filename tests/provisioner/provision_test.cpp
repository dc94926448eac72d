// The provision flow against FakeSshSession: an in-memory machine that answers the
// provisioner's commands (os-release, id -u, the state probe, file writes, install,
// restart) and records them, so each OS's commands and files can be asserted.
#include "provisioner/provision.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "machine/error.h"
#include "machine/process_runner.h"
#include "provisioner/generic_os.h"
#include "tests/support/recording_progress.h"
#include "tests/support/temp_dir.h"

namespace machine::provision {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string golden(const std::string& name) {
  return machine::testing::read_file(std::string(MACHINE_SOURCE_DIR) + "/tests/provisioner/golden/" + name);
}

// One command as the machine's shell saw it: `[sudo -n] sh -c SCRIPT machine ARGS...`.
struct Call {
  std::string command;  // as sent
  bool sudo = false;
  bool script = false;  // an `sh -c` script (else a plain command such as `id -u`)
  std::string text;     // the script, or the plain command
  std::vector<std::string> args;
  std::optional<std::string> stdin_data;
};

// Splits a command into words the way sh does for what ssh::shell_quote produces.
std::vector<std::string> shell_words(std::string_view s) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ') {
      if (in_word) words.push_back(cur), cur.clear(), in_word = false;
    } else if (c == '\'') {
      in_word = true;
      auto end = s.find('\'', i + 1);
      cur.append(s.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '\\' && i + 1 < s.size()) {
      in_word = true;
      cur += s[++i];
    } else {
      in_word = true;
      cur += c;
    }
  }
  if (in_word) words.push_back(cur);
  return words;
}

class FakeSshSession : public ssh::SshSession {
 public:
  struct File {
    std::string content;
    unsigned mode = 0644;
  };

  // The machine.
  std::string os_release;
  int uid = 1000;
  bool sudo_needs_password = false;
  std::string hostname = "localhost";
  std::string dockerd;  // empty: docker not installed
  bool running = false;
  bool machine_docker_reads_defaults = true;
  std::string unit_path;           // systemd: docker.service's unit file once installed
  std::string unit_after_install;  // its content, installed by the package
  std::map<std::string, File> files;
  std::map<std::string, int> fail_when;  // script substring -> exit status

  // What happened.
  std::vector<Call> calls;
  int restarts = 0;
  int installs = 0;

  int exec(const std::string& command, const ssh::ExecIo& io) override {
    Call call = parse(command, io);
    calls.push_back(call);
    std::string out, err;
    int status = answer(call, out, err);
    if (io.on_stdout && !out.empty()) io.on_stdout(out);
    if (io.on_stderr && !err.empty()) io.on_stderr(err);
    return status;
  }

  int shell(const ssh::ShellOptions&) override { return 0; }
  std::optional<ssh::RemoteFileInfo> stat(const std::string&) override {
    throw Error(Code::Internal, "no sftp");
  }
  std::vector<ssh::RemoteDirEntry> list_dir(const std::string&) override {
    throw Error(Code::Internal, "no sftp");
  }
  void make_dir(const std::string&, std::uint32_t) override { throw Error(Code::Internal, "no sftp"); }
  void set_attributes(const std::string&, std::uint32_t, std::optional<std::int64_t>) override {
    throw Error(Code::Internal, "no sftp");
  }
  std::unique_ptr<ssh::RemoteReader> open_read(const std::string&) override {
    throw Error(Code::Internal, "no sftp");
  }
  std::unique_ptr<ssh::RemoteWriter> open_write(const std::string&, std::uint32_t) override {
    throw Error(Code::Internal, "no sftp");
  }
  ssh::HostKey host_key() const override { return {}; }

  // Helpers for assertions.
  std::vector<std::string> written() const {
    std::vector<std::string> paths;
    for (const auto& c : calls)
      if (auto p = write_target(c)) paths.push_back(*p);
    return paths;
  }
  std::vector<Call> scripts_containing(std::string_view needle) const {
    std::vector<Call> out;
    for (const auto& c : calls)
      if (c.text.find(needle) != std::string::npos) out.push_back(c);
    return out;
  }
  nlohmann::json daemon_json() const {
    return nlohmann::json::parse(files.at("/etc/docker/daemon.json").content);
  }

 private:
  static Call parse(const std::string& command, const ssh::ExecIo& io) {
    Call c;
    c.command = command;
    c.stdin_data = io.stdin_data;
    auto words = shell_words(command);
    std::size_t i = 0;
    if (words.size() >= 2 && words[0] == "sudo" && words[1] == "-n") c.sudo = true, i = 2;
    if (words.size() >= i + 3 && words[i] == "sh" && words[i + 1] == "-c") {
      c.script = true;
      c.text = words[i + 2];
      if (words.size() > i + 3)
        c.args.assign(words.begin() + static_cast<long>(i) + 4, words.end());  // after $0
    } else {
      c.text = command;
    }
    return c;
  }

  static std::optional<std::string> write_target(const Call& c) {
    static const std::regex re(R"(cat > (\S+)\.machine-new && chmod ([0-7]+) )");
    std::smatch m;
    if (c.script && std::regex_search(c.text, m, re)) return m[1].str();
    return std::nullopt;
  }

  int answer(const Call& c, std::string& out, std::string& err) {
    if (c.text.find("# machine-probe") != std::string::npos) {  // runs sudo itself unless root
      out = "uid=" + std::to_string(uid) + "\n";
      if (uid != 0 && sudo_needs_password) {
        err = "sudo: a password is required\n";
        return 1;
      }
      return probe(std::vector<std::string>(c.args.begin() + 1, c.args.end()), out);
    }
    if (c.sudo && sudo_needs_password) {
      err = "sudo: a password is required\n";
      return 1;
    }
    for (const auto& [needle, status] : fail_when)
      if (c.text.find(needle) != std::string::npos) {
        err = "E: simulated failure of " + needle + "\n";
        return status;
      }
    if (c.text.rfind("cat /etc/os-release", 0) == 0) {
      out = os_release;
      return os_release.empty() ? 1 : 0;
    }
    if (!c.script) {
      err = "fake: unexpected command: " + c.text;
      return 127;
    }
    if (uid != 0 && !c.sudo) {
      err = "fake: permission denied (root needed)\n";
      return 1;
    }
    if (auto path = write_target(c)) {
      static const std::regex mode_re(R"(chmod ([0-7]+) )");
      std::smatch m;
      std::regex_search(c.text, m, mode_re);
      files[*path] =
          File{c.stdin_data.value_or(""), static_cast<unsigned>(std::stoul(m[1].str(), nullptr, 8))};
      return 0;
    }
    if (c.text.find("grep -qs /etc/default/docker /usr/sbin/machine-docker") != std::string::npos)
      return machine_docker_reads_defaults ? 0 : 1;
    if (c.text.find("/etc/hostname") != std::string::npos) {
      static const std::regex host_re(R"(echo (\S+) > /etc/hostname)");
      std::smatch m;
      if (std::regex_search(c.text, m, host_re)) hostname = m[1].str();
      return 0;
    }
    if (c.text.find("apt-get") != std::string::npos || c.text.find("dnf ") != std::string::npos ||
        c.text.find("yum ") != std::string::npos || c.text.find("apk ") != std::string::npos ||
        c.text.find("pacman ") != std::string::npos || c.text.find("curl ") != std::string::npos) {
      ++installs;
      if (dockerd.empty()) dockerd = "/usr/bin/dockerd";
      if (!unit_path.empty()) files[unit_path] = File{unit_after_install, 0644};
      return 0;
    }
    if (c.text.find("restart") != std::string::npos) {
      ++restarts;
      running = true;
      return 0;
    }
    err = "fake: unexpected script:\n" + c.text;
    return 127;
  }

  // The probe's output format (see provision.cpp): facts, "files=N", N "MODE SIZE PATH", contents.
  int probe(const std::vector<std::string>& paths, std::string& out) {
    out += "hostname=" + hostname + "\n";
    out += "dockerd=" + dockerd + "\n";
    out += std::string("running=") + (running ? "yes" : "no") + "\n";
    bool unit_known = !dockerd.empty() && !unit_path.empty();
    out += "unit=" + (unit_known ? unit_path : std::string()) + "\n";
    out += "osrelease=/etc/os-release\n";
    std::vector<std::pair<std::string, File>> existing;
    if (!os_release.empty()) existing.emplace_back("/etc/os-release", File{os_release, 0644});
    auto all = paths;
    if (unit_known) all.push_back(unit_path);
    for (const auto& p : all)
      if (auto it = files.find(p); it != files.end()) existing.emplace_back(p, it->second);
    out += fmt::format("files={}\n", existing.size());
    for (const auto& [p, f] : existing) out += fmt::format("{:o} {} {}\n", f.mode, f.content.size(), p);
    for (const auto& [p, f] : existing) out += f.content;
    return 0;
  }
};

using testing::RecordingProgress;

EngineRequest request() {
  EngineRequest r;
  r.ca_pem = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
  r.server_pem = "-----BEGIN CERTIFICATE-----\nSERVER\n-----END CERTIFICATE-----\n";
  r.server_key_pem = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";
  return r;
}

// A freshly created machine of the given distribution, without docker.
void fresh(FakeSshSession& s, const std::string& os_file) {
  s.os_release = golden("os-release/" + os_file);
  auto os = parse_os_release(s.os_release);
  if (os.init() == InitSystem::Systemd) {
    s.unit_path = "/lib/systemd/system/docker.service";
    s.unit_after_install = golden(os.family == OsFamily::Debian ? "units/debian-12-docker.io.service"
                                                                : "units/docker-ce.service");
  }
}

// Every run must leave the engine listening on TCP only with verified TLS.
void expect_tls_only(const FakeSshSession& s, int port = 2376) {
  auto d = s.daemon_json();
  EXPECT_EQ(d["tls"], true);
  EXPECT_EQ(d["tlsverify"], true);
  EXPECT_EQ(d["tlscacert"], "/etc/docker/ca.pem");
  EXPECT_EQ(d["tlscert"], "/etc/docker/server.pem");
  EXPECT_EQ(d["tlskey"], "/etc/docker/server-key.pem");
  EXPECT_EQ(d["hosts"],
            nlohmann::json({fmt::format("tcp://0.0.0.0:{}", port), "unix:///var/run/docker.sock"}));
  for (const auto& [path, f] : s.files) {
    if (path == s.unit_path) continue;  // the package's unit; the drop-in replaces its ExecStart
    EXPECT_THAT(f.content, Not(HasSubstr("2375"))) << path;
    EXPECT_THAT(f.content, Not(HasSubstr("-H "))) << path;
    EXPECT_THAT(f.content, Not(HasSubstr("tlsverify=false"))) << path;
  }
  EXPECT_EQ(s.files.at("/etc/docker/server-key.pem").mode, 0600u);
  EXPECT_EQ(s.files.at("/etc/docker/ca.pem").content, request().ca_pem);
}

struct OsCase {
  std::string os_file;
  std::string install;      // a line of the install script
  std::string init_file;    // the init system's config file
  std::string restart;      // a line of the restart script
  std::string provisioner;  // "Provisioning with <x>..."
};

void PrintTo(const OsCase& c, std::ostream* os) { *os << c.os_file; }

class ProvisionPerOs : public ::testing::TestWithParam<OsCase> {};

TEST_P(ProvisionPerOs, InstallsConfiguresTlsAndRestarts) {
  const auto& c = GetParam();
  FakeSshSession s;
  fresh(s, c.os_file);
  RecordingProgress progress;
  provision(s, request(), "vm1", progress);

  auto installs = s.scripts_containing(c.install);
  ASSERT_EQ(installs.size(), 1u) << c.install;
  EXPECT_TRUE(installs[0].sudo);
  EXPECT_EQ(s.installs, 1);
  EXPECT_EQ(s.hostname, "vm1");
  EXPECT_THAT(s.written(), ElementsAre("/etc/docker/ca.pem", "/etc/docker/server.pem",
                                       "/etc/docker/server-key.pem", "/etc/docker/daemon.json", c.init_file));
  EXPECT_EQ(s.scripts_containing(c.restart).size(), 1u);
  EXPECT_EQ(s.restarts, 1);
  expect_tls_only(s);
  EXPECT_THAT(progress.steps,
              ElementsAre("Detecting the provisioner...", "Provisioning with " + c.provisioner + "...",
                          "Installing Docker...", "Copying certs to the local machine directory...",
                          "Copying certs to the remote machine...",
                          "Setting Docker configuration on the remote daemon..."));
  for (const auto& call : s.calls)
    if (call.script && call.text.find("# machine-probe") == std::string::npos) {
      EXPECT_TRUE(call.sudo) << call.text;  // the probe runs sudo itself
    }
}

const std::string kDropin = "/etc/systemd/system/docker.service.d/10-machine.conf";

INSTANTIATE_TEST_SUITE_P(
    Distributions, ProvisionPerOs,
    ::testing::Values(OsCase{"debian-12", "install -y docker.io", kDropin, "systemctl restart docker.service",
                             "debian(systemd)"},
                      OsCase{"ubuntu-22.04", "install -y docker.io", kDropin,
                             "systemctl restart docker.service", "ubuntu(systemd)"},
                      OsCase{"fedora-39", "dnf install -y -q moby-engine", kDropin,
                             "systemctl restart docker.service", "fedora(systemd)"},
                      OsCase{"centos-stream-9", "https://download.docker.com/linux/centos/docker-ce.repo",
                             kDropin, "systemctl restart docker.service", "centos(systemd)"},
                      OsCase{"rhel-9", "https://download.docker.com/linux/rhel/docker-ce.repo", kDropin,
                             "systemctl restart docker.service", "rhel(systemd)"},
                      OsCase{"alpine-3.19", "apk add --no-cache docker", "/etc/conf.d/docker",
                             "rc-service docker restart", "alpine(openrc)"},
                      OsCase{"arch", "pacman -Sy --noconfirm --needed docker", kDropin,
                             "systemctl restart docker.service", "arch(systemd)"}),
    [](const auto& p) {
      std::string n = p.param.os_file;
      for (auto& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST(Provision, SecondRunChangesNothing) {
  FakeSshSession s;
  fresh(s, "ubuntu-22.04");
  NullProgress progress;
  provision(s, request(), "vm1", progress);
  auto first = s.calls.size();
  provision(s, request(), "vm1", progress);
  std::vector<Call> second(s.calls.begin() + static_cast<long>(first), s.calls.end());
  ASSERT_EQ(second.size(), 1u);  // the probe
  EXPECT_THAT(second[0].text, HasSubstr("# machine-probe"));
  EXPECT_EQ(s.restarts, 1);
  EXPECT_EQ(s.installs, 1);
}

TEST(Provision, DropinKeepsTheDistroCommandWithoutItsHostFlag) {
  FakeSshSession s;
  fresh(s, "debian-12");
  NullProgress progress;
  auto req = request();
  req.engine.env = {"HTTP_PROXY=http://proxy:3128"};
  req.engine.arbitrary_flags = {"log-driver=journald"};
  provision(s, req, "vm1", progress);
  EXPECT_EQ(s.files.at(kDropin).content,
            "# Written by machine: dockerd reads its settings from /etc/docker/daemon.json. ExecStart is\n"
            "# the packaged one without -H, which would conflict with \"hosts\" there.\n"
            "[Service]\n"
            "Environment=\"HTTP_PROXY=http://proxy:3128\"\n"
            "ExecStart=\n"
            "ExecStart=/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock $DOCKER_OPTS "
            "--log-driver=journald\n");
}

TEST(Provision, SeededMachineOsBootCostsOneCommandAndNoRestart) {
  FakeSshSession s;
  s.os_release = golden("os-release/machineos");
  s.hostname = "vm1";
  s.dockerd = "/usr/sbin/dockerd";
  s.running = true;
  for (const auto& f : engine_seed_files(request())) s.files[f.path] = {f.content, f.mode};
  RecordingProgress progress;
  provision(s, request(), "vm1", progress);
  EXPECT_EQ(s.calls.size(), 1u);
  EXPECT_TRUE(s.written().empty());
  EXPECT_EQ(s.restarts, 0);
  EXPECT_THAT(progress.steps, AllOf(Not(::testing::Contains("Installing Docker...")),
                                    ::testing::Contains("Provisioning with machineos...")));
}

TEST(Provision, MachineOsWithoutSeedWritesFilesAndRestartsThroughMachineDocker) {
  FakeSshSession s;
  s.os_release = golden("os-release/machineos");
  s.hostname = "machine";
  s.dockerd = "/usr/sbin/dockerd";
  s.running = true;
  NullProgress progress;
  provision(s, request(), "vm1", progress);
  EXPECT_THAT(s.written(),
              ElementsAre("/etc/docker/ca.pem", "/etc/docker/server.pem", "/etc/docker/server-key.pem",
                          "/etc/docker/daemon.json", "/etc/default/docker"));
  ASSERT_EQ(s.scripts_containing("/usr/sbin/machine-docker restart").size(), 1u);
  EXPECT_EQ(s.installs, 0);
  EXPECT_EQ(s.hostname, "vm1");
  expect_tls_only(s);
}

TEST(Provision, WrongModeIsRepairedAndStoppedEngineIsStarted) {
  FakeSshSession s;
  s.os_release = golden("os-release/machineos");
  s.hostname = "vm1";
  s.dockerd = "/usr/sbin/dockerd";
  for (const auto& f : engine_seed_files(request())) s.files[f.path] = {f.content, f.mode};
  s.files["/etc/docker/server-key.pem"].mode = 0644;
  NullProgress progress;
  provision(s, request(), "vm1", progress);
  EXPECT_THAT(s.written(), ElementsAre("/etc/docker/server-key.pem"));
  EXPECT_EQ(s.files["/etc/docker/server-key.pem"].mode, 0600u);
  EXPECT_EQ(s.restarts, 1);  // it was not running
}

TEST(Provision, MachineOsRefusesEngineOptsItsImageCannotPass) {
  FakeSshSession s;
  s.os_release = golden("os-release/machineos");
  s.dockerd = "/usr/sbin/dockerd";
  s.machine_docker_reads_defaults = false;
  auto req = request();
  req.engine.arbitrary_flags = {"log-driver=local"};
  NullProgress progress;
  try {
    provision(s, req, "vm1", progress);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_THAT(e.what(), HasSubstr("/etc/default/docker"));
  }
  EXPECT_TRUE(s.written().empty());
  // Settings daemon.json holds need nothing from machine-docker.
  req.engine.arbitrary_flags = {"label=a=b"};
  provision(s, req, "vm1", progress);
  EXPECT_EQ(s.daemon_json()["labels"], nlohmann::json({"a=b"}));
}

TEST(Provision, RootUsesNoSudo) {
  FakeSshSession s;
  fresh(s, "debian-12");
  s.uid = 0;
  NullProgress progress;
  provision(s, request(), "vm1", progress);
  for (const auto& c : s.calls) EXPECT_FALSE(c.sudo) << c.command;
  expect_tls_only(s);
}

TEST(Provision, SudoWithPasswordIsAFailedPrecondition) {
  FakeSshSession s;
  fresh(s, "debian-12");
  s.sudo_needs_password = true;
  NullProgress progress;
  try {
    provision(s, request(), "vm1", progress);
    FAIL() << "succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_THAT(e.what(), AllOf(HasSubstr("cannot provision"), HasSubstr("passwordless sudo")));
  }
}

TEST(Provision, FailedInstallReportsStderr) {
  FakeSshSession s;
  fresh(s, "debian-12");
  s.fail_when["apt-get"] = 100;
  NullProgress progress;
  try {
    provision(s, request(), "vm1", progress);
    FAIL() << "succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Internal);
    EXPECT_THAT(e.what(), AllOf(HasSubstr("installing docker failed (exit status 100)"),
                                HasSubstr("simulated failure")));
  }
  EXPECT_TRUE(s.written().empty());
}

TEST(Provision, BadEngineOptionsFailBeforeAnyCommand) {
  FakeSshSession s;
  fresh(s, "debian-12");
  auto req = request();
  req.engine.arbitrary_flags = {"tlsverify=false"};
  NullProgress progress;
  EXPECT_THROW(provision(s, req, "vm1", progress), Error);
  EXPECT_TRUE(s.calls.empty());
}

TEST(Provision, UnknownOsUsesInstallUrlOrFails) {
  FakeSshSession s;
  s.os_release = "ID=exotic\nPRETTY_NAME=\"Exotic 1\"\n";
  NullProgress progress;
  provision(s, request(), "vm1", progress);
  ASSERT_EQ(s.scripts_containing("curl -fsSL https://get.docker.com | sh").size(), 1u);
  EXPECT_EQ(s.scripts_containing("systemctl restart docker.service").size(), 1u);

  FakeSshSession t;
  t.os_release = "ID=exotic\nPRETTY_NAME=\"Exotic 1\"\n";
  auto req = request();
  req.engine.install_url = "";
  try {
    provision(t, req, "vm1", progress);
    FAIL() << "succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_THAT(e.what(), HasSubstr("Exotic 1"));
  }
}

TEST(Provision, MissingOsReleaseIsUnavailable) {
  FakeSshSession s;
  NullProgress progress;
  try {
    provision(s, request(), "vm1", progress);
    FAIL() << "succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
  }
}

TEST(PushServerCert, RewritesOnlyTheNewCertAndAlwaysRestarts) {
  FakeSshSession s;
  fresh(s, "alpine-3.19");
  NullProgress progress;
  provision(s, request(), "vm1", progress);
  auto req = request();
  req.server_pem = "-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n";
  req.server_key_pem = "-----BEGIN PRIVATE KEY-----\nNEWKEY\n-----END PRIVATE KEY-----\n";
  auto before = s.written().size();
  push_server_cert_and_restart(s, req);
  auto all = s.written();
  EXPECT_THAT(std::vector<std::string>(all.begin() + static_cast<long>(before), all.end()),
              ElementsAre("/etc/docker/server.pem", "/etc/docker/server-key.pem"));
  EXPECT_EQ(s.files["/etc/docker/server.pem"].content, req.server_pem);
  EXPECT_EQ(s.restarts, 2);
  push_server_cert_and_restart(s, req);  // nothing changed: restarts anyway
  EXPECT_EQ(s.restarts, 3);
}

TEST(UpgradeEngine, MachineOsSaysToBootANewerImage) {
  FakeSshSession s;
  s.os_release = golden("os-release/machineos");
  NullProgress progress;
  try {
    upgrade_engine(s, progress);
    FAIL() << "succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_THAT(e.what(), HasSubstr("newer"));
    EXPECT_THAT(e.what(), HasSubstr("image"));
  }
  EXPECT_EQ(s.restarts, 0);
}

TEST(UpgradeEngine, DistroUpgradesThePackageAndRestarts) {
  FakeSshSession s;
  fresh(s, "debian-12");
  s.dockerd = "/usr/sbin/dockerd";
  NullProgress progress;
  upgrade_engine(s, progress);
  ASSERT_EQ(s.scripts_containing("--only-upgrade").size(), 1u);
  EXPECT_EQ(s.restarts, 1);
}

TEST(GenericOs, HostnameIsValidated) {
  EXPECT_THROW(set_hostname_script("bad name; rm -rf /"), Error);
  EXPECT_THROW(set_hostname_script("-x"), Error);
  EXPECT_THAT(set_hostname_script("vm-1.local"), HasSubstr("echo vm-1.local > /etc/hostname"));
}

// The same flow through a real shell: LocalShellSession runs each command with sh on this
// host, rewritten into a temp tree (/etc/ -> <tmp>/etc/, machine-docker and the init tools
// -> stubs that log restarts), so the probe, the file writes and the restart scripts are
// exercised by dash or busybox ash for real. Runs as whatever user the tests run as.
class LocalShellSession : public FakeSshSession {
 public:
  LocalShellSession(const std::filesystem::path& root, std::string shell)
      : root_(root.string()), shell_(std::move(shell)) {
    std::filesystem::create_directories(root / "bin");
    std::filesystem::create_directories(root / "etc");
    std::filesystem::create_directories(root / "lib");
    stub("bin/dockerd", "exit 0");
    stub("bin/systemctl",
         "case $1 in show) echo " + root_ + "/lib/docker.service ;; restart) restarted systemctl ;; esac");
    stub("bin/rc-update", "exit 0");
    stub("bin/rc-service", "[ \"$2\" = restart ] && restarted rc-service");
    stub("machine-docker",
         "# sources " + root_ + "/etc/default/docker\n[ \"$1\" = restart ] && restarted machine-docker");
  }

  int exec(const std::string& command, const ssh::ExecIo& io) override {
    std::string c = command;
    replace(c, "sudo -n ", "", true);  // the tests may run as root or not; the stubs need no root
    if (shell_ != "sh") replace(c, "sh -c ", shell_ + " -c ");
    replace(c, "/usr/sbin/machine-docker", root_ + "/machine-docker");
    replace(c, "/etc/", root_ + "/etc/");
    replace(c, "PATH=", "PATH=" + root_ + "/bin:");
    replace(c, "/var/run/docker.pid", root_ + "/docker.pid");
    replace(c, "/proc/$pid/", root_ + "/proc/$pid/");
    Command cmd{"sh", {"-c", c}};
    cmd.stdin_data = io.stdin_data;
    auto r = runner_->run(cmd);
    calls.push_back(Call{command});
    replace(r.out, root_ + "/etc/", "/etc/");  // the probe names the files it read
    if (io.on_stdout) io.on_stdout(r.out);
    if (io.on_stderr) io.on_stderr(r.err);
    return r.exit_code;
  }

  std::string read(const std::string& rel) const { return machine::testing::read_file(root_ + rel); }
  unsigned mode(const std::string& rel) const {
    return static_cast<unsigned>(std::filesystem::status(root_ + rel).permissions()) & 07777;
  }
  std::string restart_log() const {
    return std::filesystem::exists(root_ + "/restarts") ? read("/restarts") : std::string();
  }

 private:
  void stub(const std::string& rel, const std::string& body) {
    auto path = root_ + "/" + rel;
    machine::testing::write_file(path, "#!/bin/sh\nrestarted() { echo \"$1\" >> " + root_ +
                                           "/restarts; mkdir -p " + root_ + "/proc/1; echo dockerd > " +
                                           root_ + "/proc/1/comm; echo 1 > " + root_ + "/docker.pid; }\n" +
                                           body + "\n");
    std::filesystem::permissions(path, std::filesystem::perms(0755));
  }
  static void replace(std::string& s, const std::string& from, const std::string& to,
                      bool first_only = false) {
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
      s.replace(pos, from.size(), to);
      if (first_only) break;
    }
  }
  std::string root_;
  std::string shell_;
  std::unique_ptr<ProcessRunner> runner_ = make_system_process_runner();
};

struct ShellCase {
  std::string os_file;
  std::string shell;      // runs the scripts: "sh" (dash here) or "busybox sh" (Alpine's ash)
  std::string init_file;  // relative to the temp root
  std::string restarted;  // what the restart stub logged
};

void PrintTo(const ShellCase& c, std::ostream* os) { *os << c.os_file << " with " << c.shell; }

class ProvisionRealShell : public ::testing::TestWithParam<ShellCase> {};

TEST_P(ProvisionRealShell, WritesFilesWithModesAndRestartsOnlyWhenNeeded) {
  const auto& c = GetParam();
  if (c.shell != "sh" && !make_system_process_runner()->find_program("busybox")) GTEST_SKIP() << "no busybox";
  machine::testing::TempDir tmp;
  LocalShellSession s(tmp.path(), c.shell);
  machine::testing::write_file(tmp / "etc/os-release", golden("os-release/" + c.os_file));
  machine::testing::write_file(tmp / "lib/docker.service", golden("units/debian-12-docker.io.service"));
  NullProgress progress;
  auto req = request();
  req.engine.env = {"HTTP_PROXY=http://proxy:3128"};
  req.engine.arbitrary_flags = {"log-driver=local", "label=x=y"};
  provision(s, req, "", progress);

  EXPECT_EQ(s.read("/etc/docker/ca.pem"), req.ca_pem);
  EXPECT_EQ(s.read("/etc/docker/server-key.pem"), req.server_key_pem);
  EXPECT_EQ(s.mode("/etc/docker/server-key.pem"), 0600u);
  EXPECT_EQ(s.mode("/etc/docker/daemon.json"), 0644u);
  auto d = nlohmann::json::parse(s.read("/etc/docker/daemon.json"));
  EXPECT_EQ(d["tlsverify"], true);
  EXPECT_EQ(d["labels"], nlohmann::json({"x=y"}));
  EXPECT_THAT(s.read(c.init_file), HasSubstr("log-driver=local"));
  if (c.restarted == "systemctl") {  // the unit the real probe read through `systemctl show`
    EXPECT_THAT(s.read(c.init_file), HasSubstr("ExecStart=/usr/sbin/dockerd --containerd="));
  }
  EXPECT_FALSE(std::filesystem::exists(tmp / "etc/docker/server-key.pem.machine-new"));
  EXPECT_EQ(s.restart_log(), c.restarted + "\n");

  auto before = s.calls.size();
  provision(s, req, "", progress);  // the real probe reads back exactly what was written
  // The probe; on machine OS with flags also the check that machine-docker reads them.
  EXPECT_EQ(s.calls.size() - before, c.restarted == "machine-docker" ? 2u : 1u);
  EXPECT_EQ(s.restart_log(), c.restarted + "\n");
  req.server_pem = "-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n";
  push_server_cert_and_restart(s, req);
  EXPECT_EQ(s.read("/etc/docker/server.pem"), req.server_pem);
  EXPECT_EQ(s.restart_log(), c.restarted + "\n" + c.restarted + "\n");
}

INSTANTIATE_TEST_SUITE_P(
    InitSystems, ProvisionRealShell,
    ::testing::Values(ShellCase{"machineos", "sh", "/etc/default/docker", "machine-docker"},
                      ShellCase{"machineos", "busybox sh", "/etc/default/docker", "machine-docker"},
                      ShellCase{"alpine-3.19", "busybox sh", "/etc/conf.d/docker", "rc-service"},
                      ShellCase{"debian-12", "sh", "/etc/systemd/system/docker.service.d/10-machine.conf",
                                "systemctl"}),
    [](const auto& p) {
      std::string n = p.param.os_file + "_" + p.param.shell;
      for (auto& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

}  // namespace
}  // namespace machine::provision
