#pragma once
// Fields every driver persists, with docker-machine's BaseDriver JSON names, and the
// shared helpers drivers use instead of repeating them.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "drivers/driver.h"

namespace machine::drivers {

struct BaseConfig {
  std::string ip_address;  // IPAddress
  std::string machine_name;
  std::string ssh_user;
  int ssh_port = 22;
  std::string ssh_key_path;
  std::string store_path;

  // Writes the base fields into `j` (an object that may hold driver-specific fields).
  void write(nlohmann::json& j) const;
  // Reads the base fields from `j`; absent fields keep their defaults.
  void read(const nlohmann::json& j);
};

// "tcp://host:port", bracketing IPv6 literals.
std::string tcp_url(const std::string& host, int port);

// Host part of a URL like tcp://1.2.3.4:2376 (brackets removed); "" when it has none.
std::string url_host(const std::string& url);

// Throws Error(InvalidArgument) "invalid value "<value>" for flag --<flag>: <why>" unless `ok`.
void require_flag(bool ok, std::string_view flag, const std::string& value, std::string_view why);

// Reads a typed field of a driver's JSON, keeping `out` when absent or null.
template <typename T>
void read_field(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = it->get<T>();
}

}  // namespace machine::drivers
