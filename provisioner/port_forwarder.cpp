#include "provisioner/port_forwarder.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "drivers/common/forward_reconciler.h"
#include "machine/error.h"
#include "machine/fs.h"
#include "provisioner/engine/published_ports.h"

namespace machine::forwarder {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::set<drivers::PublishedPort> list_published(const Engine& e) {
  auto containers = engine::get(e.url, "/containers/json", e.tls, 10s);
  if (containers.status != 200)
    fail(Code::Unavailable, fmt::format("GET /containers/json answered {}", containers.status));
  auto ports = engine::container_published_ports(nlohmann::json::parse(containers.body, nullptr, false));
  // 503 when the engine is no swarm manager: no services to publish.
  auto services = engine::get(e.url, "/services", e.tls, 10s);
  if (services.status == 200)
    ports.merge(engine::service_published_ports(nlohmann::json::parse(services.body, nullptr, false)));
  return ports;
}

// "container die web1" from one /events line, for the log.
std::string describe_event(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return "?";
  std::string name;
  if (j.contains("Actor") && j["Actor"].contains("Attributes") && j["Actor"]["Attributes"].contains("name"))
    name = j["Actor"]["Attributes"]["name"].is_string() ? j["Actor"]["Attributes"]["name"].get<std::string>()
                                                        : "";
  return fmt::format("{} {} {}", j.value("Type", "?"), j.value("Action", "?"), name);
}

class Loop {
 public:
  Loop(drivers::Driver& driver, const Engine& engine, std::filesystem::path status_file,
       const std::function<bool()>& keep_running, const std::function<void(const std::string&)>& log,
       const Options& options)
      : engine_(engine),
        status_file_(std::move(status_file)),
        keep_running_(keep_running),
        log_(log),
        options_(options),
        reconciler_({[&driver](const drivers::PortForward& f) { driver.add_forward(f); },
                     [&driver](const drivers::PortForward& f) { driver.remove_forward(f); }},
                    driver.publish_address(), read_status(status_file_).forwarded) {}

  void run() {
    while (keep_running_()) {
      try {
        follow();
      } catch (const std::exception& e) {  // the engine or the VM went away: wait, reconnect
        if (!keep_running_()) break;
        // One line per outage, not one per attempt.
        if (status_.engine.empty() || status_.engine == "connected")
          log_(fmt::format("waiting for the engine: {}", e.what()));
        status_.engine = e.what();
        write_status();
        sleep(backoff_);
        backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, options_.max_backoff);
      }
    }
  }

 private:
  // One connection: subscribe first (so nothing published meanwhile is missed), list,
  // re-add everything (the VM may have restarted), then react to events.
  void follow() {
    engine::LineStream events(engine_.url, engine::port_events_path(), engine_.tls, 5s);
    apply(reconciler_.reconcile(list_published(engine_), true));
    log_("following the engine's events");
    status_.engine = "connected";
    backoff_ = 250ms;
    write_status();
    auto last_heard = Clock::now(), next_retry = Clock::now() + options_.retry_skipped;
    std::optional<Clock::time_point> recheck;
    while (keep_running_()) {
      if (auto line = events.next_line(recheck ? 200ms : 1s)) {
        std::string what = describe_event(*line);
        while (auto more = events.next_line(20ms)) what += ", " + describe_event(*more);
        // A burst (compose up, docker rm -f of several) is listed once.
        auto changes = reconciler_.reconcile(list_published(engine_));
        if (!changes.empty()) log_("engine: " + what);
        apply(changes);
        // dockerd emits "die" before its container list shows the container stopped:
        // list again a moment later.
        recheck = Clock::now() + options_.recheck;
        last_heard = Clock::now();
      } else if (recheck && Clock::now() > *recheck) {
        recheck.reset();
        apply(reconciler_.reconcile(list_published(engine_)));
      } else if (Clock::now() - last_heard > options_.keepalive) {
        // A guest rebooting under slirp leaves the host side of the stream silent, not closed.
        if (!engine::ping(engine_.url, engine_.tls, 5s))
          fail(Code::Unavailable, "the engine did not answer /_ping");
        last_heard = Clock::now();
      }
      if (!reconciler_.skipped().empty() && Clock::now() > next_retry) {
        apply(reconciler_.retry());
        next_retry = Clock::now() + options_.retry_skipped;
      }
    }
  }

  void apply(const std::vector<drivers::ForwardChange>& changes) {
    for (const auto& c : changes) log_(c.to_string());
    write_status();
  }

  void write_status() {
    Status s;
    s.pid = static_cast<int>(::getpid());
    s.engine = status_.engine;
    s.forwarded.assign(reconciler_.active().begin(), reconciler_.active().end());
    for (const auto& [f, why] : reconciler_.skipped()) s.skipped.emplace_back(f, why);
    auto text = to_json(s).dump(2) + "\n";
    if (text == last_written_) return;
    try {
      fs::write_file_atomic(status_file_, text);
      last_written_ = text;
    } catch (const Error& e) {
      log_(fmt::format("cannot write {}: {}", status_file_.string(), e.what()));
    }
  }

  void sleep(std::chrono::milliseconds d) {
    auto until = Clock::now() + d;
    while (keep_running_() && Clock::now() < until)
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(d, 100ms));
  }

  Engine engine_;
  std::filesystem::path status_file_;
  const std::function<bool()>& keep_running_;
  const std::function<void(const std::string&)>& log_;
  Options options_;
  drivers::ForwardReconciler reconciler_;
  Status status_;
  std::string last_written_;
  std::chrono::milliseconds backoff_{250};
};

}  // namespace

nlohmann::json to_json(const Status& s) {
  nlohmann::json j{{"Pid", s.pid},
                   {"Engine", s.engine},
                   {"Forwarded", nlohmann::json::array()},
                   {"Skipped", nlohmann::json::array()}};
  for (const auto& f : s.forwarded) j["Forwarded"].push_back(f.to_string());
  for (const auto& [f, why] : s.skipped)
    j["Skipped"].push_back({{"Forward", f.to_string()}, {"Reason", why}});
  return j;
}

Status status_from_json(const nlohmann::json& j) {
  Status s;
  if (!j.is_object()) return s;
  if (j.contains("Pid") && j["Pid"].is_number_integer()) s.pid = j["Pid"].get<int>();
  if (j.contains("Engine") && j["Engine"].is_string()) s.engine = j["Engine"].get<std::string>();
  auto parse = [](const nlohmann::json& v) -> std::optional<drivers::PortForward> {
    if (!v.is_string()) return std::nullopt;
    try {
      return drivers::parse_port_forward(v.get<std::string>());
    } catch (const Error&) {
      return std::nullopt;
    }
  };
  if (j.contains("Forwarded") && j["Forwarded"].is_array())
    for (const auto& v : j["Forwarded"])
      if (auto f = parse(v)) s.forwarded.push_back(*f);
  if (j.contains("Skipped") && j["Skipped"].is_array())
    for (const auto& v : j["Skipped"])
      if (v.is_object() && v.contains("Forward"))
        if (auto f = parse(v["Forward"])) s.skipped.emplace_back(*f, v.value("Reason", std::string()));
  return s;
}

Status read_status(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return {};
  return status_from_json(nlohmann::json::parse(in, nullptr, false));
}

void run(drivers::Driver& driver, const Engine& engine, const std::filesystem::path& status_file,
         const std::function<bool()>& keep_running, const std::function<void(const std::string&)>& log,
         const Options& options) {
  Loop(driver, engine, status_file, keep_running, log, options).run();
}

}  // namespace machine::forwarder
