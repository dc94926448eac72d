#pragma once
// The guest's serial console contract (guest/recipe/boot.sh), read from serial.log:
//   machine-hostkey: <type> <base64>   one per SSH host key
//   machine-boot-done                  sshd and dockerd are ready
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace machine::drivers::common {

inline constexpr std::string_view kBootDoneMarker = "machine-boot-done";

// "ssh-ed25519 AAAA..." for every host key line, in order, without duplicates. Keys of a
// cloud-init block count only once the block's END line is there.
std::vector<std::string> parse_host_keys(const std::string& console);

// Stock cloud images answer SSH before cloud-init prints its host-key block (its final
// stage), so readiness on the banner alone races the keys the machine pins. After the
// banner, a driver waits for the keys: Ready once they are complete (at once for the
// machine OS, which prints them before its boot-done marker), GiveUp after `bound` has
// passed since SSH answered (pinning then fails with its own message), else Wait.
enum class HostKeyWait { Ready, Wait, GiveUp };
inline constexpr std::chrono::seconds kHostKeyWaitBound{120};
HostKeyWait host_key_wait(const std::string& console, bool machine_os, std::chrono::milliseconds since_ssh,
                          std::chrono::milliseconds bound = kHostKeyWaitBound);

// True when a line of `console` is exactly the boot-done marker (CR tolerated).
bool boot_done(const std::string& console);

// The last `n` non-empty lines of `text`, joined with '\n', control characters dropped.
std::string last_lines(const std::string& text, size_t n);

// Up to the last `max_bytes` of a file; "" when it cannot be read.
std::string read_file_tail(const std::filesystem::path& path, size_t max_bytes = 64 * 1024);

// How much of a console log the drivers read back: the markers and host keys of one boot
// fit many times over.
inline constexpr size_t kConsoleBytes = 1 << 20;

}  // namespace machine::drivers::common
