// CLI costs: rendering the ls table, and a whole `machine ls` over a store of `none`
// machines whose engines refuse connections (the parallel per-machine query, no VM).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "cli/app.h"
#include "cli/host_list.h"
#include "machine/store.h"

namespace {
using namespace machine;

std::vector<cli::HostListItem> items(int n) {
  std::vector<cli::HostListItem> v;
  for (int i = 0; i < n; ++i) {
    cli::HostListItem it;
    it.name = "vm" + std::to_string(i);
    it.active = "-";
    it.driver_name = "qemu";
    it.state = State::Running;
    it.url = "tcp://127.0.0.1:" + std::to_string(40000 + i);
    it.docker_version = "v20.10.24";
    v.push_back(it);
  }
  return v;
}

void BM_LsRenderTable(benchmark::State& state) {
  auto v = items(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(cli::render_host_list(v, ""));
}
BENCHMARK(BM_LsRenderTable)->Arg(10)->Arg(100);

void BM_LsNoneMachines(benchmark::State& state) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "machine-bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return state.SkipWithError("mkdtemp failed");
  std::filesystem::path dir_path = tmpl;
  Store store(dir_path);
  for (int i = 0; i < state.range(0); ++i) {
    Host h;
    h.name = "vm" + std::to_string(i);
    h.driver_name = "none";
    h.driver = {{"URL", "tcp://127.0.0.1:1"}, {"MachineName", h.name}};
    store.create_machine_dir(h.name);
    store.save(h);
  }
  std::string root = dir_path.string();
  for (auto _ : state) {
    std::ostringstream out, err;
    std::istringstream in;
    cli::Io io{out,
               err,
               in,
               [&](const std::string& k) -> std::optional<std::string> {
                 if (k == "MACHINE_STORAGE_PATH") return root;
                 return std::nullopt;
               },
               {}};
    int status = cli::run({"machine", "ls"}, io);
    if (status != 0) state.SkipWithError("ls failed");
  }
  std::filesystem::remove_all(dir_path);
}
BENCHMARK(BM_LsNoneMachines)->Arg(1)->Arg(20)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
