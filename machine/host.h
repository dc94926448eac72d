#pragma once
// The host model, persisted as config.json in docker-machine's schema (ConfigVersion 3),
// so tools that read docker-machine's store keep working. Driver-specific fields live in
// `driver` (a JSON object owned by the driver); our extra fields go there too.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace machine {

struct EngineOptions {
  std::vector<std::string> arbitrary_flags;  // --engine-opt
  std::vector<std::string> dns;
  std::string graph_dir;
  std::vector<std::string> env;  // --engine-env
  bool ipv6 = false;
  std::vector<std::string> insecure_registry;
  std::vector<std::string> labels;
  std::string log_level;
  std::string storage_driver;
  bool selinux_enabled = false;
  bool tls_verify = true;
  std::vector<std::string> registry_mirror;
  std::string install_url = "https://get.docker.com";
};

struct SwarmOptions {
  bool is_swarm = false;
  std::string address;
  std::string discovery;
  bool agent = false;
  bool master = false;
  std::string host = "tcp://0.0.0.0:3376";
  std::string image = "swarm:latest";
  std::string strategy = "spread";
  int heartbeat = 0;
  int overcommit = 0;
  std::vector<std::string> arbitrary_flags;
  std::vector<std::string> arbitrary_join_flags;
  std::vector<std::string> env;
  bool is_experimental = false;
};

struct AuthOptions {
  std::string cert_dir;
  std::string ca_cert_path;
  std::string ca_private_key_path;
  std::string ca_cert_remote_path;
  std::string server_cert_path;
  std::string server_key_path;
  std::string client_key_path;
  std::string server_cert_remote_path;
  std::string server_key_remote_path;
  std::string client_cert_path;
  std::vector<std::string> server_cert_sans;  // --tls-san
  std::string store_path;                     // the machine dir
};

// A host directory shared into the machine (`create --mount`); validated by
// drivers/common/mounts before it is stored.
struct Mount {
  std::string host_dir;   // absolute path on the host
  std::string guest_dir;  // absolute path in the machine (defaults to host_dir)
  bool read_only = false;
};

struct HostOptions {
  std::string driver;
  int memory = 0;
  int disk = 0;
  EngineOptions engine;
  SwarmOptions swarm;
  AuthOptions auth;
  std::vector<Mount> mounts;  // ours ("Mounts"); docker-machine ignores unknown fields
  std::string mount_type;     // "virtiofs" or "sshfs" (chosen at create); "" = no mounts
};

struct Host {
  int config_version = 3;
  std::string name;
  std::string driver_name;
  nlohmann::json driver = nlohmann::json::object();
  HostOptions options;
};

// Keys in docker-machine's order (its Go struct order), not alphabetical, so config.json and
// `inspect` read like docker-machine's. The driver's own object keeps the driver's order.
nlohmann::ordered_json to_json(const Host& h);
// A mount list as JSON ([{"HostDir","GuestDir","ReadOnly"}]) and back; null reads as empty.
nlohmann::json mounts_to_json(const std::vector<Mount>& mounts);
std::vector<Mount> mounts_from_json(const nlohmann::json& j);
// Throws Error(InvalidArgument) naming the bad field when `j` is not a host config.
Host host_from_json(const nlohmann::json& j);

// docker-machine's name rule (^[a-zA-Z0-9][a-zA-Z0-9\-\.]*$) plus a length limit: a
// machine name is one DNS label, so it is also a safe single path component (no "/", "..",
// ".", empty or control characters can pass).
inline constexpr size_t kMaxMachineNameLength = 63;
bool valid_machine_name(const std::string& name);
// Why `name` breaks the rule ("starts with '.'", ...), or "" when it is valid.
std::string machine_name_problem(const std::string& name);
// docker-machine's ErrInvalidHostname text.
inline constexpr std::string_view kInvalidHostnameMessage =
    "Invalid hostname specified. Allowed hostname chars are: 0-9a-zA-Z . -";
// kInvalidHostnameMessage followed by the name (printable, quoted) and what is wrong with it.
std::string invalid_machine_name_message(const std::string& name);
// Throws Error(InvalidArgument, invalid_machine_name_message(name)) unless valid.
void require_valid_machine_name(const std::string& name);

}  // namespace machine
