#pragma once
// Waiting for a booting guest, the same way for every VM driver: the SSH banner on its
// forwarded port and, for the machine OS, the boot-done marker on its serial console
// (drivers/common/console.h). One loop, one poll interval, Ctrl-C checked on every poll.
#include <chrono>
#include <functional>
#include <string>

#include "machine/progress.h"

namespace machine::drivers::common {

// True when 127.0.0.1:port accepts a connection and sends an SSH banner ("SSH-...")
// within `timeout`. Port forwards (QEMU's, VirtualBox's NAT) accept before the guest
// listens, so the banner is the real signal.
bool ssh_banner_ready(int port, std::chrono::milliseconds timeout);

// Milliseconds from now to `deadline` for poll(2): 0 once it has passed.
int ms_until(std::chrono::steady_clock::time_point deadline);

// True when `pid` is alive and not a zombie; reaps it when it is our exited child.
bool process_alive(int pid);

// What a driver tells the wait about its guest. Every function is called once per poll.
struct BootWatch {
  std::string machine;  // named in messages
  // The serial console so far ("" while there is none).
  std::function<std::string()> console;
  // Throws Error(Unavailable) when the VM is no longer booting (exited, powered off);
  // `console` is what was read on this poll, for the message.
  std::function<void(const std::string& console)> check_running;
  // Whether this guest prints the boot-done marker (the machine OS does; stock cloud
  // images only have SSH to go by). Until it is seen, nothing else is probed.
  std::function<bool(const std::string& console)> expects_marker;
  // True when the booted guest can be reached (normally ssh_banner_ready on its port).
  std::function<bool()> reachable;
  // A stock cloud image: cloud-init prints the host keys on the console only after SSH
  // answers, so the wait goes on until they are there (bounded: console.h host_key_wait).
  bool cloud_init_host_keys = false;
  // Sleeps between polls; tests of drivers with a fake clock replace it.
  std::function<void(std::chrono::milliseconds)> sleep;
};

inline constexpr std::chrono::milliseconds kReadyPoll{200};

// Polls `watch` every kReadyPoll until the guest is ready, reporting progress. Throws
// Error(Cancelled) on Ctrl-C (machine/cancel.h), Error(Unavailable) from check_running or
// after `timeout` with the last console lines.
void wait_until_ready(const BootWatch& watch, Progress& progress, std::chrono::seconds timeout);

}  // namespace machine::drivers::common
