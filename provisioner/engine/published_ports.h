#pragma once
// Which ports the engine publishes, from its API's JSON: containers' port bindings
// (GET /containers/json) and swarm services' routing-mesh ports (GET /services). Pure, so
// every shape the engine answers with is unit tested.
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "drivers/common/forward_reconciler.h"

namespace machine::engine {

// Ports of running containers that are bound on every guest address (IP 0.0.0.0, :: or
// none). Bindings to a guest loopback address stay inside the guest, and ports that are
// only exposed (no PublicPort) are not published.
std::set<drivers::PublishedPort> container_published_ports(const nlohmann::json& containers);

// Published ports of swarm services in ingress mode (the routing mesh answers on every
// node). Host-mode ports are containers' bindings and come from the container list.
std::set<drivers::PublishedPort> service_published_ports(const nlohmann::json& services);

// The /events query the forwarder follows: container start/die/stop/destroy, service
// create/update/remove (container create comes along; it only costs a listing).
std::string port_events_path();

}  // namespace machine::engine
