#pragma once
// `machine ls` / `machine active`: docker-machine's HostListItem, filters, natural sort,
// the parallel state query with a per-machine timeout, and the table/template output.
// Everything here is pure or takes the query as a function, so tests need no VM.
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "machine/host.h"
#include "machine/state.h"

namespace machine::cli {

struct HostListItem {
  std::string name;
  std::string active;  // "*", "* (swarm)", "-"; "" for a machine that timed out
  bool active_host = false;
  bool active_swarm = false;
  std::string driver_name;
  State state = State::None;
  std::string url;
  std::optional<SwarmOptions> swarm_options;
  std::optional<EngineOptions> engine_options;
  std::string swarm;  // SWARM column: "<master name>" or "<master name> (master)"
  std::string error;
  std::string docker_version;
  std::chrono::milliseconds response_time{0};
};

// A machine as loaded from the store: its config, or why it could not be read.
struct StoredHost {
  std::string name;
  std::optional<Host> host;
  std::string load_error;
};

struct Filters {
  std::vector<std::string> swarm, driver, state, name, label;
  bool empty() const {
    return swarm.empty() && driver.empty() && state.empty() && name.empty() && label.empty();
  }
};

// "key=value" list; Error(InvalidArgument) "Unsupported filter syntax" /
// "Unsupported filter key 'x'" / an invalid name regex.
Filters parse_filters(const std::vector<std::string>& specs);

// `state` is only consulted when filtering by state.
bool matches(const Host& host, const Filters& f, State state, const std::vector<Host>& all);

// What ls learns about one machine (runs on a worker thread).
using HostQuery = std::function<HostListItem(const Host&)>;

// Queries every host in parallel; a host that takes longer than `timeout` is reported as
// State::Timeout while its query finishes in the background (see background_work_pending).
std::vector<HostListItem> query_hosts(const std::vector<Host>& hosts, const HostQuery& query,
                                      std::chrono::milliseconds timeout);

// Active / ActiveHost / ActiveSwarm from the URL and $DOCKER_HOST, as docker-machine.
void mark_active(HostListItem& item, const std::string& docker_host);

// The row for a machine whose config cannot be read.
HostListItem error_item(const StoredHost& h);

// Fills the SWARM column from the swarm masters among `hosts`.
void fill_swarm_column(std::vector<HostListItem>& items, const std::vector<Host>& hosts);

// Natural order ("vm2" before "vm10"), case-insensitive.
void natural_sort(std::vector<HostListItem>& items);
bool natural_less(const std::string& a, const std::string& b);

// The template data (HostListItem's Go field names).
nlohmann::json to_template_data(const HostListItem& item);

// Formats the items with docker-machine's default table or a user --format ("table ..."
// prefix prints the header row and aligns columns).
std::string render_host_list(const std::vector<HostListItem>& items, const std::string& format);

// Go's time.Duration.String() ("0s", "12ms", "1.5s", "1m30s").
std::string go_duration(std::chrono::nanoseconds d);

// Number of detached queries still running after their timeout.
int pending_queries();

}  // namespace machine::cli
