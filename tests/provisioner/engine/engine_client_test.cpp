// The engine client against a real TLS server (openssl s_server -WWW) with certificates
// from our own CA: mutual TLS succeeds, a foreign CA or a host outside the SANs fails.
#include "provisioner/engine/engine_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "certs/certs.h"
#include "drivers/common/ports.h"
#include "machine/error.h"
#include "tests/support/temp_dir.h"

namespace machine::engine {
namespace {
using namespace std::chrono_literals;
using machine::testing::TempDir;
using machine::testing::write_file;

int free_port() { return machine::drivers::pick_free_loopback_ports(1).front(); }

struct Pki {
  TempDir dir;
  certs::AuthPaths auth;
  std::filesystem::path client_dir;
  explicit Pki(std::vector<std::string> hosts) {
    auth = certs::AuthPaths::in_store(dir.path());
    certs::bootstrap(auth);
    client_dir = dir / "client";
    std::filesystem::create_directories(client_dir);
    certs::copy_client_files(auth, client_dir);
    certs::issue_server_cert(auth, {"vm", std::move(hosts), dir / "server.pem", dir / "server-key.pem"});
  }
};

// openssl s_server serving files from a directory (GET /_ping -> file "_ping"), requiring
// a client certificate signed by ca.
struct Server {
  pid_t pid = -1;
  int port;
  TempDir www;
  Server(const Pki& pki, const std::string& bind_host) : port(free_port()) {
    write_file(www / "_ping", "OK");
    write_file(www / "version", R"({"Version":"20.10.24+dfsg1","ApiVersion":"1.41"})");
    write_file(
        www / "events",
        "{\"Type\":\"container\",\"Action\":\"start\"}\n{\"Type\":\"container\",\"Action\":\"die\"}\n");
    pid = ::fork();
    if (pid == 0) {
      if (::chdir(www.path().c_str()) != 0) ::_exit(127);
      std::string accept = bind_host + ":" + std::to_string(port);
      std::string ca = pki.auth.ca_cert.string(), cert = (pki.dir / "server.pem").string(),
                  key = (pki.dir / "server-key.pem").string();
      ::freopen("/dev/null", "w", stdout);
      ::freopen("/dev/null", "w", stderr);
      ::execlp("openssl", "openssl", "s_server", "-quiet", "-WWW", "-Verify", "1", "-verify_return_error",
               "-CAfile", ca.c_str(), "-cert", cert.c_str(), "-key", key.c_str(), "-accept", accept.c_str(),
               nullptr);
      ::_exit(127);
    }
    std::this_thread::sleep_for(400ms);
  }
  ~Server() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
  std::string url(const std::string& host) const { return "tcp://" + host + ":" + std::to_string(port); }
};

TEST(EngineClient, PingAndVersionOverMutualTls) {
  Pki pki({"vm"});
  Server s(pki, "127.0.0.1");
  auto tls = TlsFiles::in_dir(pki.client_dir);
  EXPECT_TRUE(ping(s.url("127.0.0.1"), tls, 5s));
  EXPECT_EQ(version(s.url("127.0.0.1"), tls, 5s), "20.10.24+dfsg1");
  EXPECT_NO_THROW(wait_for_engine(s.url("127.0.0.1"), tls, 10s));
}

TEST(EngineClient, LineStreamReturnsTheBodyLineByLineThenReportsTheEnd) {
  Pki pki({"vm"});
  Server s(pki, "127.0.0.1");
  LineStream events(s.url("127.0.0.1"), "/events", TlsFiles::in_dir(pki.client_dir), 5s);
  EXPECT_EQ(events.next_line(5s), R"({"Type":"container","Action":"start"})");
  EXPECT_EQ(events.next_line(5s), R"({"Type":"container","Action":"die"})");
  try {
    while (events.next_line(5s)) {
    }
    FAIL() << "the server closed the stream; the reader must say so, not time out forever";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos) << e.what();
  }
}

TEST(EngineClient, ForeignCaIsRefused) {
  Pki pki({"vm"});
  Pki other({"vm"});
  Server s(pki, "127.0.0.1");
  try {
    ping(s.url("127.0.0.1"), TlsFiles::in_dir(other.client_dir), 5s);
    FAIL() << "a client trusting another CA must not talk to this engine";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(std::string(e.what()).find("TLS handshake"), std::string::npos) << e.what();
  }
}

// The client keeps one TLS context per set of files (ls asks every machine at once);
// files rewritten in place (regenerate-certs while the forwarder runs) must be read again.
TEST(EngineClient, ClientFilesRewrittenInPlaceAreReadAgain) {
  Pki pki({"vm"});
  Pki other({"vm"});
  Server s(pki, "127.0.0.1");
  TempDir client;
  certs::copy_client_files(other.auth, client.path());
  auto tls = TlsFiles::in_dir(client.path());
  EXPECT_THROW(ping(s.url("127.0.0.1"), tls, 5s), Error);
  for (auto name : {"ca.pem", "cert.pem", "key.pem"})
    std::filesystem::copy_file(pki.client_dir / name, client / name,
                               std::filesystem::copy_options::overwrite_existing);
  EXPECT_TRUE(ping(s.url("127.0.0.1"), tls, 5s));
}

TEST(EngineClient, HostOutsideTheCertificateIsRefused) {
  Pki pki({"vm"});  // SANs: vm, 127.0.0.1, ::1, localhost
  Server s(pki, "127.0.0.2");
  try {
    ping(s.url("127.0.0.2"), TlsFiles::in_dir(pki.client_dir), 5s);
    FAIL() << "127.0.0.2 is not in the certificate";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mismatch"), std::string::npos) << e.what();
  }
}

TEST(EngineClient, UnreachableEngineTimesOutWithReason) {
  Pki pki({"vm"});
  try {
    wait_for_engine("tcp://127.0.0.1:" + std::to_string(free_port()), TlsFiles::in_dir(pki.client_dir), 1s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(std::string(e.what()).find("did not answer"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace machine::engine
