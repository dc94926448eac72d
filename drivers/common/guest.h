#pragma once
// What every VM driver's guest (the machine OS, or a cloud image given the NoCloud seed)
// looks like from the host: the user the seed creates and the port its dockerd serves TLS on.
#include <string_view>

namespace machine::drivers::common {

// The guest user the seed creates and SSH logs in as.
inline constexpr std::string_view kGuestUser = "docker";
// The port dockerd listens on with TLS inside the guest; drivers forward a host port to it.
inline constexpr int kGuestEnginePort = 2376;

}  // namespace machine::drivers::common
