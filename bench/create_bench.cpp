// End-to-end timings of the real binary under QEMU TCG, each next to a bare
// qemu-system-x86_64 boot of the same guest kernel to init measured in the same run:
//   create -> TLS docker ready, start of a stopped machine, `machine ssh true` vs OpenSSH.
// Needs a built guest image in $MACHINE_TEST_IMAGE_CACHE (scripts/test builds it).
// Figures go to bench/results/create.txt (the console output; README.md quotes them).
#include <benchmark/benchmark.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench/bench_util.h"

namespace {
using namespace machine::bench;
using Clock = std::chrono::steady_clock;

std::string cache() { return env_or("MACHINE_TEST_IMAGE_CACHE", "/var/tmp/machine-test-cache"); }
double timed(const std::string& cmd) {
  auto t0 = Clock::now();
  int rc = std::system(cmd.c_str());
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return rc == 0 ? s : -1;
}

// A private store sharing the prebuilt image.
struct BenchStore {
  std::string dir;
  BenchStore() {
    char tmpl[] = "/tmp/machine-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::filesystem::create_directory_symlink(cache(), dir + "/cache");
  }
  ~BenchStore() {
    std::system((m("ls -q") + " | xargs -r " + m("rm -f -y") + " >/dev/null 2>&1").c_str());
    std::filesystem::remove_all(dir);
  }
  std::string m(const std::string& args) const { return binary() + " -s " + dir + " " + args; }
};

// Seconds from starting qemu until the guest kernel runs init, for the default image.
double bare_kernel_to_init() {
  auto dir = capture("ls -d " + cache() + "/images/*/ 2>/dev/null | tail -1");
  if (dir.empty()) return -1;
  std::string cmd =
      "timeout 120 qemu-system-x86_64 -nodefaults -display none -machine q35 -accel tcg,thread=multi "
      "-cpu max -smp 2 -m 1024 -kernel " +
      dir + "/vmlinuz -initrd " + dir +
      "/initrd.img -append 'console=ttyS0 rdinit=/does-not-exist panic=-1' -no-reboot -serial stdio "
      "2>/dev/null | grep -m1 -q 'Kernel panic\\|Run /\\|No working init'";
  return timed(cmd);
}

void BM_CreateToTlsDockerReady(benchmark::State& state) {
  double bare = bare_kernel_to_init();
  for (auto _ : state) {
    BenchStore s;
    double t = timed(s.m("create --qemu-restrict-network --no-docker-context b1 >/dev/null 2>&1") + " && " +
                     "eval \"$(" + s.m("env b1") + ")\" && docker version >/dev/null 2>&1");
    if (t < 0) {
      state.SkipWithError("create failed");
      break;
    }
    state.SetIterationTime(t);
    state.counters["create_s"] = t;
    state.counters["bare_kernel_to_init_s"] = bare;
    state.counters["ratio_to_bare"] = bare > 0 ? t / bare : 0;

    std::system(s.m("stop b1 >/dev/null 2>&1").c_str());
    double st = timed(s.m("start b1 >/dev/null 2>&1"));
    state.counters["start_stopped_s"] = st;
    state.counters["start_ratio_to_bare"] = bare > 0 ? st / bare : 0;

    auto port = capture(s.m("inspect -f '{{.Driver.SSHPort}}' b1"));
    auto user = capture(s.m("inspect -f '{{.Driver.SSHUser}}' b1"));
    auto mdir = s.dir + "/machines/b1";
    constexpr int kRuns = 5;
    double ours = 0, openssh = 0;
    for (int i = 0; i < kRuns; ++i) {
      ours += timed(s.m("ssh b1 true"));
      openssh += timed("ssh -q -i " + mdir + "/id_ed25519 -o UserKnownHostsFile=" + mdir +
                       "/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -p " + port + " " +
                       user + "@127.0.0.1 true");
    }
    state.counters["machine_ssh_true_s"] = ours / kRuns;
    state.counters["openssh_true_s"] = openssh / kRuns;
    state.counters["ssh_ratio"] = openssh > 0 ? ours / openssh : 0;
  }
}
BENCHMARK(BM_CreateToTlsDockerReady)->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
