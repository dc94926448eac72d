// End-to-end timings of the real binary under QEMU TCG, each next to a bare
// qemu-system-x86_64 boot of the same guest kernel to init measured in the same run:
//   create -> TLS docker ready, start of a stopped machine, `machine ssh true` vs OpenSSH,
//   and the idle machine's resident memory and CPU share (QEMU's, 30 s after start).
// Needs a built guest image in $MACHINE_TEST_IMAGE_CACHE (scripts/test builds it). Runs once
// per Debian suite whose image is in that cache (BM_CreateToTlsDockerReady/<suite>; the
// default suite boots as create picks it, others by --qemu-image DIR), so suites compare
// side by side in one run. Figures go to bench/results/ (the console output; README.md
// quotes them).
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "bench/bench_util.h"
#include "guest/recipe_files.h"

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

std::string image_dir(const std::string& suite) {
  return cache() + "/images/" + machine::guest::kImageName + "-" + machine::guest::image_version(suite);
}

// Seconds from starting qemu until the guest kernel runs init, for the image in `dir`.
double bare_kernel_to_init(const std::string& dir) {
  if (!std::filesystem::exists(dir + "/vmlinuz")) return -1;
  std::string cmd =
      "timeout 120 qemu-system-x86_64 -nodefaults -display none -machine q35 -accel tcg,thread=multi "
      "-cpu max -smp 2 -m 1024 -kernel " +
      dir + "/vmlinuz -initrd " + dir +
      "/initrd.img -append 'console=ttyS0 rdinit=/does-not-exist panic=-1' -no-reboot -serial stdio "
      "2>/dev/null | grep -m1 -q 'Kernel panic\\|Run /\\|No working init'";
  return timed(cmd);
}

// QEMU's resident set in MB and its CPU share over `window` (utime + stime from /proc).
struct Idle {
  double rss_mb = -1, cpu_share = -1;
};
long cpu_ticks(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(f, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stol(field);
    if (i == 15) {
      stime = std::stol(field);
      break;
    }
  }
  return utime + stime;
}
Idle idle_cost(const std::string& pidfile, std::chrono::seconds settle, std::chrono::seconds window) {
  Idle r;
  std::ifstream pf(pidfile);
  int pid = 0;
  if (!(pf >> pid) || pid <= 0) return r;
  std::this_thread::sleep_for(settle);
  long t0 = cpu_ticks(pid);
  std::this_thread::sleep_for(window);
  long t1 = cpu_ticks(pid);
  r.cpu_share = double(t1 - t0) / double(::sysconf(_SC_CLK_TCK)) / double(window.count());
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string l; std::getline(status, l);)
    if (l.rfind("VmRSS:", 0) == 0) r.rss_mb = std::stod(l.substr(6)) / 1024;
  return r;
}

void BM_CreateToTlsDockerReady(benchmark::State& state, const std::string& suite) {
  const std::string dir = image_dir(suite);
  if (!std::filesystem::exists(dir + "/manifest.json")) {
    state.SkipWithError(("no " + suite + " image: machine image build --suite " + suite).c_str());
    return;
  }
  double bare = bare_kernel_to_init(dir);
  const std::string image = suite == machine::guest::kDefaultSuite ? "" : " --qemu-image " + dir;
  for (auto _ : state) {
    BenchStore s;
    double t =
        timed(s.m("create --qemu-restrict-network --no-docker-context" + image + " b1 >/dev/null 2>&1") +
              " && " + "eval \"$(" + s.m("env b1") + ")\" && docker version >/dev/null 2>&1");
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

    auto idle =
        idle_cost(s.dir + "/machines/b1/qemu.pid", std::chrono::seconds(30), std::chrono::seconds(10));
    state.counters["idle_rss_mb"] = idle.rss_mb;
    state.counters["idle_cpu_share"] = idle.cpu_share;

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
    state.SetLabel("engine " + capture(s.m("version b1 2>/dev/null")));
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_per_suite("BM_CreateToTlsDockerReady", BM_CreateToTlsDockerReady);
  return run_benchmarks(argc, argv);
}
