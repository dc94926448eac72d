#include "provisioner/engine/published_ports.h"

#include <fmt/format.h>

namespace machine::engine {
namespace {

bool guest_loopback(const std::string& ip) { return ip.rfind("127.", 0) == 0 || ip == "::1"; }

std::optional<drivers::Proto> proto_of(const nlohmann::json& j, const char* key) {
  auto p = j.value(key, std::string("tcp"));
  if (p == "tcp") return drivers::Proto::Tcp;
  if (p == "udp") return drivers::Proto::Udp;
  return std::nullopt;  // sctp: QEMU's slirp cannot forward it
}

int int_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace

std::set<drivers::PublishedPort> container_published_ports(const nlohmann::json& containers) {
  std::set<drivers::PublishedPort> out;
  if (!containers.is_array()) return out;
  for (const auto& c : containers) {
    auto ports = c.find("Ports");
    if (ports == c.end() || !ports->is_array()) continue;
    for (const auto& p : *ports) {
      int pub = int_field(p, "PublicPort");
      auto proto = proto_of(p, "Type");
      if (pub <= 0 || !proto || guest_loopback(p.value("IP", std::string()))) continue;
      out.insert({*proto, pub});
    }
  }
  return out;
}

std::set<drivers::PublishedPort> service_published_ports(const nlohmann::json& services) {
  std::set<drivers::PublishedPort> out;
  if (!services.is_array()) return out;
  for (const auto& s : services) {
    // Endpoint.Ports holds what swarm assigned (a spec may leave PublishedPort to it).
    const nlohmann::json* ports = nullptr;
    if (s.contains("Endpoint") && s["Endpoint"].is_object() && s["Endpoint"].contains("Ports"))
      ports = &s["Endpoint"]["Ports"];
    else if (s.contains("Spec") && s["Spec"].contains("EndpointSpec") &&
             s["Spec"]["EndpointSpec"].contains("Ports"))
      ports = &s["Spec"]["EndpointSpec"]["Ports"];
    if (!ports || !ports->is_array()) continue;
    for (const auto& p : *ports) {
      int pub = int_field(p, "PublishedPort");
      auto proto = proto_of(p, "Protocol");
      if (pub <= 0 || !proto || p.value("PublishMode", std::string("ingress")) != "ingress") continue;
      out.insert({*proto, pub});
    }
  }
  return out;
}

std::string port_events_path() {
  nlohmann::json filters{{"type", {"container", "service"}},
                         {"event", {"start", "die", "stop", "destroy", "create", "update", "remove"}}};
  return "/events?filters=" + url_encode(filters.dump());
}

}  // namespace machine::engine
