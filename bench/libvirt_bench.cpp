// libvirt driver timings: domain XML generation, a define/start/destroy/undefine cycle on
// the built-in test:///default hypervisor, and (as root, with the machine OS image in the
// shared test cache) a real TCG machine through qemu:///system, starting virtlogd/libvirtd
// like the e2e tests when none answers:
//   libvirt_bench --benchmark_out=libvirt_bench.json
// Counters are seconds of wall time: create_upload_s (first create: base image, kernel and
// initrd uploaded into the pool), create_s (volumes reused), ready_s (create -> SSH banner + boot marker),
// stop_s.
#include <benchmark/benchmark.h>

#ifdef MACHINE_WITH_LIBVIRT
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "drivers/libvirt/connection.h"
#include "drivers/libvirt/domain_xml.h"
#include "drivers/libvirt/libvirt_driver.h"
#include "guest/image_cache.h"
#include "machine/error.h"
#ifdef MACHINE_BENCH_STARTS_LIBVIRTD
#include "tests/drivers/libvirt/libvirtd_fixture.h"
#endif

namespace {
using namespace machine;
using namespace machine::drivers;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

libvirt::DomainSpec spec() {
  libvirt::DomainSpec s;
  s.name = "vm1";
  s.pool = "default-pool";
  s.disk_volume = "vm1.qcow2";
  s.seed_volume = "vm1-seed.iso";
  s.kernel_path = "/default-pool/vmlinuz";
  s.kernel_cmdline = "console=ttyS0";
  s.serial_log = "/default-pool/vm1-console.log";
  s.user_net = {"127.0.0.1", 40022, 40376, true};
  return s;
}

void BM_DomainXml(benchmark::State& state) {
  auto s = spec();
  for (auto _ : state) benchmark::DoNotOptimize(libvirt::domain_xml(s));
}
BENCHMARK(BM_DomainXml);

void BM_TestHypervisorLifecycle(benchmark::State& state) {
  libvirt::Connection c("test:///default");
  auto xml = libvirt::domain_xml(spec());
  for (auto _ : state) {
    c.define_domain("vm1", xml);
    c.start_domain("vm1");
    c.destroy_domain("vm1");
    c.undefine_domain("vm1");
  }
}
BENCHMARK(BM_TestHypervisorLifecycle);

std::optional<fs::path> image_dir() {
  const char* env = std::getenv("MACHINE_TEST_IMAGE_CACHE");
  fs::path root = env && *env ? env : "/var/tmp/machine-test-cache";
  std::error_code ec;
  for (const auto& images : {root / "images", root / "store" / "cache" / "images"})
    for (const auto& e : fs::directory_iterator(images, ec))
      if (guest::ImageCache::load(e.path())) return e.path();
  return std::nullopt;
}

void BM_TcgMachineToSsh(benchmark::State& state) {
  auto image = image_dir();
  if (::geteuid() != 0 || !image) return state.SkipWithError("needs root and the machine OS image");
  auto runner = make_system_process_runner();
  std::unique_ptr<libvirt::Connection> conn;
  try {
#ifdef MACHINE_BENCH_STARTS_LIBVIRTD
    static auto daemon_runner = make_system_process_runner();
    static drivers::libvirt_test::Libvirtd daemons(*daemon_runner);  // stopped (if ours) at exit
#endif
    conn = std::make_unique<libvirt::Connection>("qemu:///system");
  } catch (const std::exception& e) {
    return state.SkipWithError(e.what());
  }
  auto pool = fmt::format("machine-bench-{}", ::getpid());
  auto pool_dir = fmt::format("/var/tmp/{}", pool);
  conn->define_dir_pool(pool, libvirt::dir_pool_xml(pool, pool_dir));
  NullProgress progress;
  fs::path store = fmt::format("/var/tmp/{}-store", pool);
  int i = 0;
  for (auto _ : state) {
    auto name = fmt::format("lv-bench-{}", i++);
    Context ctx{name, store / "machines" / name, store, *runner, progress};
    fs::create_directories(ctx.machine_dir);
    LibvirtDriver d(ctx);
    FlagValues f;
    f.set("libvirt-pool", {pool});
    f.set("libvirt-domain-type", {"qemu"});
    f.set("libvirt-image", {image->string()});
    f.set("libvirt-restrict-network", {"true"});
    d.configure(f);
    try {
      auto t0 = Clock::now();
      d.pre_create_check();
      d.prepare();
      d.create(CreateSpec{name, "", {}});
      state.counters[i == 1 ? "create_upload_s" : "create_s"] = since(t0);
      d.wait_ready(std::chrono::seconds(600));
      state.counters["ready_s"] = since(t0);
      t0 = Clock::now();
      d.stop();
      state.counters["stop_s"] = since(t0);
    } catch (const Error& e) {
      state.SkipWithError(e.what());
    }
    d.remove();
  }
  // Base volumes and the pool go too: the bench leaves nothing behind.
  std::unique_ptr<virStoragePool, decltype(&virStoragePoolFree)> p(
      virStoragePoolLookupByName(conn->get(), pool.c_str()), &virStoragePoolFree);
  virStorageVolPtr* vols = nullptr;
  int n = virStoragePoolListAllVolumes(p.get(), &vols, 0);
  for (int k = 0; k < n; ++k) {
    virStorageVolDelete(vols[k], 0);
    virStorageVolFree(vols[k]);
  }
  free(vols);
  virStoragePoolDestroy(p.get());
  virStoragePoolDelete(p.get(), 0);
  virStoragePoolUndefine(p.get());
  std::error_code ec;
  fs::remove_all(store, ec);
  fs::remove_all(pool_dir, ec);
}
BENCHMARK(BM_TcgMachineToSsh)->Iterations(2)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
#endif

BENCHMARK_MAIN();
