#pragma once
// What the VirtualBox driver reads while a guest boots: an SSH banner on the NAT forward,
// and the guest console VirtualBox writes to serial.log (guest/recipe/boot.sh contract:
// "machine-hostkey: <type> <base64>" lines).
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace machine::drivers::virtualbox {

// True when 127.0.0.1:port accepts and sends "SSH-" within `timeout`. VirtualBox's NAT
// accepts before the guest listens, so only the banner counts.
bool ssh_banner_ready(int port, std::chrono::milliseconds timeout);

// The last `lines` non-empty lines of the console log, control characters dropped.
std::string console_tail(const std::filesystem::path& log, size_t lines);

// True when the console log holds `marker` on a line of its own (CR tolerated), e.g.
// "machine-boot-done": sshd and dockerd are up.
bool console_has_line(const std::filesystem::path& log, std::string_view marker);

// "ssh-ed25519 AAAA..." for every machine-hostkey line of the console log, deduplicated.
std::vector<std::string> console_host_keys(const std::filesystem::path& log);

}  // namespace machine::drivers::virtualbox
