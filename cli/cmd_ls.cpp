// `ls` and `active`: load every machine, query them in parallel under a timeout, print.
#include <fmt/format.h>

#include <chrono>

#include "cli/command.h"
#include "cli/host_list.h"
#include "machine/error.h"

namespace machine::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Loads every machine; a broken config becomes an error row, never an exception.
std::vector<StoredHost> load_all(const Store& store) {
  std::vector<StoredHost> out;
  for (const auto& name : store.list()) {
    StoredHost h{name, std::nullopt, ""};
    try {
      h.host = store.load(name);
    } catch (const Error& e) {
      h.load_error = e.what();
    }
    out.push_back(std::move(h));
  }
  return out;
}

// Asks ops about one machine, on a worker thread with its own runner: the same order of
// questions as docker-machine (URL first; a URL means Running; then the engine version).
HostQuery make_query(const Invocation& inv, std::chrono::milliseconds timeout) {
  std::filesystem::path root = inv.store->root();
  ops::TlsPaths tls = inv.env->tls;
  bool native_ssh = inv.env->native_ssh;
  return [root, tls, native_ssh, timeout](const Host& host) {
    auto begin = Clock::now();
    Store store(root);
    auto runner = make_system_process_runner();
    NullProgress progress;
    ops::Env env{store, *runner, progress, tls, native_ssh};
    HostListItem item;
    item.name = host.name;
    item.driver_name = host.driver_name;
    item.swarm_options = host.options.swarm;
    item.engine_options = host.options.engine;
    item.docker_version = "Unknown";
    std::string error;
    bool ok = true;
    try {
      item.url = ops::url(env, host.name);
    } catch (const Error& e) {
      ok = false;
      error = e.what();
    }
    try {
      if (ok && !item.url.empty())
        item.state = State::Running;
      else
        item.state = ops::state(env, host.name).state;
    } catch (const Error& e) {
      if (ok) error = e.what();
      ok = false;
      item.state = State::Error;
    }
    if (ok && !item.url.empty()) {
      try {
        std::string v = ops::engine_version(env, host.name, timeout);
        item.docker_version = !v.empty() && v[0] == 'v' ? v : "v" + v;
      } catch (const Error& e) {
        error = e.what();
      }
    }
    if (error == "Host is not running") error.clear();
    if (error.empty() && item.state == State::Running) {
      try {
        error = ops::forwarder_problem(env, host.name);
      } catch (const Error& e) {
        error = e.what();
      }
    }
    for (char c : error)
      if (c != '\n') item.error += c;
    item.response_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
    return item;
  };
}

struct Listing {
  std::vector<Host> hosts;          // loadable, after filters
  std::vector<HostListItem> items;  // queried (and error rows), sorted
};

Listing list_machines(Invocation& inv, const Filters& filters, bool query, int timeout_s) {
  auto stored = load_all(*inv.store);
  std::vector<Host> all;
  std::vector<HostListItem> errors;
  for (const auto& s : stored) {
    if (s.host)
      all.push_back(*s.host);
    else
      errors.push_back(error_item(s));
  }
  Listing l;
  std::vector<HostListItem> items;
  if (query || !filters.state.empty()) {
    auto timeout = std::chrono::milliseconds(std::max(0, timeout_s) * 1000LL);
    items = query_hosts(all, make_query(inv, timeout), timeout);
  }
  std::string docker_host = inv.getenv("DOCKER_HOST").value_or("");
  for (size_t i = 0; i < all.size(); ++i) {
    State st = items.empty() ? State::None : items[i].state;
    if (!matches(all[i], filters, st, all)) continue;
    l.hosts.push_back(all[i]);
    if (!items.empty()) {
      if (items[i].state != State::Timeout) mark_active(items[i], docker_host);
      l.items.push_back(items[i]);
    }
  }
  // docker-machine lists broken machines whatever the filters say.
  for (auto& e : errors) l.items.push_back(std::move(e));
  fill_swarm_column(l.items, all);
  natural_sort(l.items);
  return l;
}

// --timeout below 1 s would report every machine as Timeout without asking it.
int timeout_seconds(const ParsedFlags& f) {
  int t = f.integer("timeout");
  if (t < 1)
    fail(Code::InvalidArgument,
         fmt::format("invalid value \"{}\" for flag -timeout: give the seconds to wait, 1 or more", t));
  return t;
}

}  // namespace

int cmd_ls(Invocation& inv) {
  auto& f = inv.cmd.flags;
  Filters filters = parse_filters(f.list("filter"));
  int timeout = timeout_seconds(f);
  if (f.boolean("quiet")) {
    auto l = list_machines(inv, filters, false, timeout);
    std::vector<std::string> names;
    for (const auto& h : l.hosts) names.push_back(h.name);
    std::sort(names.begin(), names.end(), natural_less);
    for (const auto& n : names) inv.out() << n << "\n";
    return kExitOk;
  }
  std::string format = f.string("format");
  render_host_list({}, format);  // a bad template fails before any machine is queried
  auto l = list_machines(inv, filters, true, timeout);
  inv.out() << render_host_list(l.items, format) << std::flush;
  return kExitOk;
}

int cmd_active(Invocation& inv) {
  if (!inv.cmd.args.empty()) fail(Code::InvalidArgument, "Error: Too many arguments given");
  auto l = list_machines(inv, {}, true, timeout_seconds(inv.cmd.flags));
  bool timeout = false;
  for (const auto& item : l.items) {
    if (item.active_host || item.active_swarm) {
      inv.out() << item.name << "\n";
      return kExitOk;
    }
    if (item.state == State::Timeout) timeout = true;
  }
  fail(Code::Unavailable, timeout ? "Error getting active host: timeout" : "No active host found");
}

}  // namespace machine::cli
