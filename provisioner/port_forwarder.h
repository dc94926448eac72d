#pragma once
// The per-machine port forwarder's loop (run by the hidden `machine __forward NAME`): it
// follows the engine's event stream over mutual TLS, lists the published ports on every
// (re)connect and after each event, and has drivers/common's reconciler forward them
// through the driver. It outlives VM restarts (reconnects with backoff) and records what
// it did in the machine's status file (forwards.json) for `ls` and `inspect`.
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drivers/driver.h"
#include "provisioner/engine/engine_client.h"

namespace machine::forwarder {

// forwards.json: written by the forwarder, read by ls / inspect and by the next forwarder.
struct Status {
  int pid = 0;
  std::string engine;  // "connected", or why the engine cannot be reached
  std::vector<drivers::PortForward> forwarded;
  std::vector<std::pair<drivers::PortForward, std::string>> skipped;  // forward, why
};
nlohmann::json to_json(const Status& s);
Status status_from_json(const nlohmann::json& j);  // tolerant: bad entries are dropped
// The status file's content, or an empty Status when it is missing or unreadable.
Status read_status(const std::filesystem::path& file);

struct Options {
  std::chrono::milliseconds keepalive{10000};     // ping the engine after this much silence
  std::chrono::milliseconds retry_skipped{2000};  // how often taken host ports are probed again
  std::chrono::milliseconds max_backoff{2000};    // between reconnects while the VM is down
  std::chrono::milliseconds recheck{500};         // second listing after an event (dockerd lags)
};

struct Engine {
  std::string url;  // tcp://127.0.0.1:<engine port>
  engine::TlsFiles tls;
};

// Runs until keep_running() says no (checked at least every second). `log` gets one line
// per change. Never throws for engine or VM trouble: it waits and reconnects.
void run(drivers::Driver& driver, const Engine& engine, const std::filesystem::path& status_file,
         const std::function<bool()>& keep_running, const std::function<void(const std::string&)>& log,
         const Options& options = {});

}  // namespace machine::forwarder
