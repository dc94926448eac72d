#pragma once
// The per-machine forwarder's rules, over an injected target (a driver's add/remove) and
// host port probe, so each rule is unit tested without a VM:
// - every port the engine publishes is forwarded from publish_address at the same number;
// - a host port someone else holds is skipped and reported, never stolen, and retried;
// - forwards whose port is no longer published are removed;
// - after a (re)connect the active ones are re-added (idempotent), because a restarted VM
//   comes back without them.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "drivers/common/port_forward.h"

namespace machine::drivers {

// A port the engine publishes on the guest (container -p, a swarm service's published port).
struct PublishedPort {
  Proto proto = Proto::Tcp;
  int port = 0;
  auto operator<=>(const PublishedPort&) const = default;
};

struct ForwardTarget {
  std::function<void(const PortForward&)> add;     // idempotent; throws machine::Error
  std::function<void(const PortForward&)> remove;  // idempotent; throws machine::Error
  std::function<bool(const PortForward&)> port_free = host_port_free;
};

struct ForwardChange {
  enum class Kind { Added, Removed, Skipped, Failed };
  Kind kind = Kind::Added;
  PortForward forward;
  std::string detail;             // why skipped / the error
  std::string to_string() const;  // one log line
};

class ForwardReconciler {
 public:
  // `active`: forwards a previous forwarder of this machine left in place (its status file).
  ForwardReconciler(ForwardTarget target, std::string publish_address, std::vector<PortForward> active = {});

  // Brings the forwards in line with `published`; returns what changed (skips already
  // reported with the same reason are not repeated).
  std::vector<ForwardChange> reconcile(const std::set<PublishedPort>& published, bool resync = false);
  // reconcile() with the last published set: takes skipped ports that were freed meanwhile.
  std::vector<ForwardChange> retry() { return reconcile(published_); }

  const std::set<PortForward>& active() const { return active_; }
  const std::map<PortForward, std::string>& skipped() const { return skipped_; }
  const std::string& publish_address() const { return publish_address_; }

 private:
  PortForward forward_for(const PublishedPort& p) const;
  void skip(const PortForward& f, const std::string& why, std::vector<ForwardChange>& changes);

  ForwardTarget target_;
  std::string publish_address_;
  std::set<PublishedPort> published_;
  std::set<PortForward> active_;
  std::map<PortForward, std::string> skipped_;
};

}  // namespace machine::drivers
