// Guest OS timings: image build (warm .deb cache), boot to SSH and boot to dockerd under
// QEMU TCG (the configuration the e2e tests use), once per Debian suite (…/trixie,
// …/bookworm), so the suites compare side by side in one run. Run as root for the build
// benchmark:
//   guest_bench --benchmark_out=guest_bench.json
// Counters: seconds of wall time per phase; boots also report the guest's own uptime at
// each serial marker (less sensitive to how long QEMU took to start).
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/bench_util.h"
#include "drivers/common/ports.h"
#include "guest/image_cache.h"
#include "guest/seed.h"
#include "machine/error.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace machine;

fs::path cache_dir() {
  if (const char* env = std::getenv("MACHINE_TEST_IMAGE_CACHE"); env && *env) return env;
  return "/var/tmp/machine-test-cache";
}

int free_port() { return machine::drivers::pick_free_loopback_ports(1).front(); }

// True once something on 127.0.0.1:port sends an SSH banner.
bool ssh_banner(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    char buf[8] = {};
    ok = ::recv(fd, buf, 4, 0) == 4 && std::string(buf, 4) == "SSH-";
  }
  ::close(fd);
  return ok;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void BM_ImageBuildWarm(benchmark::State& state, const std::string& suite) {
  if (::geteuid() != 0) {
    state.SkipWithError("image build needs root");
    return;
  }
  auto runner = make_system_process_runner();
  fs::path dir = fs::temp_directory_path() / ("machine-guest-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // share the warm .deb cache of the test image cache
  fs::create_directories(cache_dir() / "debs");
  std::error_code ec;
  fs::create_directory_symlink(fs::absolute(cache_dir() / "debs"), dir / "debs", ec);
  for (auto _ : state) {
    guest::ImageCache cache(dir, *runner);
    auto t0 = Clock::now();
    auto img = cache.build(true, {}, {}, suite);
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    state.SetIterationTime(secs);
    state.counters["build_s"] = secs;
    state.counters["disk_MB"] = static_cast<double>(fs::file_size(img.disk)) / 1e6;
    state.counters["kernel_MB"] = static_cast<double>(fs::file_size(img.kernel)) / 1e6;
    state.counters["initrd_MB"] = static_cast<double>(fs::file_size(img.initrd)) / 1e6;
    state.counters["total_MB"] =
        static_cast<double>(fs::file_size(img.disk) + fs::file_size(img.kernel) + fs::file_size(img.initrd)) /
        1e6;
    state.counters["rootfs_MB"] = img.manifest.value("rootfs_bytes", 0.0) / 1e6;
    state.counters["packages"] =
        static_cast<double>(img.manifest.value("packages", nlohmann::json::array()).size());
    state.SetLabel(img.manifest.value("kernel_version", ""));
  }
  fs::remove_all(dir, ec);
}

void BM_BootToSshAndDocker(benchmark::State& state, const std::string& suite) {
  auto runner = make_system_process_runner();
  guest::ImageCache cache(cache_dir(), *runner);
  auto img = cache.find(suite);
  if (!img) {
    state.SkipWithError(
        ("no " + suite + " image: `machine image build --suite " + suite + "` first").c_str());
    return;
  }
  fs::path dir = fs::temp_directory_path() / ("machine-guest-boot-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  guest::SeedConfig seed{"iid-bench", "bench", {}, {}, {}, std::nullopt};
  guest::write_seed_iso(*runner, seed, dir / "seed.iso");
  for (auto _ : state) {
    fs::remove(dir / "overlay.qcow2");
    fs::remove(dir / "serial.log");
    run_checked(*runner,
                Command{"qemu-img",
                        {"create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", img->disk.string(),
                         (dir / "overlay.qcow2").string(), "20G"},
                        {},
                        std::nullopt,
                        std::chrono::seconds(60),
                        {}},
                "qemu-img");
    int port = free_port();
    auto t0 = Clock::now();
    run_checked(
        *runner,
        Command{
            "qemu-system-x86_64",
            {"-machine",    "q35",
             "-accel",      "tcg,thread=multi",
             "-cpu",        "max",
             "-smp",        "2",
             "-m",          "1024",
             "-nodefaults", "-display",
             "none",        "-no-user-config",
             "-kernel",     img->kernel.string(),
             "-initrd",     img->initrd.string(),
             "-append",     img->kernel_cmdline() + " machine.debug",
             "-drive",      "if=none,id=root,format=qcow2,file=" + (dir / "overlay.qcow2").string(),
             "-device",     "virtio-blk-pci,drive=root",
             "-drive",      "if=none,id=seed,format=raw,readonly=on,file=" + (dir / "seed.iso").string(),
             "-device",     "virtio-blk-pci,drive=seed",
             "-netdev",     "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:" + std::to_string(port) + "-:22",
             "-device",     "virtio-net-pci,netdev=n0,romfile=",
             "-device",     "virtio-rng-pci",
             "-serial",     "file:" + (dir / "serial.log").string(),
             "-pidfile",    (dir / "qemu.pid").string(),
             "-daemonize"},
            {},
            std::nullopt,
            std::chrono::seconds(60),
            {}},
        "qemu");
    int pid = 0;
    std::ifstream(dir / "qemu.pid") >> pid;
    double to_ssh = -1, to_docker = -1;
    while (std::chrono::duration<double>(Clock::now() - t0).count() < 600) {
      double now = std::chrono::duration<double>(Clock::now() - t0).count();
      if (to_ssh < 0 && ssh_banner(port)) to_ssh = now;
      if (to_docker < 0 && slurp(dir / "serial.log").find("\nmachine-docker-ready") != std::string::npos)
        to_docker = now;
      if (to_ssh >= 0 && to_docker >= 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // guest uptimes from the machine.debug lines
    std::istringstream log(slurp(dir / "serial.log"));
    for (std::string line; std::getline(log, line);) {
      double up = 0;
      char what[64] = {};
      if (std::sscanf(line.c_str(), "machine-boot: %lf %63[a-z ]", &up, what) == 2) {
        std::string w(what);
        if (w.rfind("init started", 0) == 0) state.counters["guest_init_s"] = up;
        if (w.rfind("sshd started", 0) == 0) state.counters["guest_sshd_s"] = up;
        if (w.rfind("dockerd ready", 0) == 0) state.counters["guest_docker_s"] = up;
      }
    }
    if (pid > 0) ::kill(pid, SIGKILL);
    state.SetIterationTime(to_docker);
    state.counters["boot_to_ssh_s"] = to_ssh;
    state.counters["boot_to_docker_s"] = to_docker;
    if (to_ssh < 0 || to_docker < 0) state.SkipWithError("guest did not come up within 600 s");
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace

int main(int argc, char** argv) {
  machine::bench::register_per_suite("BM_ImageBuildWarm", BM_ImageBuildWarm);
  machine::bench::register_per_suite("BM_BootToSshAndDocker", BM_BootToSshAndDocker);
  return machine::bench::run_benchmarks(argc, argv);
}
