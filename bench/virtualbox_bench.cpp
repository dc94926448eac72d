// VirtualBox driver timings that do not need VirtualBox:
//   CreateUntilStartvm  VirtualBoxDriver prepare + create with the machine OS image: the
//                       qemu-img conversion to a 20000 MB VMDK, the seed ISO, the host-only
//                       network and every VBoxManage call, against the fake VBoxManage
//                       (tests/drivers/virtualbox/fake, ~20 Python starts). The VM boot is not in it.
//   ParseShowvminfo     parse_machine_readable on a 200-line showvminfo output.
// Needs a machine OS image for the first: $MACHINE_TEST_IMAGE (an image dir) or the test
// image cache ($MACHINE_TEST_IMAGE_CACHE or /var/tmp/machine-test-cache).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>

#include "drivers/common/guest_image.h"
#include "drivers/virtualbox/vbox_manage.h"
#include "drivers/virtualbox/virtualbox_driver.h"
#include "guest/image_cache.h"
#include "machine/error.h"
#include "machine/process_runner.h"
#include "machine/progress.h"

namespace machine::drivers {
namespace {
namespace fs = std::filesystem;
using namespace virtualbox;

std::optional<guest::Image> find_image(ProcessRunner& runner) {
  if (const char* dir = std::getenv("MACHINE_TEST_IMAGE"); dir && *dir) return guest::ImageCache::load(dir);
  const char* env = std::getenv("MACHINE_TEST_IMAGE_CACHE");
  fs::path base = env && *env ? env : "/var/tmp/machine-test-cache";
  for (const auto& dir : {base, base / "store" / "cache"}) {
    guest::ImageCache cache(dir, runner);
    if (auto image = cache.find_default()) return image;
    if (auto all = cache.list(); !all.empty()) return all.front();
  }
  return std::nullopt;
}

class Probe final : public HostProbe {
 public:
  std::string os() override { return "linux"; }
  bool hw_virt_available() override { return true; }
  bool hyperv_enabled() override { return false; }
  std::vector<HostNet> host_networks() override { return {}; }
  bool is_directory(const fs::path&) override { return false; }
  int cpu_count() override { return 2; }
  std::optional<std::string> networks_conf() override { return "* 192.168.99.0/24\n"; }
};

class Media final : public GuestMedia {
 public:
  fs::path base;
  fs::path base_image(const Context&, const std::string&) override { return base; }
  void write_seed(const Context& ctx, const CreateSpec& spec, const guest::PrivateNetwork& net,
                  const fs::path& iso) override {
    guest::write_seed_iso(ctx.runner, common::seed_config(spec, net), iso);
  }
};

void CreateUntilStartvm(benchmark::State& state) {
  auto runner = make_system_process_runner();
  auto image = find_image(*runner);
  if (!image) {
    state.SkipWithError("no machine OS image (set MACHINE_TEST_IMAGE)");
    return;
  }
  char tmpl[] = "/tmp/vbox-bench-XXXXXX";
  fs::path root = ::mkdtemp(tmpl);
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  ::setenv("PATH", (std::string(MACHINE_SOURCE_DIR) + "/tests/drivers/virtualbox/fake:" + path).c_str(), 1);
  ::setenv("FAKE_VBOX_NETWORKS_CONF", (root / "networks.conf").c_str(), 1);
  if (FILE* f = std::fopen((root / "networks.conf").c_str(), "w")) {
    std::fputs("* 192.168.99.0/24\n", f);
    std::fclose(f);
  }
  NullProgress progress;
  int n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ::setenv("VBOX_USER_HOME", (root / ("vbox" + std::to_string(n))).c_str(), 1);
    std::string name = "bench" + std::to_string(n++);
    Context ctx{name, root / "machines" / name, root, *runner, progress};
    VirtualBoxOptions o;
    o.probe = std::make_shared<Probe>();
    auto media = std::make_shared<Media>();
    media->base = image->disk;
    o.media = media;
    VirtualBoxDriver d(ctx, o);
    d.configure(FlagValues{});
    state.ResumeTiming();
    try {
      d.prepare();
      d.create(CreateSpec{name, "", {}});
    } catch (const Error& e) {
      state.SkipWithError(e.what());
      break;
    }
    state.PauseTiming();
    d.remove();
    state.ResumeTiming();
  }
  ::setenv("PATH", path.c_str(), 1);
  fs::remove_all(root);
}
BENCHMARK(CreateUntilStartvm)->Unit(benchmark::kSecond)->Iterations(3)->UseRealTime();

void ParseShowvminfo(benchmark::State& state) {
  std::string out;
  for (int i = 0; i < 200; ++i) out += "key" + std::to_string(i) + "=\"value " + std::to_string(i) + "\"\n";
  for (auto _ : state) benchmark::DoNotOptimize(parse_machine_readable(out));
}
BENCHMARK(ParseShowvminfo);

}  // namespace
}  // namespace machine::drivers

BENCHMARK_MAIN();
