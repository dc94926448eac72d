#pragma once
// Small probes the driver polls while a guest boots.
#include <chrono>
#include <string>

namespace machine::drivers::qemu {

// True when 127.0.0.1:port accepts a connection and sends an SSH banner ("SSH-...")
// within `timeout`. QEMU's port forward accepts before the guest listens, so the banner
// is the real signal.
bool ssh_banner_ready(int port, std::chrono::milliseconds timeout);

// True when `pid` is alive and not a zombie; reaps it when it is our exited child.
bool process_alive(int pid);

}  // namespace machine::drivers::qemu
