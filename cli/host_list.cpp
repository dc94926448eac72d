#include "cli/host_list.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <thread>

#include "cli/tabwriter.h"
#include "cli/template.h"
#include "machine/error.h"

namespace machine::cli {
namespace {

std::atomic<int> g_pending{0};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool iequals(const std::string& a, const std::string& b) { return lower(a) == lower(b); }

std::map<std::string, std::string> swarm_masters(const std::vector<Host>& hosts) {
  std::map<std::string, std::string> m;
  for (const auto& h : hosts)
    if (h.options.swarm.master) m[h.options.swarm.discovery] = h.name;
  return m;
}

// "{digits}{frac}" for v / 10^prec with trailing zeros trimmed, as Go's fmtFrac/fmtInt.
std::string fixed(uint64_t v, int prec) {
  uint64_t scale = 1;
  for (int i = 0; i < prec; ++i) scale *= 10;
  std::string frac = fmt::format("{:0{}}", v % scale, prec);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return fmt::format("{}", v / scale) + (frac.empty() ? "" : "." + frac);
}

const char* const kLsDefaultFormat =
    "table {{ .Name }}\t{{ .Active }}\t{{ .DriverName}}\t{{ .State }}\t{{ .URL }}\t{{ .Swarm }}\t{{ "
    ".DockerVersion }}\t{{ .Error}}";

}  // namespace

Filters parse_filters(const std::vector<std::string>& specs) {
  Filters f;
  for (const auto& s : specs) {
    auto eq = s.find('=');
    if (eq == std::string::npos) fail(Code::InvalidArgument, "Unsupported filter syntax");
    std::string key = lower(s.substr(0, eq)), value = s.substr(eq + 1);
    if (key == "swarm")
      f.swarm.push_back(value);
    else if (key == "driver")
      f.driver.push_back(value);
    else if (key == "state")
      f.state.push_back(value);
    else if (key == "label")
      f.label.push_back(value);
    else if (key == "name") {
      try {
        std::regex check(value, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        fail(Code::InvalidArgument, fmt::format("error parsing regexp: {}: `{}`", e.what(), value));
      }
      f.name.push_back(value);
    } else {
      fail(Code::InvalidArgument, fmt::format("Unsupported filter key '{}'", key));
    }
  }
  return f;
}

bool matches(const Host& host, const Filters& f, State state, const std::vector<Host>& all) {
  auto any = [](const std::vector<std::string>& wanted, auto pred) {
    return wanted.empty() || std::any_of(wanted.begin(), wanted.end(), pred);
  };
  auto masters = swarm_masters(all);
  bool swarm = any(f.swarm, [&](const std::string& n) {
    auto it = masters.find(host.options.swarm.discovery);
    return it != masters.end() && iequals(n, it->second);
  });
  bool driver = any(f.driver, [&](const std::string& n) { return iequals(n, host.driver_name); });
  bool st = any(f.state, [&](const std::string& n) { return iequals(n, std::string(state_name(state))); });
  bool name = any(f.name, [&](const std::string& n) { return std::regex_search(host.name, std::regex(n)); });
  bool label = any(f.label, [&](const std::string& l) {
    auto eq = l.find('=');
    std::string k = l.substr(0, eq), v = eq == std::string::npos ? "" : l.substr(eq + 1);
    for (const auto& have : host.options.engine.labels) {
      auto heq = have.find('=');
      if (have.substr(0, heq) == k && iequals(heq == std::string::npos ? "" : have.substr(heq + 1), v))
        return true;
    }
    return false;
  });
  return swarm && driver && st && name && label;
}

std::vector<HostListItem> query_hosts(const std::vector<Host>& hosts, const HostQuery& query,
                                      std::chrono::milliseconds timeout) {
  // Shared with the workers, which may outlive this call when a query hangs.
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::optional<HostListItem>> results;
    size_t done = 0;
  };
  auto shared = std::make_shared<Shared>();
  shared->results.resize(hosts.size());
  auto q = std::make_shared<HostQuery>(query);
  for (size_t i = 0; i < hosts.size(); ++i) {
    ++g_pending;
    std::thread([shared, q, host = hosts[i], i] {
      HostListItem item;
      try {
        item = (*q)(host);
      } catch (const std::exception& e) {
        item.name = host.name;
        item.driver_name = host.driver_name;
        item.state = State::Error;
        item.error = e.what();
      }
      {
        std::lock_guard lock(shared->mu);
        shared->results[i] = std::move(item);
        ++shared->done;
      }
      shared->cv.notify_all();
      --g_pending;
    }).detach();
  }
  std::vector<HostListItem> items;
  std::unique_lock lock(shared->mu);
  shared->cv.wait_until(lock, std::chrono::steady_clock::now() + timeout,
                        [&] { return shared->done == hosts.size(); });
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (shared->results[i]) {
      items.push_back(*shared->results[i]);
    } else {
      HostListItem t;
      t.name = hosts[i].name;
      t.driver_name = hosts[i].driver_name;
      t.state = State::Timeout;
      t.response_time = timeout;
      items.push_back(std::move(t));
    }
  }
  return items;
}

int pending_queries() { return g_pending.load(); }

void mark_active(HostListItem& item, const std::string& docker_host) {
  bool running = item.state == State::Running;
  item.active_host = running && !item.url.empty() && item.url == docker_host;
  item.active_swarm = false;
  if (running && item.swarm_options && item.swarm_options->master && !item.url.empty()) {
    // The engine URL with the swarm master's port.
    auto port_of = [](const std::string& u) { return u.substr(u.find_last_of(':') + 1); };
    std::string host_port = port_of(item.url), swarm_port = port_of(item.swarm_options->host);
    std::string swarm_url = item.url;
    auto pos = swarm_url.find(":" + host_port);
    if (pos != std::string::npos) swarm_url.replace(pos, host_port.size() + 1, ":" + swarm_port);
    item.active_swarm = swarm_url == docker_host;
  }
  item.active = item.active_swarm ? "* (swarm)" : item.active_host ? "*" : "-";
}

HostListItem error_item(const StoredHost& h) {
  HostListItem item;
  item.name = h.name;
  item.driver_name = "not found";
  item.state = State::Error;
  for (char c : h.load_error)
    if (c != '\n') item.error += c;
  return item;
}

void fill_swarm_column(std::vector<HostListItem>& items, const std::vector<Host>& hosts) {
  auto masters = swarm_masters(hosts);
  for (auto& item : items) {
    item.swarm.clear();
    if (!item.swarm_options || item.swarm_options->discovery.empty()) continue;
    item.swarm = masters[item.swarm_options->discovery];
    if (item.swarm_options->master) item.swarm += " (master)";
  }
}

bool natural_less(const std::string& a, const std::string& b) {
  // Compare chunk by chunk: runs of digits by value, other runs as text.
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = std::isdigit(static_cast<unsigned char>(a[i])),
         db = std::isdigit(static_cast<unsigned char>(b[j]));
    size_t ei = i, ej = j;
    while (ei < a.size() && static_cast<bool>(std::isdigit(static_cast<unsigned char>(a[ei]))) == da) ++ei;
    while (ej < b.size() && static_cast<bool>(std::isdigit(static_cast<unsigned char>(b[ej]))) == db) ++ej;
    std::string ca = a.substr(i, ei - i), cb = b.substr(j, ej - j);
    if (da && db) {
      std::string ta = ca.substr(std::min(ca.find_first_not_of('0'), ca.size()));
      std::string tb = cb.substr(std::min(cb.find_first_not_of('0'), cb.size()));
      if (ta.size() != tb.size()) return ta.size() < tb.size();
      if (ta != tb) return ta < tb;
    } else if (ca != cb) {
      return ca < cb;
    }
    i = ei;
    j = ej;
  }
  return (a.size() - i) < (b.size() - j);
}

void natural_sort(std::vector<HostListItem>& items) {
  std::stable_sort(items.begin(), items.end(), [](const HostListItem& x, const HostListItem& y) {
    return natural_less(lower(x.name), lower(y.name));
  });
}

std::string go_duration(std::chrono::nanoseconds d) {
  long long n = d.count();
  if (n == 0) return "0s";
  std::string sign = n < 0 ? "-" : "";
  uint64_t u = n < 0 ? static_cast<uint64_t>(-n) : static_cast<uint64_t>(n);
  if (u < 1000) return sign + fmt::format("{}ns", u);
  if (u < 1000000) return sign + fixed(u, 3) + "µs";
  if (u < 1000000000) return sign + fixed(u, 6) + "ms";
  uint64_t total_s = u / 1000000000, frac_ns = u % 1000000000;
  uint64_t h = total_s / 3600, m = (total_s / 60) % 60, s = total_s % 60;
  std::string secs = fixed(s * 1000000000 + frac_ns, 9) + "s";
  if (h > 0) return sign + fmt::format("{}h{}m", h, m) + secs;
  if (m > 0) return sign + fmt::format("{}m", m) + secs;
  return sign + secs;
}

nlohmann::json to_template_data(const HostListItem& item) {
  auto swarm_json = [](const SwarmOptions& s) {
    return nlohmann::json{{"IsSwarm", s.is_swarm},
                          {"Address", s.address},
                          {"Discovery", s.discovery},
                          {"Agent", s.agent},
                          {"Master", s.master},
                          {"Host", s.host},
                          {"Image", s.image},
                          {"Strategy", s.strategy},
                          {"Heartbeat", s.heartbeat},
                          {"Overcommit", s.overcommit},
                          {"ArbitraryFlags", s.arbitrary_flags},
                          {"ArbitraryJoinFlags", s.arbitrary_join_flags},
                          {"Env", s.env},
                          {"IsExperimental", s.is_experimental}};
  };
  auto engine_json = [](const EngineOptions& e) {
    return nlohmann::json{{"ArbitraryFlags", e.arbitrary_flags},
                          {"Dns", e.dns},
                          {"GraphDir", e.graph_dir},
                          {"Env", e.env},
                          {"Ipv6", e.ipv6},
                          {"InsecureRegistry", e.insecure_registry},
                          {"Labels", e.labels},
                          {"LogLevel", e.log_level},
                          {"StorageDriver", e.storage_driver},
                          {"SelinuxEnabled", e.selinux_enabled},
                          {"TlsVerify", e.tls_verify},
                          {"RegistryMirror", e.registry_mirror},
                          {"InstallURL", e.install_url}};
  };
  return {{"Name", item.name},
          {"Active", item.active},
          {"ActiveHost", item.active_host},
          {"ActiveSwarm", item.active_swarm},
          {"DriverName", item.driver_name},
          {"State", std::string(state_name(item.state))},
          {"URL", item.url},
          {"SwarmOptions", item.swarm_options ? swarm_json(*item.swarm_options) : nlohmann::json()},
          {"Swarm", item.swarm},
          {"EngineOptions", item.engine_options ? engine_json(*item.engine_options) : nlohmann::json()},
          {"Error", item.error},
          {"DockerVersion", item.docker_version},
          {"ResponseTime", go_duration(item.response_time)}};
}

std::string render_host_list(const std::vector<HostListItem>& items, const std::string& format) {
  if (format == "json") {  // one object per line, as the docker CLI's --format json
    std::string out;
    for (const auto& item : items) out += to_template_data(item).dump() + "\n";
    return out;
  }
  std::string f = format.empty() ? kLsDefaultFormat : format;
  bool table = f.rfind("table", 0) == 0;
  if (table) f = f.substr(5);
  auto b = f.find_first_not_of(' ');
  f = b == std::string::npos ? "" : f.substr(b, f.find_last_not_of(' ') - b + 1);
  // docker-machine formats a struct here: an unknown field is an error, not "<no value>".
  Template t = Template::parse(expand_escapes(f) + "\n", {.unknown_field_is_error = true});
  std::string out;
  if (table) {
    nlohmann::json headers{{"Name", "NAME"},
                           {"Active", "ACTIVE"},
                           {"ActiveHost", "ACTIVE_HOST"},
                           {"ActiveSwarm", "ACTIVE_SWARM"},
                           {"DriverName", "DRIVER"},
                           {"State", "STATE"},
                           {"URL", "URL"},
                           {"SwarmOptions", "SWARM_OPTIONS"},
                           {"Swarm", "SWARM"},
                           {"EngineOptions", "ENGINE_OPTIONS"},
                           {"Error", "ERRORS"},
                           {"DockerVersion", "DOCKER"},
                           {"ResponseTime", "RESPONSE"}};
    out += t.execute(headers);
  }
  for (const auto& item : items) out += t.execute(to_template_data(item));
  return table ? tabwrite(out, {5, 1, 3, ' '}) : out;
}

}  // namespace machine::cli
