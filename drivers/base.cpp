#include "drivers/base.h"

#include <fmt/format.h>

#include "machine/error.h"

namespace machine::drivers {

void BaseConfig::write(nlohmann::json& j) const {
  j["IPAddress"] = ip_address;
  j["MachineName"] = machine_name;
  j["SSHUser"] = ssh_user;
  j["SSHPort"] = ssh_port;
  j["SSHKeyPath"] = ssh_key_path;
  j["StorePath"] = store_path;
  j["SwarmMaster"] = false;
  j["SwarmHost"] = "";
  j["SwarmDiscovery"] = "";
}

void BaseConfig::read(const nlohmann::json& j) {
  read_field(j, "IPAddress", ip_address);
  read_field(j, "MachineName", machine_name);
  read_field(j, "SSHUser", ssh_user);
  read_field(j, "SSHPort", ssh_port);
  read_field(j, "SSHKeyPath", ssh_key_path);
  read_field(j, "StorePath", store_path);
}

std::string tcp_url(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string url_host(const std::string& url) {
  auto start = url.find("://");
  std::string rest = start == std::string::npos ? url : url.substr(start + 3);
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    return close == std::string::npos ? "" : rest.substr(1, close - 1);
  }
  return rest.substr(0, rest.rfind(':') == std::string::npos ? rest.size() : rest.rfind(':'));
}

void require_flag(bool ok, std::string_view flag, const std::string& value, std::string_view why) {
  if (!ok)
    fail(Code::InvalidArgument, fmt::format("invalid value \"{}\" for flag --{}: {}", value, flag, why));
}

}  // namespace machine::drivers
