// The SSH layer against a real OpenSSH sshd on 127.0.0.1 (tests/provisioner/ssh/local_sshd.h):
// `ssh true` latency, native (libssh2) vs the system ssh, and SFTP throughput vs OpenSSH scp.
// Run: build/bench/provisioner_bench --benchmark_out=bench-provisioner.json
// Note: the peer is a local sshd, so numbers show our overhead, not network effects.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>

#include "machine/process_runner.h"
#include "machine/run_attached.h"
#include "provisioner/ssh/scp.h"
#include "provisioner/ssh/ssh.h"
#include "provisioner/ssh/ssh_command.h"
#include "tests/provisioner/ssh/local_sshd.h"

namespace {

using namespace machine;
namespace fs = std::filesystem;

constexpr std::size_t kFileSize = 64 << 20;

struct Rig {
  Rig() {
    std::string t = (fs::temp_directory_path() / "provisioner-bench-XXXXXX").string();
    dir = ::mkdtemp(t.data());
    sshd = std::make_unique<testing::LocalSshd>(dir / "sshd");
    endpoint = sshd->endpoint();
    ssh_program = require_program(*make_system_process_runner(), "ssh", "openssh-client");
    scp_program = require_program(*make_system_process_runner(), "scp", "openssh-client");
    // Random, so no layer can compress it away.
    std::mt19937_64 rng(1);
    std::string data(kFileSize, '\0');
    for (std::size_t i = 0; i < data.size(); i += 8) {
      auto v = rng();
      std::memcpy(&data[i], &v, 8);
    }
    std::ofstream(dir / "payload.bin", std::ios::binary) << data;
    null_fd = ::open("/dev/null", O_RDWR);
  }
  ~Rig() {
    ::close(null_fd);
    sshd.reset();
    fs::remove_all(dir);
  }

  // The scp command line with the same pinning and key options as our system-ssh backend.
  std::vector<std::string> scp_argv(const std::string& from, const std::string& to) const {
    std::vector<std::string> argv{scp_program.string(), "-q", "-P", std::to_string(endpoint.port)};
    auto options = ssh::external_ssh_options(endpoint);
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {from, to});
    return argv;
  }
  std::string remote(const std::string& path) const { return endpoint.user + "@127.0.0.1:" + path; }

  fs::path dir;
  std::unique_ptr<testing::LocalSshd> sshd;
  ssh::SshEndpoint endpoint;
  fs::path ssh_program, scp_program;
  int null_fd = -1;
};

Rig& rig() {
  static Rig r;
  return r;
}

void BM_NativeSshTrue(benchmark::State& state) {
  auto client = ssh::make_libssh2_client();
  for (auto _ : state) {
    auto session = client->connect(rig().endpoint, ssh::SshOptions{"bench"});
    if (session->run("true").exit_code != 0) state.SkipWithError("true failed");
  }
  state.SetLabel("connect + auth + exec + close (libssh2)");
}

void BM_OpenSshTrue(benchmark::State& state) {
  auto argv = ssh::external_ssh_argv(rig().ssh_program, rig().endpoint, {"true"});
  for (auto _ : state) {
    if (run_attached(Command{argv[0], {argv.begin() + 1, argv.end()}}, rig().null_fd, rig().null_fd,
                     rig().null_fd) != 0)
      state.SkipWithError("ssh true failed");
  }
  state.SetLabel("system ssh process");
}

void BM_NativeExecOnOpenSession(benchmark::State& state) {
  auto session = ssh::make_libssh2_client()->connect(rig().endpoint, ssh::SshOptions{"bench"});
  for (auto _ : state) session->run("true");
  state.SetLabel("exec on an existing connection");
}

void BM_SftpUpload(benchmark::State& state) {
  auto session = ssh::make_libssh2_client()->connect(rig().endpoint, ssh::SshOptions{"bench"});
  for (auto _ : state)
    ssh::upload(*session, rig().dir / "payload.bin", (rig().dir / "up-native.bin").string());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFileSize));
}

void BM_SftpDownload(benchmark::State& state) {
  auto session = ssh::make_libssh2_client()->connect(rig().endpoint, ssh::SshOptions{"bench"});
  for (auto _ : state)
    ssh::download(*session, (rig().dir / "payload.bin").string(), rig().dir / "down-native.bin");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFileSize));
}

// The same with a fresh connection per copy, as `machine scp` and OpenSSH scp do.
void BM_SftpUploadWithConnect(benchmark::State& state) {
  auto client = ssh::make_libssh2_client();
  for (auto _ : state) {
    auto session = client->connect(rig().endpoint, ssh::SshOptions{"bench"});
    ssh::upload(*session, rig().dir / "payload.bin", (rig().dir / "up-native.bin").string());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFileSize));
}

void BM_OpenSshScpUpload(benchmark::State& state) {
  auto argv =
      rig().scp_argv((rig().dir / "payload.bin").string(), rig().remote((rig().dir / "up-scp.bin").string()));
  for (auto _ : state)
    if (run_attached(Command{argv[0], {argv.begin() + 1, argv.end()}}, rig().null_fd, rig().null_fd,
                     rig().null_fd) != 0)
      state.SkipWithError("scp failed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFileSize));
  state.SetLabel("includes connection setup");
}

void BM_OpenSshScpDownload(benchmark::State& state) {
  auto argv = rig().scp_argv(rig().remote((rig().dir / "payload.bin").string()),
                             (rig().dir / "down-scp.bin").string());
  for (auto _ : state)
    if (run_attached(Command{argv[0], {argv.begin() + 1, argv.end()}}, rig().null_fd, rig().null_fd,
                     rig().null_fd) != 0)
      state.SkipWithError("scp failed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFileSize));
  state.SetLabel("includes connection setup");
}

}  // namespace

BENCHMARK(BM_NativeSshTrue)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);
BENCHMARK(BM_OpenSshTrue)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);
BENCHMARK(BM_NativeExecOnOpenSession)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);
BENCHMARK(BM_SftpUpload)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK(BM_SftpUploadWithConnect)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK(BM_OpenSshScpUpload)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK(BM_SftpDownload)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK(BM_OpenSshScpDownload)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK_MAIN();
