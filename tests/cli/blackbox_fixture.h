#pragma once
// Shared by the black-box suites: the real `machine` binary on a temporary store
// (MACHINE_STORAGE_PATH), and an engine stand-in (openssl s_server on 127.0.0.1 with a
// server cert signed by the store's CA) for the `none` driver.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <thread>

#include "certs/certs.h"
#include "drivers/common/ports.h"
#include "machine/process_runner.h"
#include "machine/store.h"
#include "tests/support/local_server.h"
#include "tests/support/temp_dir.h"

namespace machine::cli {
using namespace std::chrono_literals;
using machine::testing::read_file;
using machine::testing::TempDir;
using machine::testing::write_file;

inline std::string machine_binary() {
  // Prefer the env var the test harness sets; fall back to the path CMake knows.
  const char* env = std::getenv("MACHINE_BINARY");
  if (env && std::filesystem::exists(env)) return env;
  return MACHINE_BINARY_PATH;
}

inline int free_port() { return machine::drivers::pick_free_loopback_ports(1).front(); }

// An engine stand-in: GET /_ping and /version served by openssl s_server over mutual TLS.
class FakeEngine {
 public:
  explicit FakeEngine(const std::filesystem::path& store_root, int port = free_port()) : port_(port) {
    auto auth = certs::AuthPaths::in_store(store_root);
    certs::bootstrap(auth);  // the store's CA; `create` keeps it
    certs::issue_server_cert(auth, {"engine", {"127.0.0.1"}, dir_ / "server.pem", dir_ / "server-key.pem"});
    std::filesystem::create_directories(dir_ / "www");
    write_file(dir_ / "www" / "_ping", "OK");
    write_file(dir_ / "www" / "version", R"({"Version":"20.10.24","ApiVersion":"1.41"})");
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::chdir((dir_ / "www").c_str()) != 0) ::_exit(127);
      if (!::freopen("/dev/null", "w", stdout) || !::freopen("/dev/null", "w", stderr)) ::_exit(127);
      std::string accept = "127.0.0.1:" + std::to_string(port_);
      std::string ca = auth.ca_cert.string(), cert = (dir_ / "server.pem").string(),
                  key = (dir_ / "server-key.pem").string();
      ::execlp("openssl", "openssl", "s_server", "-quiet", "-WWW", "-Verify", "1", "-verify_return_error",
               "-CAfile", ca.c_str(), "-cert", cert.c_str(), "-key", key.c_str(), "-accept", accept.c_str(),
               nullptr);
      ::_exit(127);
    }
    machine::testing::wait_accepting(pid_, port_);  // a server that exited shows in the test's checks
  }
  ~FakeEngine() { machine::testing::stop_server(pid_); }
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  TempDir dir_;
  int port_;
  pid_t pid_ = -1;
};

class MachineCli : public ::testing::Test {
 protected:
  ProcessResult machine(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                        std::optional<std::string> input = std::nullopt) {
    Command cmd;
    cmd.program = machine_binary();
    cmd.args = std::move(args);
    cmd.env = {{"MACHINE_STORAGE_PATH", store_.path().string()},
               {"DOCKER_HOST", ""},
               {"SHELL", "/bin/bash"},
               {"MACHINE_DRIVER", ""},
               {"NO_PROXY", ""},
               {"no_proxy", ""}};
    for (auto& [k, v] : env) cmd.env[k] = v;
    cmd.stdin_data = std::move(input);
    cmd.timeout = 60s;
    return runner_->run(cmd);
  }

  ProcessResult create_none(const std::string& name, const std::string& url) {
    return machine({"create", "-d", "none", "--url", url, "--no-docker-context", name});
  }

  std::vector<std::string> machine_dirs() {
    std::vector<std::string> names;
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(store_.path() / "machines", ec))
      names.push_back(e.path().filename().string());
    return names;
  }

  TempDir store_;
  std::unique_ptr<ProcessRunner> runner_ = make_system_process_runner();
};

}  // namespace machine::cli
