#pragma once
// Free TCP ports on 127.0.0.1 for host port forwards (SSH, engine). Shared by the
// QEMU-based drivers, so nothing here knows about one driver.
#include <array>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace machine::drivers {

// True when a listener could bind 127.0.0.1:port right now.
bool loopback_port_free(int port);

// The "Driver" object of every other machine's config.json in the store, skipping machine
// `except`. Broken configs are skipped (they are reported elsewhere).
std::vector<nlohmann::json> other_machines_driver_configs(const std::filesystem::path& store_root,
                                                          std::string_view except);

// Ports other machines of the store have recorded in their config.json: the integer
// values of `fields` in each Driver object, skipping machine `except`. Broken configs
// are skipped (they are reported elsewhere).
std::set<int> ports_used_by_machines(const std::filesystem::path& store_root,
                                     const std::vector<std::string>& fields, std::string_view except);

// Picks `n` distinct ports from `candidate()` that are not in `exclude`, pass `is_free`,
// and were not handed out before by this process. Throws Error(Unavailable) after too
// many rejected candidates. The seams make collisions testable.
std::vector<int> pick_ports(size_t n, const std::set<int>& exclude, const std::function<int()>& candidate,
                            const std::function<bool(int)>& is_free);

// pick_ports with kernel-chosen ephemeral ports on 127.0.0.1 and loopback_port_free.
std::vector<int> pick_free_loopback_ports(size_t n, const std::set<int>& exclude = {});

// The host ports of machine `self`'s SSH and engine forwards, {ssh, engine}: free on
// 127.0.0.1 and recorded by no other machine of the store (SSHPort, EnginePort). Create
// calls it from prepare(), under the store's "addresses" lock.
std::array<int, 2> pick_forward_ports(const std::filesystem::path& store_root, std::string_view self);

// `ports` ({ssh, engine}) with each one another program took since the machine last ran
// replaced by a free port no other machine recorded; a port still free, or unset (<= 0),
// is kept. Takes the store's "addresses" lock only when something moves, as prepare()
// runs under it. The driver moves its forwards to what changed and says so.
std::array<int, 2> replace_taken_forward_ports(const std::filesystem::path& store_root, std::string_view self,
                                               std::array<int, 2> ports);

}  // namespace machine::drivers
