// QEMU driver timings under the accelerator `auto` picks (TCG here), each also as a
// ratio to a bare QEMU boot of the same kernel to init, measured in the same run:
//   BareBootToInit       qemu-system-x86_64 -kernel/-initrd, until the kernel runs init
//   CreateToSshReady     QemuDriver prepare + create (overlay, seed, launch) until the
//                        forwarded SSH port sends a banner; counters also give the time
//                        until wait_ready() (sshd + dockerd, boot-done marker)
//   StartStoppedToSshReady  start() of a stopped machine until the SSH banner
// Needs a machine OS image: $MACHINE_TEST_IMAGE, or the cache MACHINE_TEST_IMAGE_CACHE/store/cache
// (as the e2e tests) or MACHINE_STORAGE_PATH's. Targets: create <= 10 s, start <= 8 s.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "drivers/common/console.h"
#include "drivers/common/readiness.h"
#include "drivers/qemu/qemu_driver.h"
#include "guest/image_cache.h"
#include "machine/error.h"
#include "machine/process_runner.h"
#include "machine/progress.h"

namespace machine::drivers {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double g_bare_seconds = 0;  // set by BareBootToInit, which runs first

// A failing run reports its error instead of aborting the whole benchmark binary.
#define BENCHMARK_GUARDED(name)         \
  void name(benchmark::State& state) {  \
    try {                               \
      name##_body(state);               \
    } catch (const std::exception& e) { \
      state.SkipWithError(e.what());    \
    }                                   \
  }                                     \
  BENCHMARK(name)

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

fs::path cache_dir() {
  if (const char* c = std::getenv("MACHINE_TEST_IMAGE_CACHE")) return fs::path(c) / "store" / "cache";
  if (const char* s = std::getenv("MACHINE_STORAGE_PATH")) return fs::path(s) / "cache";
  return fs::path("/var/tmp/machine-test-cache") / "store" / "cache";
}

// $MACHINE_TEST_IMAGE (an image dir), else this build's image in the cache, else the
// newest complete one there.
std::optional<fs::path> image_dir() {
  if (const char* d = std::getenv("MACHINE_TEST_IMAGE")) return fs::path(d);
  auto runner = make_system_process_runner();
  std::vector<fs::path> dirs{cache_dir()};
  if (const char* c = std::getenv("MACHINE_TEST_IMAGE_CACHE")) dirs.emplace_back(c);  // guest tests' layout
  for (const auto& dir : dirs) {
    guest::ImageCache cache(dir, *runner);
    if (auto img = cache.find_default()) return img->dir;
    auto all = cache.list();
    if (!all.empty()) return all.front().dir;
  }
  return std::nullopt;
}

std::optional<guest::Image> machine_os() {
  auto dir = image_dir();
  if (!dir) return std::nullopt;
  return guest::ImageCache::load(*dir);
}

// A throwaway store whose cache is the shared image cache.
struct BenchStore {
  BenchStore() {
    std::string tmpl = (fs::temp_directory_path() / "machine-bench-XXXXXX").string();
    root = ::mkdtemp(tmpl.data());
    fs::create_directory_symlink(cache_dir(), root / "cache");
    fs::create_directories(root / "machines");
  }
  ~BenchStore() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  fs::path root;
};

struct BenchMachine {
  BenchMachine(const BenchStore& store, const std::string& name)
      : dir(store.root / "machines" / name), runner(make_system_process_runner()) {
    fs::create_directories(dir);
    driver = std::make_unique<QemuDriver>(Context{name, dir, store.root, *runner, progress});
    FlagValues f;
    f.set("qemu-restrict-network", {"true"});
    f.set("qemu-image", {image_dir()->string()});
    driver->configure(f);
  }
  ~BenchMachine() {
    try {
      driver->remove();
    } catch (...) {
    }
  }
  void wait_ssh() {
    auto deadline = Clock::now() + 300s;
    while (!common::ssh_banner_ready(driver->ssh_address().port, 500ms)) {
      if (Clock::now() > deadline) fail(Code::Unavailable, "no SSH banner within 300 s");
      std::this_thread::sleep_for(20ms);
    }
  }
  fs::path dir;
  std::unique_ptr<ProcessRunner> runner;
  NullProgress progress;
  std::unique_ptr<QemuDriver> driver;
};

void BareBootToInit_body(benchmark::State& state) {
  auto image = machine_os();
  if (!image) return state.SkipWithError(("no machine OS image in " + cache_dir().string()).c_str());
  auto accel = choose_accel(Accel::Auto, probe_host_virt()).accel;
  auto runner = make_system_process_runner();
  BenchStore store;
  auto serial = store.root / "bare-serial.log";
  double total = 0;
  for (auto _ : state) {
    fs::remove(serial);
    qemu::VmSpec s;
    s.accel = accel;
    std::vector<std::string> args{"-machine", "q35", "-nodefaults", "-no-user-config", "-display", "none",
                                  "-smp", "2", "-m", "1024", "-kernel", image->kernel.string(), "-initrd",
                                  image->initrd.string(),
                                  // no "quiet": the kernel's "Run /init as init process" line is the mark
                                  "-append", "console=ttyS0 panic=-1", "-serial", "file:" + serial.string()};
    auto accel_args = qemu::build_qemu_args(s);  // the driver's accelerator and CPU model
    for (size_t i = 0; i + 1 < accel_args.size(); ++i)
      if (accel_args[i] == "-accel" || accel_args[i] == "-cpu")
        args.insert(args.end(), {accel_args[i], accel_args[i + 1]});
    auto t0 = Clock::now();
    int pid = runner->spawn_detached(Command{"qemu-system-x86_64", args}, store.root / "bare-vm.log");
    while (common::read_file_tail(serial).find("as init process") == std::string::npos) {
      if (!common::process_alive(pid) || since(t0) > 120) {
        ::kill(pid, SIGKILL);
        return state.SkipWithError("bare boot did not reach init");
      }
      std::this_thread::sleep_for(10ms);
    }
    double secs = since(t0);
    ::kill(pid, SIGKILL);
    while (common::process_alive(pid)) std::this_thread::sleep_for(10ms);
    state.SetIterationTime(secs);
    total += secs;
  }
  g_bare_seconds = total / static_cast<double>(state.iterations());
  state.counters["seconds"] = g_bare_seconds;
}

void CreateToSshReady_body(benchmark::State& state) {
  if (!machine_os()) return state.SkipWithError("no machine OS image");
  BenchStore store;
  double total = 0, ready_total = 0, launch_total = 0;
  int n = 0;
  for (auto _ : state) {
    BenchMachine m(store, "bench" + std::to_string(n++));
    CreateSpec spec;
    spec.hostname = "bench";
    auto t0 = Clock::now();
    m.driver->prepare();
    m.driver->create(spec);
    launch_total += since(t0);  // the driver's own work: overlay, seed, QEMU up on QMP
    m.wait_ssh();
    double secs = since(t0);
    m.driver->wait_ready(300s);
    ready_total += since(t0);
    state.SetIterationTime(secs);
    total += secs;
  }
  double avg = total / static_cast<double>(state.iterations());
  state.counters["ssh_ready_s"] = avg;
  state.counters["create_call_s"] = launch_total / static_cast<double>(state.iterations());
  state.counters["boot_done_s"] = ready_total / static_cast<double>(state.iterations());
  if (g_bare_seconds > 0) state.counters["ratio_to_bare"] = avg / g_bare_seconds;
}

void StartStoppedToSshReady_body(benchmark::State& state) {
  if (!machine_os()) return state.SkipWithError("no machine OS image");
  BenchStore store;
  BenchMachine m(store, "bench-start");
  CreateSpec spec;
  spec.hostname = "bench";
  m.driver->prepare();
  m.driver->create(spec);
  m.driver->wait_ready(300s);
  double total = 0, ready_total = 0, stop_total = 0, launch_total = 0;
  for (auto _ : state) {
    auto s0 = Clock::now();
    m.driver->stop();
    stop_total += since(s0);
    auto t0 = Clock::now();
    m.driver->start();
    launch_total += since(t0);
    m.wait_ssh();
    double secs = since(t0);
    m.driver->wait_ready(300s);
    ready_total += since(t0);
    state.SetIterationTime(secs);
    total += secs;
  }
  double iters = static_cast<double>(state.iterations());
  state.counters["ssh_ready_s"] = total / iters;
  state.counters["boot_done_s"] = ready_total / iters;
  state.counters["stop_s"] = stop_total / iters;
  state.counters["start_call_s"] = launch_total / iters;
  if (g_bare_seconds > 0) state.counters["ratio_to_bare"] = total / iters / g_bare_seconds;
}

BENCHMARK_GUARDED(BareBootToInit)->UseManualTime()->Unit(benchmark::kSecond)->Iterations(3);
BENCHMARK_GUARDED(CreateToSshReady)->UseManualTime()->Unit(benchmark::kSecond)->Iterations(3);
BENCHMARK_GUARDED(StartStoppedToSshReady)->UseManualTime()->Unit(benchmark::kSecond)->Iterations(3);

}  // namespace
}  // namespace machine::drivers

BENCHMARK_MAIN();
