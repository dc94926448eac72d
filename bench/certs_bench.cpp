// Generation cost of the TLS material per key type: the numbers behind the ECDSA P-256
// default (certs/README.md). Run: build/bench/certs_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "certs/certs.h"
#include "certs/x509.h"

namespace {
using namespace machine::certs;

struct ScratchDir {
  ScratchDir() {
    std::string t = (std::filesystem::temp_directory_path() / "certs-bench-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

KeyType key_type(const benchmark::State& state) {
  return state.range(0) == 0 ? KeyType::EcdsaP256 : KeyType::Rsa2048;
}
void label(benchmark::State& state) { state.SetLabel(state.range(0) == 0 ? "ECDSA P-256" : "RSA 2048"); }

void BM_GenerateKey(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(detail::generate_key(key_type(state)));
  label(state);
}

// First `machine create` on a fresh store: CA + client cert, files written and fsynced.
void BM_BootstrapCaAndClient(benchmark::State& state) {
  ScratchDir dir;
  Options opts;
  opts.key_type = key_type(state);
  auto paths = AuthPaths::in_store(dir.path);
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove_all(dir.path / "certs");
    state.ResumeTiming();
    bootstrap(paths, opts);
  }
  label(state);
}

// Per machine: a server cert signed by a CA of the same key type.
void BM_IssueServerCert(benchmark::State& state) {
  ScratchDir dir;
  Options opts;
  opts.key_type = key_type(state);
  auto paths = AuthPaths::in_store(dir.path);
  bootstrap(paths, opts);
  ServerCertSpec spec{"vm1", {"10.0.2.15", "vm1"}, dir.path / "server.pem", dir.path / "server-key.pem"};
  for (auto _ : state) issue_server_cert(paths, spec, opts);
  label(state);
}

// The check run before every engine connection / on address change.
void BM_CheckServerCert(benchmark::State& state) {
  ScratchDir dir;
  Options opts;
  opts.key_type = key_type(state);
  auto paths = AuthPaths::in_store(dir.path);
  bootstrap(paths, opts);
  ServerCertSpec spec{"vm1", {"10.0.2.15"}, dir.path / "server.pem", dir.path / "server-key.pem"};
  issue_server_cert(paths, spec, opts);
  auto now = std::chrono::system_clock::now();
  for (auto _ : state)
    benchmark::DoNotOptimize(
        check_server_cert(spec.cert_path, paths.ca_cert, "10.0.2.15", now, spec.key_path));
  label(state);
}

BENCHMARK(BM_GenerateKey)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BootstrapCaAndClient)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IssueServerCert)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CheckServerCert)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
