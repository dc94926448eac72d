// Real TLS handshakes on 127.0.0.1 between the certificates we issue and independent
// implementations: `openssl s_server -Verify` (OpenSSL) as the engine, and `openssl
// s_client` and the docker CLI (Go crypto/tls) as clients. s_server -www answers any GET
// with an HTML status page, so a client that gets HTTP back has completed mutual TLS.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "certs/certs.h"
#include "machine/process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::certs {
namespace {
using machine::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;
namespace stdfs = std::filesystem;
}  // namespace

// Readable parameter in test names ("... # GetParam() = RSA 2048").
void PrintTo(KeyType type, std::ostream* os) {
  *os << (type == KeyType::EcdsaP256 ? "ECDSA P-256" : "RSA 2048");
}

namespace {

constexpr char kHttpOk[] = "HTTP/1.0 200 ok";

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string slurp(const stdfs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One certificate store: CA + client in <dir>/certs, a machine dir with server cert and
// the DOCKER_CERT_PATH copies.
struct Store {
  Store(const stdfs::path& root, KeyType type)
      : paths(AuthPaths::in_store(root)), machine_dir(root / "machines/vm1") {
    Options opts;
    opts.key_type = type;
    bootstrap(paths, opts);
    issue_server_cert(
        paths, {"vm1", {"10.0.2.15"}, machine_dir / "server.pem", machine_dir / "server-key.pem"}, opts);
    copy_client_files(paths, machine_dir);
  }
  AuthPaths paths;
  stdfs::path machine_dir;
};

class InteropTest : public ::testing::TestWithParam<KeyType> {
 protected:
  void SetUp() override {
    runner = make_system_process_runner();
    require_program(*runner, "openssl", "openssl");
    ours = std::make_unique<Store>(tmp.path() / "ours", GetParam());
    start_server();
  }

  void TearDown() override {
    if (server_pid > 0) {
      ::kill(server_pid, SIGTERM);
      ::waitpid(server_pid, nullptr, 0);
    }
  }

  // The engine stand-in: requires a client certificate signed by our CA.
  void start_server() {
    port = free_loopback_port();
    log = tmp.path() / "s_server.log";
    const auto& dir = ours->machine_dir;
    Command cmd{"openssl",
                {"s_server", "-Verify", "1", "-verify_return_error", "-CAfile", (dir / "ca.pem").string(),
                 "-cert", (dir / "server.pem").string(), "-key", (dir / "server-key.pem").string(), "-accept",
                 "127.0.0.1:" + std::to_string(port), "-www"}};
    server_pid = runner->spawn_detached(cmd, log);
    for (int i = 0; i < 200; ++i) {  // s_server prints ACCEPT once it listens
      if (slurp(log).find("ACCEPT") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "s_server did not start: " << slurp(log);
  }

  ProcessResult s_client(const stdfs::path& ca, const stdfs::path& cert, const stdfs::path& key,
                         const std::string& ip = "127.0.0.1") {
    Command cmd{"openssl",
                {"s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-CAfile", ca.string(),
                 "-verify_return_error", "-verify_ip", ip, "-quiet"}};
    if (!cert.empty()) cmd.args.insert(cmd.args.end(), {"-cert", cert.string(), "-key", key.string()});
    cmd.stdin_data = "GET / HTTP/1.0\r\n\r\n";
    cmd.timeout = std::chrono::seconds(20);
    return runner->run(cmd);
  }

  // `docker version` against the s_server. DOCKER_API_VERSION skips the HEAD /_ping that
  // s_server would never answer, so the CLI goes straight to GET /v1.41/version.
  ProcessResult docker_version(const stdfs::path& cert_path) {
    Command cmd{"docker", {"version", "--format", "{{.Server.Version}}"}};
    cmd.env = {{"DOCKER_HOST", "tcp://127.0.0.1:" + std::to_string(port)},
               {"DOCKER_TLS_VERIFY", "1"},
               {"DOCKER_CERT_PATH", cert_path.string()},
               {"DOCKER_API_VERSION", "1.41"},
               {"DOCKER_CONFIG", (tmp.path() / "docker-config").string()}};
    cmd.timeout = std::chrono::seconds(30);
    return runner->run(cmd);
  }

  bool have_docker() { return runner->find_program("docker").has_value(); }

  // A second, unrelated store (made only when needed: RSA keys take a while).
  Store& foreign() {
    if (!foreign_) foreign_ = std::make_unique<Store>(tmp.path() / "foreign", GetParam());
    return *foreign_;
  }

  TempDir tmp;
  std::unique_ptr<ProcessRunner> runner;
  std::unique_ptr<Store> ours, foreign_;
  int port = 0;
  int server_pid = -1;
  stdfs::path log;
};

TEST_P(InteropTest, OpensslClientWithOurClientCertCompletesMutualTls) {
  const auto& d = ours->machine_dir;
  auto r = s_client(d / "ca.pem", d / "cert.pem", d / "key.pem");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(kHttpOk));
}

TEST_P(InteropTest, OpensslClientRejectsServerFromForeignCa) {
  const auto& d = ours->machine_dir;
  auto r = s_client(foreign().paths.ca_cert, d / "cert.pem", d / "key.pem");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("certificate verify failed"));
  EXPECT_THAT(r.out, Not(HasSubstr(kHttpOk)));
}

TEST_P(InteropTest, OpensslClientRejectsServerNotCoveringTheAddress) {
  const auto& d = ours->machine_dir;
  auto r = s_client(d / "ca.pem", d / "cert.pem", d / "key.pem", "10.0.2.99");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("IP address mismatch"));
}

TEST_P(InteropTest, ServerRejectsClientCertFromForeignCa) {
  auto r = s_client(ours->paths.ca_cert, foreign().paths.client_cert, foreign().paths.client_key);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.out, Not(HasSubstr(kHttpOk)));
  EXPECT_THAT(r.err, HasSubstr("alert"));
}

TEST_P(InteropTest, ServerRejectsMissingClientCert) {
  auto r = s_client(ours->paths.ca_cert, {}, {});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.out, Not(HasSubstr(kHttpOk)));
  EXPECT_THAT(r.err, HasSubstr("certificate required"));
}

TEST_P(InteropTest, DockerCliCompletesMutualTlsWithMachineDir) {
  if (!have_docker()) GTEST_SKIP() << "docker CLI not installed";
  auto r = docker_version(ours->machine_dir);
  // TLS succeeded; what fails is parsing s_server's HTML status page as JSON.
  EXPECT_THAT(r.err, HasSubstr("invalid character '<'"));
  EXPECT_THAT(r.err, Not(HasSubstr("tls:")));
  EXPECT_THAT(r.err, Not(HasSubstr("x509:")));
}

TEST_P(InteropTest, DockerCliRejectsServerFromForeignCa) {
  if (!have_docker()) GTEST_SKIP() << "docker CLI not installed";
  auto dir = tmp.path() / "mixed";
  stdfs::create_directories(dir);
  stdfs::copy_file(foreign().paths.ca_cert, dir / "ca.pem");
  stdfs::copy_file(ours->paths.client_cert, dir / "cert.pem");
  stdfs::copy_file(ours->paths.client_key, dir / "key.pem");
  auto r = docker_version(dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("x509: certificate signed by unknown authority"));
}

TEST_P(InteropTest, ServerRejectsDockerCliWithForeignClientCert) {
  if (!have_docker()) GTEST_SKIP() << "docker CLI not installed";
  auto dir = tmp.path() / "mixed";
  stdfs::create_directories(dir);
  stdfs::copy_file(ours->paths.ca_cert, dir / "ca.pem");
  stdfs::copy_file(foreign().paths.client_cert, dir / "cert.pem");
  stdfs::copy_file(foreign().paths.client_key, dir / "key.pem");
  auto r = docker_version(dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("remote error: tls"));
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, InteropTest, ::testing::Values(KeyType::EcdsaP256, KeyType::Rsa2048),
                         [](const ::testing::TestParamInfo<KeyType>& p) {
                           return p.param == KeyType::EcdsaP256 ? "Ecdsa" : "Rsa";
                         });

}  // namespace
}  // namespace machine::certs
