// Published ports through the per-machine forwarder, on one QEMU machine (TCG), each next
// to the same thing measured inside the VM in the same run:
//   - publish latency: `docker run -d -p P:8080` returning -> the page answering at
//     127.0.0.1:P on the host (target <= 1 s), vs -> answering at 127.0.0.1:P in the VM;
//   - bulk throughput: a 32 MB file through the forward (curl on the host) vs the same
//     download inside the VM (busybox wget from the guest's own published port);
//   - request rate: sequential small GETs, one process per request on both sides
//     (curl on the host, busybox wget in the VM).
// Needs a built guest image in $MACHINE_TEST_IMAGE_CACHE. Traffic goes to 127.0.0.1 only.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "drivers/common/ports.h"

namespace {
using namespace machine::bench;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Vm {
  std::string dir, docker_config;
  bool ok = false;
  Vm() {
    char tmpl[] = "/tmp/machine-bench-pf-XXXXXX";
    dir = ::mkdtemp(tmpl);
    docker_config = dir + "/docker-config";
    std::filesystem::create_directories(docker_config);
    std::filesystem::create_directory_symlink(
        env_or("MACHINE_TEST_IMAGE_CACHE", "/var/tmp/machine-test-cache"), dir + "/cache");
    ok = std::system(
             (m("create --qemu-restrict-network --no-docker-context pf") + " >/dev/null 2>&1").c_str()) == 0;
    if (!ok) return;
    // busybox httpd serving a small page and a 32 MB file.
    std::string root = dir + "/web-root";
    ok = std::system(("mkdir -p " + root + "/bin " + root + "/www && cp /bin/busybox " + root +
                      "/bin/ && ln -s busybox " + root + "/bin/httpd && echo hello > " + root +
                      "/www/index.html && head -c 33554432 /dev/zero > " + root + "/www/big && tar -C " +
                      root + " -cf " + dir + "/web.tar . && " +
                      docker("import " + dir + "/web.tar bench/web") + " >/dev/null")
                         .c_str()) == 0;
  }
  ~Vm() {
    std::system((m("rm -f -y pf") + " >/dev/null 2>&1").c_str());
    std::filesystem::remove_all(dir);
  }
  std::string m(const std::string& args) const { return binary() + " -s " + dir + " " + args; }
  std::string docker(const std::string& args) const {
    return "DOCKER_CONFIG=" + docker_config + " sh -c 'eval \"$(" + m("env pf") + ")\" && docker " + args +
           "'";
  }
  std::string ssh(const std::string& script) const { return m("ssh pf -- '" + script + "'"); }
};

Vm* g_vm = nullptr;

std::string web(int port, const std::string& name) {
  return "run -d --name " + name + " -p " + std::to_string(port) + ":8080 bench/web httpd -f -p 8080 -h /www";
}

bool answers(int port) {
  return std::system(
             ("curl -s -o /dev/null --max-time 1 http://127.0.0.1:" + std::to_string(port) + "/").c_str()) ==
         0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? -1 : v[v.size() / 2];
}

void BM_PublishToAnswer(benchmark::State& state) {
  if (!g_vm || !g_vm->ok) {
    state.SkipWithError("no VM");
    return;
  }
  std::vector<double> host, guest;
  for (auto _ : state) {
    for (int i = 0; i < 5; ++i) {
      int port = machine::drivers::pick_free_loopback_ports(1).front();
      std::string name = "lat" + std::to_string(i);
      if (std::system((g_vm->docker(web(port, name)) + " >/dev/null").c_str()) != 0) {
        state.SkipWithError("docker run failed");
        return;
      }
      auto t0 = Clock::now();
      while (!answers(port) && seconds_since(t0) < 30)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      host.push_back(seconds_since(t0));
      std::system((g_vm->docker("rm -f " + name) + " >/dev/null").c_str());
      // The same inside the VM: one SSH session times `docker run` returning -> local answer.
      int gport = port + 0;
      auto out = capture(
          g_vm->ssh("docker run -d --name g" + name + " -p " + std::to_string(gport) +
                    ":8080 bench/web httpd -f -p 8080 -h /www >/dev/null; t0=$(date +%s%N); n=0; until "
                    "busybox wget -q -O /dev/null http://127.0.0.1:" +
                    std::to_string(gport) +
                    "/ || [ $((n+=1)) -gt 3000 ]; do sleep 0.005; done; t1=$(date +%s%N); docker rm -f g" +
                    name + " >/dev/null; echo $(( (t1 - t0) / 1000000 ))"));
      guest.push_back(std::atof(out.c_str()) / 1000.0);
    }
  }
  state.counters["host_median_s"] = median(host);
  state.counters["host_max_s"] = *std::max_element(host.begin(), host.end());
  state.counters["in_vm_median_s"] = median(guest);
  state.counters["ratio_host_to_vm"] = median(host) / std::max(median(guest), 1e-3);
}
BENCHMARK(BM_PublishToAnswer)->Iterations(1)->Unit(benchmark::kSecond);

void BM_ThroughputThroughTheForward(benchmark::State& state) {
  if (!g_vm || !g_vm->ok) {
    state.SkipWithError("no VM");
    return;
  }
  int port = machine::drivers::pick_free_loopback_ports(1).front();
  std::system((g_vm->docker(web(port, "tp")) + " >/dev/null").c_str());
  auto t0 = Clock::now();
  while (!answers(port) && seconds_since(t0) < 30) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  double host_bulk = 0, guest_bulk = 0, host_rps = 0, guest_rps = 0;
  const int requests = 50;
  for (auto _ : state) {
    auto b0 = Clock::now();
    std::system(("curl -s -o /dev/null " + url + "/big").c_str());
    host_bulk = 32.0 / seconds_since(b0);
    auto ms = capture(g_vm->ssh("t0=$(date +%s%N); busybox wget -q -O /dev/null " + url +
                                "/big; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 ))"));
    guest_bulk = 32.0 / (std::atof(ms.c_str()) / 1000.0);
    auto r0 = Clock::now();
    for (int i = 0; i < requests; ++i) std::system(("curl -s -o /dev/null " + url + "/").c_str());
    host_rps = requests / seconds_since(r0);
    ms = capture(g_vm->ssh("t0=$(date +%s%N); for i in $(seq " + std::to_string(requests) +
                           "); do busybox wget -q -O /dev/null " + url +
                           "/; done; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 ))"));
    guest_rps = requests / (std::atof(ms.c_str()) / 1000.0);
  }
  std::system((g_vm->docker("rm -f tp") + " >/dev/null").c_str());
  state.counters["host_MBps"] = host_bulk;
  state.counters["in_vm_MBps"] = guest_bulk;
  state.counters["bulk_ratio"] = host_bulk / std::max(guest_bulk, 1e-3);
  state.counters["host_req_per_s"] = host_rps;
  state.counters["in_vm_req_per_s"] = guest_rps;
  state.counters["rate_ratio"] = host_rps / std::max(guest_rps, 1e-3);
}
BENCHMARK(BM_ThroughputThroughTheForward)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Vm vm;
  g_vm = &vm;
  benchmark::RunSpecifiedBenchmarks();
  g_vm = nullptr;
  benchmark::Shutdown();
  return 0;
}
