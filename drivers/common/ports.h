#pragma once
// Free TCP ports on 127.0.0.1 for host port forwards (SSH, engine). Shared by the
// QEMU-based drivers, so nothing here knows about one driver.
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

}  // namespace machine::drivers
