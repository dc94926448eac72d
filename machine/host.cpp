#include "machine/host.h"

#include <fmt/format.h>

#include <cctype>

#include "machine/error.h"

namespace machine {
namespace {
using nlohmann::json;
using ojson = nlohmann::ordered_json;

ojson engine_json(const EngineOptions& e) {
  return {{"ArbitraryFlags", e.arbitrary_flags},
          {"Dns", e.dns.empty() ? ojson(nullptr) : ojson(e.dns)},
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
}

ojson swarm_json(const SwarmOptions& s) {
  return {{"IsSwarm", s.is_swarm},
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
          {"Env", s.env.empty() ? ojson(nullptr) : ojson(s.env)},
          {"IsExperimental", s.is_experimental}};
}

ojson auth_json(const AuthOptions& a) {
  return {{"CertDir", a.cert_dir},
          {"CaCertPath", a.ca_cert_path},
          {"CaPrivateKeyPath", a.ca_private_key_path},
          {"CaCertRemotePath", a.ca_cert_remote_path},
          {"ServerCertPath", a.server_cert_path},
          {"ServerKeyPath", a.server_key_path},
          {"ClientKeyPath", a.client_key_path},
          {"ServerCertRemotePath", a.server_cert_remote_path},
          {"ServerKeyRemotePath", a.server_key_remote_path},
          {"ClientCertPath", a.client_cert_path},
          {"ServerCertSANs", a.server_cert_sans},
          {"StorePath", a.store_path}};
}

// Reads an optional field; null and absent both leave the default.
template <typename T>
void get(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  try {
    out = it->get<T>();
  } catch (const json::exception&) {
    fail(Code::InvalidArgument, std::string("field ") + key + " has the wrong type");
  }
}

const json& object(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return empty;
  if (!it->is_object()) fail(Code::InvalidArgument, std::string("field ") + key + " is not an object");
  return *it;
}
}  // namespace

ojson to_json(const Host& h) {
  const auto& o = h.options;
  return {{"ConfigVersion", h.config_version},
          {"Driver", ojson(h.driver)},
          {"DriverName", h.driver_name},
          {"HostOptions",
           {{"Driver", o.driver},
            {"Memory", o.memory},
            {"Disk", o.disk},
            {"EngineOptions", engine_json(o.engine)},
            {"SwarmOptions", swarm_json(o.swarm)},
            {"AuthOptions", auth_json(o.auth)},
            {"Mounts", ojson(mounts_to_json(o.mounts))},
            {"MountType", o.mount_type}}},
          {"Name", h.name}};
}

Host host_from_json(const json& j) {
  if (!j.is_object()) fail(Code::InvalidArgument, "config is not a JSON object");
  Host h;
  get(j, "ConfigVersion", h.config_version);
  get(j, "Name", h.name);
  get(j, "DriverName", h.driver_name);
  if (h.name.empty()) fail(Code::InvalidArgument, "field Name is missing");
  if (h.driver_name.empty()) fail(Code::InvalidArgument, "field DriverName is missing");
  h.driver = object(j, "Driver");
  const json& ho = object(j, "HostOptions");
  auto& o = h.options;
  get(ho, "Driver", o.driver);
  get(ho, "Memory", o.memory);
  get(ho, "Disk", o.disk);
  const json& e = object(ho, "EngineOptions");
  get(e, "ArbitraryFlags", o.engine.arbitrary_flags);
  get(e, "Dns", o.engine.dns);
  get(e, "GraphDir", o.engine.graph_dir);
  get(e, "Env", o.engine.env);
  get(e, "Ipv6", o.engine.ipv6);
  get(e, "InsecureRegistry", o.engine.insecure_registry);
  get(e, "Labels", o.engine.labels);
  get(e, "LogLevel", o.engine.log_level);
  get(e, "StorageDriver", o.engine.storage_driver);
  get(e, "SelinuxEnabled", o.engine.selinux_enabled);
  get(e, "TlsVerify", o.engine.tls_verify);
  get(e, "RegistryMirror", o.engine.registry_mirror);
  get(e, "InstallURL", o.engine.install_url);
  const json& s = object(ho, "SwarmOptions");
  get(s, "IsSwarm", o.swarm.is_swarm);
  get(s, "Address", o.swarm.address);
  get(s, "Discovery", o.swarm.discovery);
  get(s, "Agent", o.swarm.agent);
  get(s, "Master", o.swarm.master);
  get(s, "Host", o.swarm.host);
  get(s, "Image", o.swarm.image);
  get(s, "Strategy", o.swarm.strategy);
  get(s, "Heartbeat", o.swarm.heartbeat);
  get(s, "Overcommit", o.swarm.overcommit);
  get(s, "ArbitraryFlags", o.swarm.arbitrary_flags);
  get(s, "ArbitraryJoinFlags", o.swarm.arbitrary_join_flags);
  get(s, "Env", o.swarm.env);
  get(s, "IsExperimental", o.swarm.is_experimental);
  const json& a = object(ho, "AuthOptions");
  get(a, "CertDir", o.auth.cert_dir);
  get(a, "CaCertPath", o.auth.ca_cert_path);
  get(a, "CaPrivateKeyPath", o.auth.ca_private_key_path);
  get(a, "CaCertRemotePath", o.auth.ca_cert_remote_path);
  get(a, "ServerCertPath", o.auth.server_cert_path);
  get(a, "ServerKeyPath", o.auth.server_key_path);
  get(a, "ClientKeyPath", o.auth.client_key_path);
  get(a, "ServerCertRemotePath", o.auth.server_cert_remote_path);
  get(a, "ServerKeyRemotePath", o.auth.server_key_remote_path);
  get(a, "ClientCertPath", o.auth.client_cert_path);
  get(a, "ServerCertSANs", o.auth.server_cert_sans);
  get(a, "StorePath", o.auth.store_path);
  get(ho, "MountType", o.mount_type);
  if (auto it = ho.find("Mounts"); it != ho.end()) o.mounts = mounts_from_json(*it);
  return h;
}

std::string machine_name_problem(const std::string& name) {
  if (name.empty()) return "it is empty";
  if (name.size() > kMaxMachineNameLength)
    return fmt::format("it has {} characters, at most {} are allowed", name.size(), kMaxMachineNameLength);
  if (name[0] == '.' || name[0] == '-') return fmt::format("it starts with '{}'", name[0]);
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '.' || c == '-') continue;
    if (c == '/') return "it contains '/'";
    if (std::isprint(c)) return fmt::format("it contains '{}'", static_cast<char>(c));
    return fmt::format("it contains the byte 0x{:02x}", c);
  }
  return "";
}

bool valid_machine_name(const std::string& name) { return machine_name_problem(name).empty(); }

std::string invalid_machine_name_message(const std::string& name) {
  // Shown to the user: never echo control characters or an unbounded name.
  std::string shown;
  for (unsigned char c : name.substr(0, kMaxMachineNameLength + 1)) {
    if (c == '"' || c == '\\') shown += '\\';
    if (std::isprint(c))
      shown += static_cast<char>(c);
    else
      shown += fmt::format("\\x{:02x}", c);
  }
  if (name.size() > kMaxMachineNameLength + 1) shown += "...";
  return fmt::format("{} (machine name \"{}\": {})", kInvalidHostnameMessage, shown,
                     machine_name_problem(name));
}

void require_valid_machine_name(const std::string& name) {
  if (!valid_machine_name(name)) fail(Code::InvalidArgument, invalid_machine_name_message(name));
}

json mounts_to_json(const std::vector<Mount>& mounts) {
  json a = json::array();
  for (const auto& m : mounts)
    a.push_back({{"HostDir", m.host_dir}, {"GuestDir", m.guest_dir}, {"ReadOnly", m.read_only}});
  return a;
}

std::vector<Mount> mounts_from_json(const json& j) {
  std::vector<Mount> out;
  if (j.is_null()) return out;
  if (!j.is_array()) fail(Code::InvalidArgument, "field Mounts is not an array");
  for (const auto& mj : j) {
    if (!mj.is_object()) fail(Code::InvalidArgument, "field Mounts holds a non-object");
    Mount m;
    get(mj, "HostDir", m.host_dir);
    get(mj, "GuestDir", m.guest_dir);
    get(mj, "ReadOnly", m.read_only);
    out.push_back(m);
  }
  return out;
}

}  // namespace machine
