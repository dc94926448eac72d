// SFTP transfers and `machine scp` / `machine ssh` against real OpenSSH sshd instances on 127.0.0.1.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "machine/error.h"
#include "provisioner/ssh/keygen.h"
#include "provisioner/ssh/scp.h"
#include "provisioner/ssh/ssh_command.h"
#include "tests/provisioner/ssh/sshd_fixture.h"

namespace machine::ssh {
namespace {

namespace fs = std::filesystem;
using machine::testing::random_bytes;
using machine::testing::read_file;
using machine::testing::sha256_hex;
using machine::testing::write_file;
using ::testing::HasSubstr;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

void write_with_mode(const fs::path& p, const std::string& content, unsigned mode) {
  write_file(p, content);
  ::chmod(p.c_str(), mode);
}

// relative path -> "d <mode>" or "f <mode> <sha256>" for every entry under root (symlinks followed).
std::map<std::string, std::string> tree(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it) {
    auto rel = fs::relative(it->path(), root).string();
    if (fs::is_directory(it->path()))
      out[rel] = "d " + std::to_string(mode_of(it->path()));
    else
      out[rel] = "f " + std::to_string(mode_of(it->path())) + " " + sha256_hex(read_file(it->path()));
  }
  return out;
}

fs::path make_sample_tree(const fs::path& root) {
  fs::create_directories(root / "sub dir" / "deeper");
  fs::create_directories(root / "empty");
  write_with_mode(root / "a file.txt", "hello world\n", 0644);
  write_with_mode(root / "run.sh", "#!/bin/sh\necho hi\n", 0755);
  write_with_mode(root / "sub dir" / "secret", "s3cret", 0600);
  write_with_mode(root / "sub dir" / "deeper" / "big.bin", random_bytes(300000, 3), 0640);
  fs::create_symlink("a file.txt", root / "link");
  ::chmod((root / "sub dir").c_str(), 0750);
  return root;
}

class TransferTest : public machine::testing::SshdTest {};

TEST_F(TransferTest, TenMegabyteFileBothWaysKeepsContentAndMode) {
  auto s = connect();
  auto data = random_bytes(10 << 20, 42);
  auto src = dir_ / "big.bin";
  write_with_mode(src, data, 0640);
  std::string remote = (dir_ / "remote big.bin").string();
  upload(*s, src, remote);
  auto r = s->run("sha256sum " + shell_quote(remote) + " && stat -c %a " + shell_quote(remote));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, sha256_hex(data) + "  " + remote + "\n640\n");

  auto back = dir_ / "back.bin";
  download(*s, remote, back);
  EXPECT_EQ(sha256_hex(read_file(back)), sha256_hex(data));
  EXPECT_EQ(mode_of(back), 0640u);
}

TEST_F(TransferTest, DirectoryBothWaysWithSpacesModesAndSymlinks) {
  auto s = connect();
  auto src = make_sample_tree(dir_ / "local tree");
  std::string remote = (dir_ / "remote tree").string();
  upload(*s, src, remote, TransferOptions{true});
  auto expected = tree(src);
  expected["link"] = expected["a file.txt"];  // symlinks are followed, like scp -r
  EXPECT_EQ(tree(remote), expected);

  auto back = dir_ / "back tree";
  download(*s, remote, back, TransferOptions{true});
  EXPECT_EQ(tree(back), expected);
}

TEST_F(TransferTest, DirectoryNeedsRecursive) {
  auto s = connect();
  auto src = make_sample_tree(dir_ / "t");
  try {
    upload(*s, src, (dir_ / "r").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("use -r"));
  }
}

TEST_F(TransferTest, ExistingDirectoryReceivesTheFileByName) {
  auto s = connect();
  write_file(dir_ / "f.txt", "x");
  fs::create_directories(dir_ / "into");
  upload(*s, dir_ / "f.txt", (dir_ / "into").string());
  EXPECT_EQ(read_file(dir_ / "into" / "f.txt"), "x");
  EXPECT_THROW(download(*s, (dir_ / "missing").string(), dir_ / "m"), Error);
}

class ScpTest : public machine::testing::SshdTest {
 protected:
  void SetUp() override {
    SshdTest::SetUp();
    second_ = std::make_unique<machine::testing::LocalSshd>(dir_ / "sshd-vm2");
  }
  MachineResolver resolver() {
    return [this](const std::string& name) -> SshEndpoint {
      if (name == "vm1") return sshd_->endpoint();
      if (name == "vm2") return second_->endpoint();
      fail(Code::NotFound, "machine " + name + " does not exist");
    };
  }
  std::vector<std::string> run(const std::vector<std::string>& args) {
    std::vector<std::string> lines;
    ScpOptions options;
    options.on_progress = [&](std::string_view line) { lines.emplace_back(line); };
    run_scp(parse_scp_args(args), resolver(), *client_, options);
    return lines;
  }
  std::unique_ptr<machine::testing::LocalSshd> second_;
};

TEST_F(ScpTest, LocalToMachineToMachineToLocal) {
  auto data = random_bytes(2 << 20, 9);
  write_with_mode(dir_ / "my file.bin", data, 0600);
  std::string on_vm1 = (dir_ / "on vm1.bin").string();
  std::string on_vm2 = (dir_ / "on vm2.bin").string();
  auto lines = run({(dir_ / "my file.bin").string(), "vm1:" + on_vm1});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("vm1:" + on_vm1));
  run({"-q", "vm1:" + on_vm1, machine::testing::LocalSshd::current_user() + "@vm2:" + on_vm2});
  run({"vm2:" + on_vm2, (dir_ / "final.bin").string()});
  EXPECT_EQ(sha256_hex(read_file(dir_ / "final.bin")), sha256_hex(data));
  EXPECT_EQ(mode_of(dir_ / "final.bin"), 0600u);
}

TEST_F(ScpTest, RecursiveMachineToMachine) {
  auto src = make_sample_tree(dir_ / "src tree");
  auto expected = tree(src);
  expected["link"] = expected["a file.txt"];
  run({"-r", src.string(), "vm1:" + (dir_ / "vm1 tree").string()});
  run({"-r", "vm1:" + (dir_ / "vm1 tree").string(), "vm2:" + (dir_ / "vm2 tree").string()});
  EXPECT_EQ(tree(dir_ / "vm2 tree"), expected);
}

TEST_F(ScpTest, SeveralSourcesNeedADirectory) {
  write_file(dir_ / "a", "a");
  write_file(dir_ / "b", "b");
  fs::create_directories(dir_ / "dest");
  run({(dir_ / "a").string(), (dir_ / "b").string(), "vm1:" + (dir_ / "dest").string()});
  EXPECT_EQ(read_file(dir_ / "dest" / "b"), "b");
  try {
    run({(dir_ / "a").string(), (dir_ / "b").string(), "vm1:" + (dir_ / "nodir").string()});
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("scp: "));
    EXPECT_THAT(e.what(), HasSubstr("not a directory"));
  }
}

TEST_F(ScpTest, DeltaSkipsUnchangedFiles) {
  auto src = make_sample_tree(dir_ / "d");
  fs::create_directories(dir_ / "parent");
  std::string parent = (dir_ / "parent").string();  // an existing directory: receives d/ by name
  auto first = run({"-r", "-d", src.string(), "vm1:" + parent});
  EXPECT_EQ(first.size(), 5u);
  for (const auto& l : first) EXPECT_THAT(l, HasSubstr("bytes"));
  write_file(src / "a file.txt", "changed and longer\n");
  auto second = run({"-rd", src.string(), "vm1:" + parent});
  int copied = 0;
  for (const auto& l : second) copied += l.find("skipped") == std::string::npos;
  EXPECT_EQ(second.size(), 5u);
  EXPECT_EQ(copied, 2);  // the changed file, and the symlink pointing at it
  EXPECT_EQ(read_file(dir_ / "parent" / "d" / "a file.txt"), "changed and longer\n");
}

TEST_F(ScpTest, UnknownMachineIsNotFound) {
  write_file(dir_ / "a", "a");
  try {
    run({(dir_ / "a").string(), "nosuch:/tmp/x"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::NotFound);
  }
}

// `machine ssh`: both backends, output on our descriptors, remote exit status returned.
class SshCommandRunTest : public machine::testing::SshdTest {
 protected:
  std::pair<int, std::string> run_with(SshBackend backend, const std::vector<std::string>& command) {
    int out[2];
    EXPECT_EQ(::pipe(out), 0);
    int null = ::open("/dev/null", O_RDONLY);
    SshCommandOptions o;
    o.backend = backend;
    o.ssh.machine_name = "vm1";
    o.in_fd = null;
    o.out_fd = out[1];
    o.err_fd = out[1];
    auto runner = make_system_process_runner();
    int rc = run_ssh_command(sshd_->endpoint(), command, *runner, o);
    ::close(out[1]);
    ::close(null);
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    ::close(out[0]);
    return {rc, text};
  }
};

TEST_F(SshCommandRunTest, NativeBackendReturnsRemoteExitStatus) {
  auto [rc, out] = run_with(SshBackend::Native, {"echo", "hi;", "echo", "err", ">&2;", "exit", "42"});
  EXPECT_EQ(rc, 42);
  EXPECT_EQ(out, "hi\nerr\n");
}

TEST_F(SshCommandRunTest, SystemSshUsesOurKnownHostsAndKey) {
  auto [rc, out] = run_with(SshBackend::External, {"echo", "hi;", "exit", "42"});
  EXPECT_EQ(rc, 42);
  EXPECT_EQ(out, "hi\n");
}

TEST_F(SshCommandRunTest, SystemSshReadsOptionsAfterTheHostLikeDockerMachine) {
  // `machine ssh vm -C "echo foo"`: -C is ssh's compression flag, "echo foo" the command.
  auto [rc, out] = run_with(SshBackend::External, {"-C", "echo foo"});
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out, "foo\n");
  auto [rc2, out2] = run_with(SshBackend::External, {"--", "echo", "-C"});
  EXPECT_EQ(rc2, 0);
  EXPECT_EQ(out2, "-C\n");
}

TEST_F(SshCommandRunTest, SystemSshHandlesAStoreWithSpacesInItsPath) {
  auto ep = sshd_->endpoint();
  auto spaced = dir_ / "My Machines" / "vm \"1\"";
  fs::create_directories(spaced);
  fs::copy_file(ep.known_hosts, spaced / "known_hosts");
  ep.known_hosts = spaced / "known_hosts";
  auto runner = make_system_process_runner();
  int null = ::open("/dev/null", O_RDWR);
  SshCommandOptions o;
  o.in_fd = o.out_fd = o.err_fd = null;
  EXPECT_EQ(run_ssh_command(ep, {"exit", "3"}, *runner, o), 3);
  ::close(null);
}

TEST_F(SshCommandRunTest, SystemSshRefusesAMismatchedHostKey) {
  auto ep = sshd_->endpoint();
  auto other = generate_key_pair(KeyType::Ed25519, "");
  write_known_hosts(ep.known_hosts, ep.host, ep.port,
                    {parse_host_key("ssh-ed25519", other.public_key.substr(12))});
  EXPECT_EQ(run_with(SshBackend::External, {"true"}).first, 255);
  EXPECT_THROW(run_with(SshBackend::Native, {"true"}), HostKeyError);
}

}  // namespace
}  // namespace machine::ssh
