#include "provisioner/engine_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "machine/error.h"
#include "provisioner/ssh/ssh.h"

namespace machine::provision {
namespace {

struct EngineOpt {
  std::string name;                  // without dashes: "log-driver", "H"
  std::optional<std::string> value;  // absent for boolean switches ("--debug")
};

// docker-machine renders --engine-opt X as "--X"; "name=value" and "name value" both occur.
EngineOpt parse_engine_opt(std::string_view raw) {
  auto s = raw;
  while (!s.empty() && s.front() == '-') s.remove_prefix(1);
  auto end = s.find_first_of("= \t");
  EngineOpt opt{std::string(s.substr(0, end)), std::nullopt};
  if (opt.name.empty()) fail(Code::InvalidArgument, fmt::format("invalid --engine-opt \"{}\"", raw));
  if (end != std::string_view::npos) {
    auto v = s.substr(end + 1);
    if (s[end] != '=')
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
    opt.value = std::string(v);
  }
  return opt;
}

std::string render_flag(const EngineOpt& o) {
  std::string f = (o.name.size() == 1 ? "-" : "--") + o.name;
  if (o.value) f += "=" + *o.value;
  return f;
}

bool parse_bool(const EngineOpt& o) {
  if (!o.value || *o.value == "true" || *o.value == "1") return true;
  if (*o.value == "false" || *o.value == "0") return false;
  fail(Code::InvalidArgument,
       fmt::format("invalid --engine-opt {}: \"{}\" is not true or false", o.name, *o.value));
}

std::string required_value(const EngineOpt& o) {
  if (!o.value || o.value->empty())
    fail(Code::InvalidArgument, fmt::format("invalid --engine-opt {}: a value is required", o.name));
  return *o.value;
}

bool valid_env_name(std::string_view n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n.front()))) return false;
  return std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

void append_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

}  // namespace

EngineConfig engine_config(const EngineOptions& opts, const TlsRemotePaths& paths, int port) {
  if (port < 1 || port > 65535) fail(Code::InvalidArgument, fmt::format("invalid engine port {}", port));
  std::vector<std::string> hosts{fmt::format("tcp://0.0.0.0:{}", port), std::string(kDockerSocketUrl)};
  auto labels = opts.labels;
  auto insecure = opts.insecure_registry;
  auto mirrors = opts.registry_mirror;
  auto dns = opts.dns;
  auto storage_driver = opts.storage_driver;
  auto data_root = opts.graph_dir;
  auto log_level = opts.log_level;
  bool ipv6 = opts.ipv6;
  bool selinux = opts.selinux_enabled;

  EngineConfig config;
  for (const auto& raw : opts.arbitrary_flags) {
    auto o = parse_engine_opt(raw);
    const auto& n = o.name;
    if (n == "tls" || n == "tlsverify" || n == "tlscacert" || n == "tlscert" || n == "tlskey")
      fail(Code::InvalidArgument,
           fmt::format(
               "--engine-opt {} is not allowed: machine always configures the engine with verified TLS", n));
    if (n == "config-file")
      fail(Code::InvalidArgument,
           "--engine-opt config-file is not allowed: machine writes /etc/docker/daemon.json");
    if (n == "label")
      labels.push_back(required_value(o));
    else if (n == "insecure-registry")
      insecure.push_back(required_value(o));
    else if (n == "registry-mirror")
      mirrors.push_back(required_value(o));
    else if (n == "dns")
      dns.push_back(required_value(o));
    else if (n == "H" || n == "host")
      append_unique(hosts, required_value(o));
    else if (n == "s" || n == "storage-driver")
      storage_driver = required_value(o);
    else if (n == "g" || n == "graph" || n == "data-root")
      data_root = required_value(o);
    else if (n == "l" || n == "log-level")
      log_level = required_value(o);
    else if (n == "ipv6")
      ipv6 = parse_bool(o);
    else if (n == "selinux-enabled")
      selinux = parse_bool(o);
    else
      config.flags.push_back(render_flag(o));
  }
  for (const auto& e : opts.env) {
    auto eq = e.find('=');
    auto name = e.substr(0, eq);
    if (eq == std::string::npos || !valid_env_name(name) || e.find('\n') != std::string::npos)
      fail(Code::InvalidArgument, fmt::format("invalid --engine-env \"{}\": expected NAME=VALUE", e));
    config.env.emplace_back(name, e.substr(eq + 1));
  }

  auto& d = config.daemon;
  d = nlohmann::json::object();
  d["hosts"] = hosts;
  d["tls"] = true;
  d["tlsverify"] = true;
  d["tlscacert"] = paths.ca_cert;
  d["tlscert"] = paths.server_cert;
  d["tlskey"] = paths.server_key;
  if (!labels.empty()) d["labels"] = labels;
  if (!insecure.empty()) d["insecure-registries"] = insecure;
  if (!mirrors.empty()) d["registry-mirrors"] = mirrors;
  if (!dns.empty()) d["dns"] = dns;
  if (!storage_driver.empty()) d["storage-driver"] = storage_driver;
  if (!data_root.empty()) d["data-root"] = data_root;
  if (!log_level.empty()) d["log-level"] = log_level;
  if (ipv6) d["ipv6"] = true;
  if (selinux) d["selinux-enabled"] = true;
  return config;
}

std::string daemon_json(const EngineConfig& config) { return config.daemon.dump(2) + "\n"; }

std::string daemon_json(const EngineOptions& opts, const TlsRemotePaths& paths, int port) {
  return daemon_json(engine_config(opts, paths, port));
}

namespace {

// Splits a command line into words the way systemd does, keeping each word's text verbatim.
std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!quote && std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) out.push_back(cur), cur.clear(), in_word = false;
      continue;
    }
    in_word = true;
    cur += c;
    if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
    } else if (quote && c == quote) {
      quote = 0;
    } else if (!quote && (c == '"' || c == '\'')) {
      quote = c;
    }
  }
  if (in_word) out.push_back(cur);
  return out;
}

// Options daemon.json sets: given on the command line too, dockerd refuses to start.
bool is_host_option(std::string_view w) {
  return w.rfind("--host=", 0) == 0 || (w.size() > 2 && w[0] == '-' && w[1] == 'H');
}
bool takes_separate_value(std::string_view w) {
  return w == "-H" || w == "--host" || w == "--tlscacert" || w == "--tlscert" || w == "--tlskey";
}
bool is_tls_option(std::string_view w) {
  return w == "--tls" || w == "--tlsverify" || w.rfind("--tls=", 0) == 0 || w.rfind("--tlsverify=", 0) == 0 ||
         w.rfind("--tlscacert=", 0) == 0 || w.rfind("--tlscert=", 0) == 0 || w.rfind("--tlskey=", 0) == 0;
}

}  // namespace

std::vector<std::string> distro_exec_start(std::string_view unit_text) {
  std::string section, exec_start, pending;
  auto handle = [&](std::string_view line) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    if (line.empty() || line.front() == '#' || line.front() == ';') return;
    if (line.front() == '[') {
      section = std::string(line.substr(0, line.find(']') + 1));
      return;
    }
    if (section != "[Service]" || line.rfind("ExecStart", 0) != 0) return;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) return;
    auto key = line.substr(0, eq);
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.remove_suffix(1);
    if (key == "ExecStart") exec_start = std::string(line.substr(eq + 1));
  };
  while (!unit_text.empty()) {
    auto nl = unit_text.find('\n');
    std::string_view line = unit_text.substr(0, nl);
    unit_text = nl == std::string_view::npos ? std::string_view() : unit_text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\\') {  // continuation: joined with a space
      pending.append(line.substr(0, line.size() - 1)).append(" ");
      continue;
    }
    pending.append(line);
    handle(pending);
    pending.clear();
  }
  if (!pending.empty()) handle(pending);

  auto words = split_words(exec_start);
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (takes_separate_value(words[i])) {
      ++i;  // and its value
      continue;
    }
    if (is_host_option(words[i]) || is_tls_option(words[i])) continue;
    kept.push_back(words[i]);
  }
  return kept;
}

std::string systemd_quote(std::string_view word) {
  std::string escaped;
  bool needs_quotes = word.empty();
  for (char c : word) {
    if (c == '%')
      escaped += "%%";
    else if (c == '$')
      escaped += "$$";
    else if (c == '"' || c == '\\')
      escaped += '\\', escaped += c;
    else
      escaped += c;
    if (std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '\\' || c == ';')
      needs_quotes = true;
  }
  return needs_quotes ? "\"" + escaped + "\"" : escaped;
}

namespace {

std::string systemd_env_line(const std::string& name, const std::string& value) {
  std::string v;
  for (char c : name + "=" + value) {
    if (c == '%')
      v += "%%";
    else if (c == '"' || c == '\\')
      v += '\\', v += c;
    else
      v += c;
  }
  return "Environment=\"" + v + "\"\n";
}

std::string shell_defaults(std::string_view header, const EngineConfig& config) {
  std::string words;
  for (const auto& f : config.flags) words += (words.empty() ? "" : " ") + ssh::shell_quote(f);
  std::string out(header);
  out += "DOCKER_OPTS=" + ssh::shell_quote(words) + "\n";
  for (const auto& [name, value] : config.env) out += "export " + name + "=" + ssh::shell_quote(value) + "\n";
  return out;
}

}  // namespace

std::string systemd_dropin(const EngineConfig& config, std::string_view unit_text,
                           std::string_view fallback_dockerd) {
  auto command = distro_exec_start(unit_text);
  if (command.empty()) command.push_back(systemd_quote(fallback_dockerd));
  for (const auto& f : config.flags) command.push_back(systemd_quote(f));
  std::string out =
      "# Written by machine: dockerd reads its settings from /etc/docker/daemon.json. ExecStart is\n"
      "# the packaged one without -H, which would conflict with \"hosts\" there.\n"
      "[Service]\n";
  for (const auto& [name, value] : config.env) out += systemd_env_line(name, value);
  out += "ExecStart=\nExecStart=";
  for (std::size_t i = 0; i < command.size(); ++i) out += (i ? " " : "") + command[i];
  return out + "\n";
}

std::string openrc_confd(const EngineConfig& config) {
  return shell_defaults(
      "# Written by machine: dockerd reads its settings from /etc/docker/daemon.json;\n"
      "# these are the flags and environment it cannot express.\n",
      config);
}

std::string machineos_defaults(const EngineConfig& config) {
  return shell_defaults(
      "# Written by machine, sourced by /usr/sbin/machine-docker: dockerd reads its settings from\n"
      "# /etc/docker/daemon.json; these are the flags and environment it cannot express.\n",
      config);
}

}  // namespace machine::provision
