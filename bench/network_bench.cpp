// Private networks (--qemu-network): what a machine's create/start/rm adds for its network.
// The real vde_switch started and stopped, and an attach/detach cycle (flock, JSON, atomic
// write). Run: build/bench/network_bench --benchmark_out=bench/results/network.json
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "drivers/network/network_store.h"
#include "drivers/network/vde_switch.h"

namespace {
using namespace machine::drivers::network;

struct ScratchDir {
  ScratchDir() {
    std::string t = (std::filesystem::temp_directory_path() / "network-bench-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

// First machine on a network boots (switch up) and the last one goes (switch down).
void BM_SwitchStartStop(benchmark::State& state) {
  auto runner = machine::make_system_process_runner();
  ScratchDir dir;
  VdeSwitch sw(*runner, dir.path / "net");
  for (auto _ : state) {
    sw.ensure_running();
    sw.stop();
  }
}
BENCHMARK(BM_SwitchStartStop)->Unit(benchmark::kMillisecond);

// A machine's address reserved at create and released at rm, on a network that already
// holds range(0) machines.
void BM_AttachDetach(benchmark::State& state) {
  auto runner = machine::make_system_process_runner();
  ScratchDir dir;
  NetworkStore store(dir.path, *runner);
  for (int i = 0; i < state.range(0); ++i) {
    std::filesystem::create_directories(dir.path / "machines" / ("m" + std::to_string(i)));
    store.attach("bench", "m" + std::to_string(i));
  }
  std::filesystem::create_directories(dir.path / "machines/new");
  for (auto _ : state) {
    store.attach("bench", "new");
    store.detach("bench", "new");
  }
}
BENCHMARK(BM_AttachDetach)->Arg(1)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
