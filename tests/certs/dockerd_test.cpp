// The real engine: dockerd 20.10 (Go 1.19, as in the guest) serving TLS with our server
// cert, and the docker CLI connecting with our client cert, in a network namespace of our
// own (loopback only, no bridge, no iptables). Needs root, unshare(1) and a directory holding
// the guest's engine binaries, given as MACHINE_TEST_DOCKERD_ROOT (a rootfs with
// usr/sbin/dockerd and usr/bin/containerd, runc); skipped otherwise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "certs/certs.h"
#include "machine/process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::certs {
namespace {
using machine::testing::TempDir;
using machine::testing::write_file;
using ::testing::HasSubstr;
namespace stdfs = std::filesystem;
}  // namespace

void PrintTo(KeyType type, std::ostream* os) {
  *os << (type == KeyType::EcdsaP256 ? "ECDSA P-256" : "RSA 2048");
}

namespace {

// Starts dockerd, polls `docker version` until it answers (or 60 tries), stops dockerd.
constexpr char kScript[] = R"(set -u
ip link set lo up
dockerd --data-root "$W/data" --exec-root "$W/exec" --pidfile "$W/dockerd.pid" --bridge=none \
  --iptables=false --ip-masq=false -H tcp://127.0.0.1:2376 --tlsverify --tlscacert "$M/ca.pem" \
  --tlscert "$M/server.pem" --tlskey "$M/server-key.pem" > "$W/dockerd.log" 2>&1 &
pid=$!
rc=1
for i in $(seq 1 60); do
  if "$DOCKER" version --format 'engine {{.Server.Version}} {{.Server.GoVersion}}'; then rc=0; break; fi
  kill -0 $pid 2>/dev/null || break
  sleep 1
done
kill $pid; wait $pid
exit $rc
)";

class DockerdTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(DockerdTest, EngineAndCliCompleteMutualTlsWithOurCerts) {
  const char* root = std::getenv("MACHINE_TEST_DOCKERD_ROOT");
  if (!root || !*root) GTEST_SKIP() << "set MACHINE_TEST_DOCKERD_ROOT to a rootfs with dockerd 20.10";
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace";
  auto runner = make_system_process_runner();
  auto docker = runner->find_program("docker");  // the host's CLI, not the rootfs's
  if (!runner->find_program("unshare") || !docker) GTEST_SKIP() << "needs unshare and docker";

  TempDir tmp;
  auto paths = AuthPaths::in_store(tmp.path() / "store");
  auto machine_dir = tmp.path() / "store/machines/vm1";
  Options opts;
  opts.key_type = GetParam();
  bootstrap(paths, opts);
  issue_server_cert(paths, {"vm1", {"10.0.2.15"}, machine_dir / "server.pem", machine_dir / "server-key.pem"},
                    opts);
  copy_client_files(paths, machine_dir);
  write_file(tmp.path() / "run.sh", kScript);

  std::string r(root);
  Command cmd{"unshare",
              {"--net", "--mount", "--fork", "--kill-child", "sh", (tmp.path() / "run.sh").string()}};
  cmd.env = {{"W", tmp.path().string()},
             {"M", machine_dir.string()},
             {"DOCKER", docker->string()},
             {"PATH", r + "/usr/sbin:" + r + "/usr/bin:" + std::getenv("PATH")},
             {"DOCKER_HOST", "tcp://127.0.0.1:2376"},
             {"DOCKER_TLS_VERIFY", "1"},
             {"DOCKER_CERT_PATH", machine_dir.string()},
             {"DOCKER_CONFIG", (tmp.path() / "docker-config").string()}};
  cmd.timeout = std::chrono::seconds(100);
  auto result = runner->run(cmd);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("engine "));
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, DockerdTest, ::testing::Values(KeyType::EcdsaP256, KeyType::Rsa2048),
                         [](const ::testing::TestParamInfo<KeyType>& p) {
                           return p.param == KeyType::EcdsaP256 ? "Ecdsa" : "Rsa";
                         });

}  // namespace
}  // namespace machine::certs
